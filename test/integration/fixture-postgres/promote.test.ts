import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/report/run-results.js';
import { killAllCli, runCli, spawnCli } from '../../helpers/cli.js';
import { wirePostgresTopology } from '../../helpers/postgres-fixture-topology.js';

// The shipped promotion game day (fixtures/postgres-streaming/promote.yaml) through `geoctl run` against
// `geoctl fixture postgres` on a free-port copy of the shipped topology. Ground truth from PostgreSQL on the
// servers' own ports: which node is out of recovery, and every acknowledged key read on the promoted one.

const root = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string | undefined;
const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  killAllCli();
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
}, 30_000);

describe('geoctl fixture postgres: promotion from a run: hook', () => {
  it('promote.yaml: failover time from the isolation to the promoted standby, RPO equal to an independent count', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geoctl-fixture-postgres-promote-'));
    await chmod(dir, 0o755); // as root, the servers run as postgres
    const env = { GEOCTL_STATE_DIR: join(dir, 'state'), TOXIPROXY_URL: '' };
    const wiring = await wirePostgresTopology(dir);
    const deployed = await runCli(['deploy', '--config', wiring.file, '--json'], env, 20_000);
    expect(deployed.code, deployed.stderr).toBe(0);
    cleanup.push(() => runCli(['teardown', '--config', wiring.file, '--json'], env, 15_000));
    const fixture = spawnCli(['fixture', 'postgres', '--config', wiring.file, '--dir', dir, '--json'], env);
    // Stop it with SIGINT even when an assertion fails: SIGKILL (killAllCli) would leave its servers running.
    cleanup.push(async () => {
      fixture.child.kill('SIGINT');
      await fixture.result(20_000);
    });
    expect((JSON.parse(await fixture.nextLine(30_000)) as { event: string }).event).toBe('listening');
    for (;;) if ((JSON.parse(await fixture.nextLine(20_000)) as { event: string }).event === 'ready') break;

    const out = join(dir, 'out');
    // The hook's path is relative to the repository root: run from there, as the scenario says.
    const run = await runCli(
      [
        'run',
        join(root, 'fixtures/postgres-streaming/promote.yaml'),
        '--topology',
        wiring.file,
        '--out',
        out,
      ],
      env,
      40_000,
    );
    const record = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunRecord;
    const failed = record.expectations
      .filter((e) => e.status !== 'pass')
      .map((e) => `${e.text}: ${e.message}`);
    expect(failed, `${run.stdout}\n${run.stderr}`).toEqual([]);
    expect(run.code, run.stderr).toBe(0);

    const summary = (record.probes as Record<string, { summary: unknown }>).failover!.summary as {
      failover: {
        seconds: number;
        lastBefore: { ackedAt: number; landedIn: string };
        firstAfter: { ackedAt: number; landedIn: string };
        resolutionMs: number;
        switchedRegion: boolean;
      };
      rpo: { lostWrites: number; checkedIn: string; unreadable: number };
    };
    expect(summary.failover.switchedRegion).toBe(true);
    expect(summary.failover.lastBefore.landedIn).toBe('us-east');
    expect(summary.failover.firstAfter.landedIn).toBe('eu-west');
    expect(summary.rpo.checkedIn).toBe('eu-west');
    const isolatedAt = record.faults.find((f) => f.kind === 'isolate')!.injectedAt;
    const hook = record.steps.find((s) =>
      String((s as { label?: string }).label ?? '').includes('promote.sh'),
    );
    console.log(
      `fixture postgres promotion: failover ${summary.failover.seconds.toFixed(3)} s (±${summary.failover.resolutionMs.toFixed(0)} ms); ` +
        `last us-east ack at ${(summary.failover.lastBefore.ackedAt - isolatedAt).toFixed(0)} ms from the isolation, ` +
        `first eu-west ack at +${(summary.failover.firstAfter.ackedAt - isolatedAt).toFixed(0)} ms; hook step ${JSON.stringify(hook)}`,
    );
    // The isolation (the last us-east ack precedes it by at most a write interval and its round trip), then
    // 1 s before the hook, then pg_ctl promote (~0.1–0.2 s) and a write timeout (250 ms) at most.
    expect(summary.failover.lastBefore.ackedAt).toBeLessThanOrEqual(isolatedAt + 50);
    expect(summary.failover.firstAfter.ackedAt - isolatedAt).toBeGreaterThan(1_000);
    expect(summary.failover.seconds).toBeLessThan(2.5);
    // Against the hook itself: pg_ctl promote -w returns once the standby is out of recovery (it polls, so up
    // to ~0.1 s after). The stream finds it with the search that follows a failed write (250 ms timeout);
    // a search that began just before the promotion finds nothing, so at worst two more timeouts pass.
    const hookEnded = (hook as { endedAt: number }).endedAt;
    expect(summary.failover.firstAfter.ackedAt - hookEnded).toBeGreaterThan(-150);
    expect(summary.failover.firstAfter.ackedAt - hookEnded).toBeLessThan(2 * 250 + 50 + 250);

    // RPO: every acknowledged write read on eu-west's own port, not through geoctl or a proxy.
    const observations = (await readFile(join(out, 'observations.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const rawKey = observations.find((o) => o.probe === 'raw' && typeof o.key === 'string')!.key as string;
    const runId = rawKey.split('/')[2]!.replace(/-raw$/, '');
    const acked = observations
      .filter((o) => o.probe === 'failover' && o.type === 'write' && o.outcome === 'ok')
      .map((o) => `geoctl/failover/${runId}-failover/${String(o.seq)}`);
    expect(acked.length).toBeGreaterThan(100);
    const promoted = new pg.Client({
      host: '127.0.0.1',
      port: wiring.serverPort['eu-west'],
      user: 'postgres',
      password: wiring.password,
      database: 'postgres',
    });
    promoted.on('error', () => undefined);
    await promoted.connect();
    cleanup.push(() => promoted.end());
    const inRecovery = await promoted.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    expect(inRecovery.rows[0]!.r).toBe(false);
    const found = await promoted.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM geoctl_kv WHERE key = ANY($1)',
      [acked],
    );
    const missing = acked.length - Number(found.rows[0]!.n);
    console.log(
      `fixture postgres RPO: geoctl ${summary.rpo.lostWrites} lost; independent count ${missing} of ${acked.length} acked`,
    );
    expect(summary.rpo.unreadable).toBe(0);
    expect(summary.rpo.lostWrites).toBe(missing);

    await promoted.end();
    fixture.child.kill('SIGINT');
    expect((await fixture.result(20_000)).code).toBe(0);
  }, 45_000);
});
