import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllCli, runCli, spawnCli } from '../../helpers/cli.js';
import { wireSentinelTopology } from '../../helpers/sentinel-topology.js';

// `geoctl fixture redis` without the proxies deployed: what it starts, and how it fails.
let dir: string | undefined;

afterEach(async () => {
  killAllCli();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

interface ListeningEvent {
  dir: string;
  nodes: Array<{ pid: number }>;
  sentinels: Array<{ pid: number }>;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('geoctl fixture redis: lifecycle', () => {
  it('without redis-server on PATH: E_MISSING_PROGRAM naming the Debian packages, exit 1', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geoctl-fixture-redis-missing-'));
    const wiring = await wireSentinelTopology(dir);
    const result = await runCli(['fixture', 'redis', '-c', wiring.file, '--dir', dir, '--json'], {
      PATH: join(dir, 'no-such-dir'),
      GEOCTL_STATE_DIR: join(dir, 'state'),
    });
    expect(result.code).toBe(1);
    const error = (JSON.parse(result.stdout) as { error: { code: string; message: string; hint: string } })
      .error;
    expect(error.code).toBe('E_MISSING_PROGRAM');
    expect(error.message).toContain('redis-server');
    expect(error.hint).toContain('apt-get install -y redis-server redis-sentinel');
  });

  it('a child that dies stops the fixture: every other child stopped, the directory removed, exit 1', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geoctl-fixture-redis-crash-'));
    const wiring = await wireSentinelTopology(dir);
    const fixture = spawnCli(['fixture', 'redis', '-c', wiring.file, '--dir', dir, '--json'], {
      GEOCTL_STATE_DIR: join(dir, 'state'),
    });
    const listening = JSON.parse(await fixture.nextLine(20_000)) as ListeningEvent;
    const pids = [...listening.nodes, ...listening.sentinels].map((p) => p.pid);
    expect(pids).toHaveLength(6);
    expect(pids.every(alive)).toBe(true);
    expect(existsSync(listening.dir)).toBe(true);
    process.kill(listening.sentinels[1]!.pid, 'SIGKILL');
    const result = await fixture.result(15_000);
    expect(result.code).toBe(1);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      error: { code: string; message: string };
    };
    expect(last.error.code).toBe('E_STORE_UNREACHABLE');
    expect(last.error.message).toMatch(/redis-sentinel :\d+ exited \(SIGKILL\)/);
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(listening.dir)).toBe(false);
  }, 30_000);
});
