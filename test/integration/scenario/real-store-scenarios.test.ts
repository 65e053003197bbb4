import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ExpectationResult, RunRecord } from '../../../src/report/run-results.js';
import { killAllCli, runCli } from '../../helpers/cli.js';
import { faultsLeftOn } from '../../helpers/toxics-left.js';
import { copyWithFreePorts } from '../../helpers/free-port-topology.js';
import {
  ServerSet,
  startPostgres,
  startPostgresStandby,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from '../../helpers/real-servers.js';
import { waitFor } from '../../helpers/wait-for.js';

// The shipped example scenarios (fixtures/scenarios/redis-replication.yaml, postgres-streaming.yaml) run
// end to end through the built CLI against real servers wired as their shipped topologies describe:
// the topology is copied with every fixed port swapped for a free one, the stores are started on those
// ports with replication through the link proxies, and `geoctl run <shipped scenario> --topology <copy>`
// must pass every expectation, with figures that match what was injected, and leave no toxic behind.

const root = fileURLToPath(new URL('../../../', import.meta.url));
type Region = 'us-east' | 'eu-west' | 'ap-south';
/** What the shipped scenarios inject on us-east → eu-west during their `latency` phase. */
const INJECTED_MS = 200;

interface Wiring {
  /** The generated topology file. */
  file: string;
  /** Each region's store address (its client proxy's upstream) and port. */
  storePort: Record<Region, number>;
  /** The link proxies' listen addresses: what eu-west's and ap-south's replicas dial. */
  linkListen: Record<'eu-west' | 'ap-south', string>;
}

interface DeployJson {
  url: string;
  server: { kind: string; pid?: number };
}

let dir: string | undefined;
let servers: ServerSet | undefined;
const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  killAllCli();
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  await servers?.stopAll();
  servers = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
}, 30_000);

/** A copy of a shipped topology in `dir` with every 127.0.0.1 port replaced by a free one. */
async function wireTopology(shipped: string): Promise<Wiring> {
  const { file, text: copy } = await copyWithFreePorts(shipped, dir!);
  const doc = parse(copy) as {
    regions: Record<Region, { client: { upstream: string } }>;
    links: Array<{ from: string; to: string; listen: string }>;
  };
  const portOf = (address: string): number => Number(address.split(':')[1]);
  const link = (from: string): string => doc.links.find((l) => l.from === from && l.to === 'us-east')!.listen;
  return {
    file,
    storePort: {
      'us-east': portOf(doc.regions['us-east'].client.upstream),
      'eu-west': portOf(doc.regions['eu-west'].client.upstream),
      'ap-south': portOf(doc.regions['ap-south'].client.upstream),
    },
    linkListen: { 'eu-west': link('eu-west'), 'ap-south': link('ap-south') },
  };
}

/** `geoctl deploy` with the generated topology: starts geoctl's embedded server and creates the proxies. */
async function deploy(wiring: Wiring, env: NodeJS.ProcessEnv): Promise<DeployJson> {
  const result = await runCli(['deploy', '--config', wiring.file, '--json'], env, 20_000);
  expect(result.code, result.stderr).toBe(0);
  const deployed = JSON.parse(result.stdout) as DeployJson;
  cleanup.push(async () => {
    await runCli(['teardown', '--config', wiring.file, '--json'], env, 15_000);
    if (deployed.server.pid !== undefined) {
      try {
        process.kill(deployed.server.pid, 'SIGKILL');
      } catch {
        // stopped by teardown
      }
    }
  });
  return deployed;
}

/** Runs the shipped scenario through the CLI and returns its exit, output and run.json. */
async function runShipped(
  scenario: string,
  wiring: Wiring,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string; record: RunRecord }> {
  const out = join(dir!, 'out');
  const result = await runCli(
    ['run', join(root, scenario), '--topology', wiring.file, '--out', out],
    env,
    75_000,
  );
  const record = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunRecord;
  return { ...result, record };
}

function expectation(record: RunRecord, text: string): ExpectationResult {
  const found = record.expectations.find((e) => e.text.startsWith(text));
  if (!found)
    throw new Error(`no expectation "${text}" in ${record.expectations.map((e) => e.text).join('; ')}`);
  return found;
}

