import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllCli, runCli, spawnCli, type CliProcess } from '../../helpers/cli.js';
import { alive } from '../../helpers/processes.js';
import { wireSentinelTopology } from '../../helpers/sentinel-topology.js';
import { waitFor } from '../../helpers/wait-for.js';

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

/** Starts the fixture (no proxies deployed) in a new temporary directory; resolves on its `listening` line. */
async function startFixture(
  prefix: string,
): Promise<{ fixture: CliProcess; listening: ListeningEvent; pids: number[] }> {
  dir = await mkdtemp(join(tmpdir(), prefix));
  const wiring = await wireSentinelTopology(dir);
  const fixture = spawnCli(['fixture', 'redis', '-c', wiring.file, '--dir', dir, '--json'], {
    GEOCTL_STATE_DIR: join(dir, 'state'),
  });
  const listening = JSON.parse(await fixture.nextLine(20_000)) as ListeningEvent;
  const pids = [...listening.nodes, ...listening.sentinels].map((p) => p.pid);
  expect(pids).toHaveLength(6);
  expect(pids.every(alive)).toBe(true);
  expect(existsSync(listening.dir)).toBe(true);
  return { fixture, listening, pids };
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
    const { fixture, listening, pids } = await startFixture('geoctl-fixture-redis-crash-');
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

  it('SIGKILL of the fixture itself: its guard stops every child and removes the directory', async () => {
    const { fixture, listening, pids } = await startFixture('geoctl-fixture-redis-killed-');
    // SIGKILL runs none of geoctl's cleanup: only the guard can stop the servers now.
    fixture.child.kill('SIGKILL');
    expect((await fixture.result(5_000)).signal).toBe('SIGKILL');
    // The guard sends SIGTERM, then SIGKILL 5 s later to whatever is still running.
    await waitFor(
      'every child stopped and the directory removed',
      () => pids.every((pid) => !alive(pid)) && !existsSync(listening.dir),
      12_000,
    );
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(listening.dir)).toBe(false);
  }, 30_000);
});
