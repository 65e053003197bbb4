import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/report/run-results.js';
import { runCli, spawnCli, type CliProcess } from '../../helpers/cli.js';
import { wirePostgresTopology, type PostgresWiring } from '../../helpers/postgres-fixture-topology.js';
import { alive, descendants } from '../../helpers/processes.js';
import { useScratch } from '../../helpers/scratch.js';
import {
  failoverSummary,
  readObservations,
  runGameDay,
  type FailoverSummary,
} from '../../helpers/game-day.js';
import { deployedUrl, faultsLeftOn } from '../../helpers/toxics-left.js';
import { waitFor } from '../../helpers/wait-for.js';

// The shipped promotion game day (fixtures/postgres-streaming/promote.yaml) through `geoctl run` against
// `geoctl fixture postgres` on a free-port copy of the shipped topology. Ground truth from PostgreSQL on the
// servers' own ports: which node is out of recovery, and every acknowledged key read on the promoted one.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = useScratch();

let toxiproxyUrl = '';

interface Listening {
  event: string;
  dir: string;
  stateFile: string;
  nodes: Array<{ pid: number }>;
}

/** Deploys the proxies and starts `geoctl fixture postgres` on a free-port copy; resolves once it is ready. */
async function startFixture(): Promise<{
  base: string;
  wiring: PostgresWiring;
  env: Record<string, string>;
  fixture: CliProcess;
  listening: Listening;
}> {
  const dir = await scratch.dir('geoctl-fixture-postgres-promote-');
  await chmod(dir, 0o755); // as root, the servers run as postgres
  const env = { GEOCTL_STATE_DIR: join(dir, 'state'), TOXIPROXY_URL: '' };
  const wiring = await wirePostgresTopology(dir);
  const deployed = await runCli(['deploy', '--config', wiring.file, '--json'], env, 20_000);
  expect(deployed.code, deployed.stderr).toBe(0);
  toxiproxyUrl = deployedUrl(deployed.stdout);
  scratch.defer(() => runCli(['teardown', '--config', wiring.file, '--json'], env, 15_000));
  const fixture = spawnCli(['fixture', 'postgres', '--config', wiring.file, '--dir', dir, '--json'], env);
  // Stop it with SIGINT when an assertion fails, so its servers are gone before the next test (after a
  // SIGKILL from killAllCli the guard stops them, but up to 5 s later).
  scratch.defer(async () => {
    if (fixture.child.exitCode !== null || fixture.child.signalCode !== null) return;
    fixture.child.kill('SIGINT');
    await fixture.result(20_000);
  });
  const listening = JSON.parse(await fixture.nextLine(30_000)) as Listening;
  expect(listening.event).toBe('listening');
  for (;;) if ((JSON.parse(await fixture.nextLine(20_000)) as { event: string }).event === 'ready') break;

  return { base: dir, wiring, env, fixture, listening };
}

/** `geoctl run` of a shipped scenario against the fixture; every expectation must pass. */
async function runShipped(
  scenario: string,
  wiring: PostgresWiring,
  env: Record<string, string>,
  out: string,
): Promise<{ record: RunRecord; summary: FailoverSummary }> {
  // The hook's path is relative to the repository root: run from there, as the scenario says.
  const { record } = await runGameDay([join(root, scenario), '--topology', wiring.file], env, out, 40_000);
  // Nothing left injected, per the Toxiproxy server itself.
  expect(await faultsLeftOn(toxiproxyUrl)).toEqual([]);
  const summary = failoverSummary(record);
  return { record, summary };
}

/** Every write the failover probe saw acknowledged, with its key in the store, from observations.jsonl. */
async function ackedWrites(out: string): Promise<Array<{ seq: number; key: string; ackedAt: number }>> {
  const observations = await readObservations(out);
  const rawKey = observations.find((o) => o.probe === 'raw' && typeof o.key === 'string')!.key as string;
  const runId = rawKey.split('/')[2]!.replace(/-raw$/, '');
  return observations
    .filter((o) => o.probe === 'failover' && o.type === 'write' && o.outcome === 'ok')
    .map((o) => ({
      seq: o.seq as number,
      key: `geoctl/failover/${runId}-failover/${String(o.seq)}`,
      ackedAt: o.at as number,
    }));
}

/** Which of `keys` a server holds, read on its own port (no geoctl, no proxy); and whether it is a primary. */
async function readServer(
  wiring: PostgresWiring,
  region: 'us-east' | 'eu-west',
  keys: string[],
): Promise<{ present: Set<string>; primary: boolean }> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: wiring.serverPort[region],
    user: 'postgres',
    password: wiring.password,
    database: 'postgres',
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const recovery = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    const found = await client.query<{ key: string }>('SELECT key FROM geoctl_kv WHERE key = ANY($1)', [
      keys,
    ]);
    return { present: new Set(found.rows.map((r) => r.key)), primary: !recovery.rows[0]!.r };
  } finally {
    await client.end();
  }
}