/** What every shipped real-store scenario must show, whatever the store. */
function checkRecord(run: Awaited<ReturnType<typeof runShipped>>): void {
  const { record } = run;
  const failed = record.expectations.filter((e) => e.status !== 'pass').map((e) => `${e.text}: ${e.message}`);
  expect(failed, `${run.stdout}\n${run.stderr}`).toEqual([]);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(record.expectations.length).toBe(8);
  expect(record.steps[0]).toMatchObject({ kind: 'ready', outcome: 'ok' });
  expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'latency', 'partition', 'recovery']);
  // Ground truth for the latency phase: the one-way delay injected on the replication stream.
  const rawLatency = expectation(record, 'raw.eu-west.p50 >= 150ms during latency').measured!;
  const lagLatency = expectation(record, 'lag.eu-west.p50 >= 150ms during latency').measured!;
  for (const measured of [rawLatency, lagLatency]) {
    expect(measured).toBeGreaterThanOrEqual(INJECTED_MS - 5);
    expect(measured).toBeLessThanOrEqual(INJECTED_MS + 60);
  }
  // The partition lasted 5 s: writes made in its first 100 ms (rate 10/s) arrived only after heal.
  expect(expectation(record, 'raw.eu-west.max >= 4s during recovery').measured!).toBeGreaterThanOrEqual(
    4_800,
  );
  // Both faults were healed by the timeline itself; nothing was left for the exit path.
  expect(record.faults.map((f) => f.kind)).toEqual(['latency', 'partition']);
  expect(record.faults.every((f) => f.healedAt !== undefined)).toBe(true);
  expect(record.outcome).toMatchObject({ status: 'passed', exitCode: 0, healedOnExit: [], leftBehind: [] });
}

describe('the shipped real-store scenarios, end to end through `geoctl run`', () => {
  it('redis-replication: a primary and two replicas replicating through the link proxies', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geoctl-real-redis-'));
    servers = new ServerSet();
    const password = 'redis-scenario-secret-41';
    const env = { GEOCTL_STATE_DIR: join(dir, 'state'), TOXIPROXY_URL: '', REDIS_PASSWORD: password };
    const wiring = await wireTopology('fixtures/topologies/redis-replication.yaml');
    const deployed = await deploy(wiring, env);
    servers.add(await startRedis({ password, port: wiring.storePort['us-east'] }));
    const replicas: RedisServer[] = [];
    for (const region of ['eu-west', 'ap-south'] as const) {
      replicas.push(
        servers.add(
          await startRedis({
            password,
            port: wiring.storePort[region],
            replicaOf: wiring.linkListen[region],
          }),
        ),
      );
    }

    const run = await runShipped('fixtures/scenarios/redis-replication.yaml', wiring, env);
    checkRecord(run);
    expect(await faultsLeftOn(deployed.url)).toEqual([]);

    // The replicas replicate through the link proxies (as the topology says), and are back in sync.
    for (const [i, region] of (['eu-west', 'ap-south'] as const).entries()) {
      const client = replicas[i]!.connect();
      await client.connect();
      try {
        const info = await waitFor(`${region}'s link is up`, async () => {
          const text = await client.info('replication');
          return text.includes('master_link_status:up') ? text : undefined;
        });
        expect(info).toContain(`master_port:${wiring.linkListen[region].split(':')[1]}`);
      } finally {
        client.disconnect();
      }
    }
  }, 90_000);

  it('postgres-streaming: a primary and two hot standbys streaming through the link proxies', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geoctl-real-pg-'));
    servers = new ServerSet();
    const password = 'pg-scenario-secret-77';
    const env = { GEOCTL_STATE_DIR: join(dir, 'state'), TOXIPROXY_URL: '', PGPASSWORD: password };
    const wiring = await wireTopology('fixtures/topologies/postgres-streaming.yaml');
    const deployed = await deploy(wiring, env);
    const primary = servers.add(
      await startPostgres({ password, port: wiring.storePort['us-east'], conf: ['max_wal_senders = 10'] }),
    );
    const standbys: PostgresServer[] = [];
    for (const region of ['eu-west', 'ap-south'] as const) {
      standbys.push(
        servers.add(
          await startPostgresStandby(primary, {
            port: wiring.storePort[region],
            upstream: wiring.linkListen[region],
            applicationName: region,
            // The walreceiver notices a blackholed link after this, not after 60 s; and after a heal closed
            // its connection it streams again within half a second, not five.
            conf: ['wal_receiver_timeout = 2s', 'wal_retrieve_retry_interval = 500ms'],
          }),
        ),
      );
    }

    const run = await runShipped('fixtures/scenarios/postgres-streaming.yaml', wiring, env);
    checkRecord(run);
    expect(await faultsLeftOn(deployed.url)).toEqual([]);

    // Both standbys stream from the primary again, each through its link proxy.
    const client = await primary.client();
    try {
      const streaming = await waitFor('both standbys stream', async () => {
        const { rows } = await client.query<{ application_name: string }>(
          "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1",
        );
        return rows.length === 2 ? rows.map((r) => r.application_name) : undefined;
      });
      expect(streaming).toEqual(['ap-south', 'eu-west']);
    } finally {
      await client.end();
    }
    for (const [i, region] of (['eu-west', 'ap-south'] as const).entries()) {
      const standby = await standbys[i]!.client();
      try {
        const { rows } = await standby.query<{ sender_port: number }>(
          'SELECT sender_port FROM pg_stat_wal_receiver',
        );
        expect(rows[0]?.sender_port).toBe(Number(wiring.linkListen[region].split(':')[1]));
      } finally {
        await standby.end();
      }
    }
  }, 90_000);
});