describe('geoctl fixture postgres: promotion from a run: hook', () => {
  it('promote.yaml: failover time from the isolation to the promoted standby, RPO equal to an independent count', async () => {
    const { base, wiring, env, fixture, listening } = await startFixture();
    const out = join(base, 'out');
    const { record, summary } = await runShipped(
      'fixtures/postgres-streaming/promote.yaml',
      wiring,
      env,
      out,
    );
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
    const acked = await ackedWrites(out);
    expect(acked.length).toBeGreaterThan(100);
    const promoted = await readServer(
      wiring,
      'eu-west',
      acked.map((a) => a.key),
    );
    expect(promoted.primary).toBe(true);
    const missing = acked.length - promoted.present.size;
    console.log(
      `fixture postgres RPO: geoctl ${summary.rpo.lostWrites} lost; independent count ${missing} of ${acked.length} acked`,
    );
    expect(summary.rpo.unreadable).toBe(0);
    expect(summary.rpo.lostWrites).toBe(missing);

    // SIGKILL runs none of geoctl's cleanup: the fixture's guard must stop every server (SIGQUIT, then
    // SIGKILL to the process group 5 s later) and remove the data directory and the state file.
    const pids = listening.nodes.map((n) => n.pid);
    const all = [...pids, ...pids.flatMap(descendants)];
    expect(all.length).toBeGreaterThan(pids.length * 3);
    fixture.child.kill('SIGKILL');
    expect((await fixture.result(5_000)).signal).toBe('SIGKILL');
    await waitFor(
      'every server stopped, the directory and the state file removed',
      () => all.every((pid) => !alive(pid)) && !existsSync(listening.dir) && !existsSync(listening.stateFile),
      12_000,
    );
    expect(all.filter(alive)).toEqual([]);
    expect(existsSync(listening.dir)).toBe(false);
    expect(existsSync(listening.stateFile)).toBe(false);
  }, 60_000);

  it('split-brain.yaml: the writes a primary acknowledged while cut off from its standbys are lost, exactly as read on both servers', async () => {
    const { base, wiring, env, fixture } = await startFixture();
    const out = join(base, 'out');
    const { record, summary } = await runShipped(
      'fixtures/postgres-streaming/split-brain.yaml',
      wiring,
      env,
      out,
    );
    expect(summary.failover.lastBefore.landedIn).toBe('us-east');
    expect(summary.failover.firstAfter.landedIn).toBe('eu-west');
    expect(summary.rpo.checkedIn).toBe('eu-west');
    expect(summary.rpo.unreadable).toBe(0);

    // Ground truth, read on each server's own port: which acknowledged writes eu-west (promoted) lacks, and
    // that us-east, the old primary, still holds every one of them (so they really were committed).
    const acked = await ackedWrites(out);
    const keys = acked.map((a) => a.key);
    const promoted = await readServer(wiring, 'eu-west', keys);
    const old = await readServer(wiring, 'us-east', keys);
    expect(promoted.primary).toBe(true);
    const missing = acked.filter((a) => !promoted.present.has(a.key));
    const cut = record.faults.find((f) => f.kind === 'partition')!;
    const isolated = record.faults.find((f) => f.kind === 'isolate')!;
    console.log(
      `fixture postgres split-brain: failover ${summary.failover.seconds.toFixed(3)} s (±${summary.failover.resolutionMs.toFixed(0)} ms); ` +
        `geoctl ${summary.rpo.lostWrites} lost; independent count ${missing.length} of ${acked.length} acked, acknowledged ` +
        `${(missing[0]!.ackedAt - cut.injectedAt).toFixed(0)}..${(missing.at(-1)!.ackedAt - cut.injectedAt).toFixed(0)} ms after the cut ` +
        `(isolation at +${(isolated.injectedAt - cut.injectedAt).toFixed(0)} ms); all on us-east: ${missing.every((a) => old.present.has(a.key))}`,
    );
    // The same writes, not just as many.
    expect(summary.rpo.lost.map((l) => l.seq)).toEqual(missing.map((a) => a.seq));
    expect(missing.length).toBeGreaterThanOrEqual(30);
    expect(missing.every((a) => old.present.has(a.key))).toBe(true);
    // Lost: what us-east acknowledged from the cut (give or take WAL in flight) until it was isolated.
    expect(missing[0]!.ackedAt).toBeGreaterThan(cut.injectedAt - 100);
    expect(missing.at(-1)!.ackedAt).toBeLessThanOrEqual(isolated.injectedAt + 50);
    // Everything acknowledged before the cut survived.
    expect(
      acked.filter((a) => a.ackedAt < cut.injectedAt - 100).every((a) => promoted.present.has(a.key)),
    ).toBe(true);

    fixture.child.kill('SIGINT');
    expect((await fixture.result(20_000)).code).toBe(0);
  }, 60_000);
});
