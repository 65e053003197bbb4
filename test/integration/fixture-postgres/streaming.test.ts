import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllCli, runCli, spawnCli, type CliProcess } from '../../helpers/cli.js';
import { alive, descendants } from '../../helpers/processes.js';
import { partitionCatchUp, samplePositions } from '../../helpers/catch-up.js';
import { readObservations, runGameDay } from '../../helpers/game-day.js';
import { deployedUrl, faultsLeftOn } from '../../helpers/toxics-left.js';
import { wirePostgresTopology, type PostgresWiring } from '../../helpers/postgres-fixture-topology.js';

// `geoctl fixture postgres` as a user runs it (the built CLI as a subprocess), on a copy of the shipped
// fixtures/postgres-streaming topology with free ports; one fixture for the whole file. Ground truth comes
// from PostgreSQL itself, on the servers' own ports: pg_stat_replication on the primary, and /proc.

const INJECTED_MS = 200;
const root = fileURLToPath(new URL('../../../', import.meta.url));

interface ListeningEvent {
  event: 'listening';
  dir: string;
  stateFile: string;
  nodes: Array<{ region: string; role: string; pid: number; port: number; via?: string; slot?: string }>;
}

let dir: string;
let wiring: PostgresWiring;
let env: Record<string, string>;
let fixture: CliProcess;
let listening: ListeningEvent;
let toxiproxyUrl: string;

async function connect(port: number): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: wiring.password,
    database: 'postgres',
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geoctl-fixture-postgres-test-'));
  await chmod(dir, 0o755); // as root, the servers run as postgres, who must get through to the fixture's dir
  env = { GEOCTL_STATE_DIR: join(dir, 'state'), TOXIPROXY_URL: '' };
  wiring = await wirePostgresTopology(dir);
  const deployed = await runCli(['deploy', '--config', wiring.file, '--json'], env, 20_000);
  expect(deployed.code, deployed.stderr).toBe(0);
  toxiproxyUrl = deployedUrl(deployed.stdout);
  fixture = spawnCli(['fixture', 'postgres', '--config', wiring.file, '--dir', dir, '--json'], env);
  listening = JSON.parse(await fixture.nextLine(30_000)) as ListeningEvent;
  for (;;) {
    const event = JSON.parse(await fixture.nextLine(20_000)) as { event: string };
    if (event.event === 'ready') break;
  }
}, 60_000);

afterAll(async () => {
  // SIGINT first (a no-op if the last test stopped it): SIGKILL would leave the servers running.
  if (fixture && fixture.child.exitCode === null && fixture.child.signalCode === null) {
    fixture.child.kill('SIGINT');
    await fixture.result(20_000);
  }
  killAllCli();
  await runCli(['teardown', '--config', wiring.file, '--json'], env, 15_000).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('geoctl fixture postgres: streaming through the proxies', () => {
  it('a primary and two hot standbys on their ports, each streaming through its link proxy on its own slot', async () => {
    expect(listening.event).toBe('listening');
    expect(listening.dir.startsWith(dir)).toBe(true);
    expect(listening.nodes.map((n) => [n.region, n.role, n.port])).toEqual([
      ['us-east', 'primary', wiring.serverPort['us-east']],
      ['eu-west', 'standby', wiring.serverPort['eu-west']],
      ['ap-south', 'standby', wiring.serverPort['ap-south']],
    ]);
    const primary = await connect(wiring.serverPort['us-east']);
    try {
      const slots = await primary.query<{ slot_name: string; active: boolean }>(
        'SELECT slot_name, active FROM pg_replication_slots ORDER BY slot_name',
      );
      expect(slots.rows).toEqual([
        { slot_name: 'geoctl_ap_south', active: true },
        { slot_name: 'geoctl_eu_west', active: true },
      ]);
    } finally {
      await primary.end();
    }
    // Each standby's walreceiver dials its link proxy, not the primary.
    for (const node of listening.nodes.filter((n) => n.role === 'standby')) {
      const standby = await connect(node.port);
      try {
        const wr = await standby.query<{ sender_port: number; status: string }>(
          'SELECT sender_port, status FROM pg_stat_wal_receiver',
        );
        expect(wr.rows[0]).toEqual({ sender_port: Number(node.via!.split(':')[1]), status: 'streaming' });
      } finally {
        await standby.end();
      }
    }
  });

  it(`${INJECTED_MS} ms one-way on us-east→eu-west: probe raw lag for eu-west, and replay_lag, both show it`, async () => {
    const scenario = join(dir, 'latency.yaml');
    await writeFile(
      scenario,
      [
        'name: postgres-fixture-latency',
        `topology: ${wiring.file}`,
        'probes:',
        '  raw: { writer: us-east, region: [eu-west, ap-south], rate: 20, poll: 10ms, visibility-timeout: 5s }',
        'timeline:',
        '  - phase: baseline',
        '  - wait: 2s',
        '  - phase: latency',
        `  - fault: { latency: { between: [us-east, eu-west], latency: ${INJECTED_MS}ms, oneway: true } }`,
        '    for: 5s',
        '  - phase: recovery',
        '  - wait: 1s',
        'expect:',
        '  - raw.eu-west.p50 < 50ms during baseline',
        `  - raw.eu-west.p50 >= ${INJECTED_MS * 0.9}ms during latency`,
        `  - raw.eu-west.p50 < ${INJECTED_MS * 1.5}ms during latency`,
        '  - raw.ap-south.p50 < 50ms during latency',
        '',
      ].join('\n'),
    );
    // replay_lag straight from the primary while the probe's writes flow.
    const primary = await connect(wiring.serverPort['us-east']);
    const samples: Array<{ at: number; region: string; seconds: number | null }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await primary
          .query<{ name: string; s: string | null }>(
            'SELECT application_name AS name, extract(epoch FROM replay_lag)::text AS s FROM pg_stat_replication',
          )
          .then((r) => r.rows)
          .catch(() => []);
        const at = Date.now();
        for (const row of rows)
          samples.push({ at, region: row.name, seconds: row.s === null ? null : Number(row.s) });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const out = join(dir, 'latency-out');
    const { record } = await runGameDay([scenario], env, out, 40_000).finally(async () => {
      sampling = false;
      await sampler;
      await primary.end();
    });

    const phase = record.phases.find((p) => p.name === 'latency')!;
    // The first second of the phase still replays WAL sent before the fault; judge the rest.
    const during = samples
      .filter((s) => s.region === 'eu-west' && s.at > phase.start + 1_000 && s.at < phase.end!)
      .map((s) => s.seconds);
    const measured = during.filter((s): s is number => s !== null).sort((a, b) => a - b);
    const rawP50 = record.expectations.find((e) => e.text.startsWith('raw.eu-west.p50 >='))!.measured!;
    const lowerQuartile = measured[Math.floor(measured.length / 4)]!;
    const median = measured[Math.floor(measured.length / 2)]!;
    console.log(
      `fixture postgres latency: injected ${INJECTED_MS} ms one-way; probe raw eu-west p50 ${rawP50.toFixed(1)} ms; ` +
        `replay_lag (round trip) over ${during.length} samples: ${measured.length} non-NULL, min ${(measured[0]! * 1000).toFixed(1)} ms, ` +
        `p25 ${(lowerQuartile * 1000).toFixed(1)} ms, median ${(median * 1000).toFixed(1)} ms, max ${(measured.at(-1)! * 1000).toFixed(1)} ms`,
    );
    // While writes flow, replay_lag is set, and a round trip with 200 ms on the way out is not shorter.
    // Not every sample, though: once the standby has replayed everything sent (a pause in the probe's
    // writes longer than the delay, as on a loaded CI machine), PostgreSQL reports the next WAL's
    // "hypothetical" lag, now minus its send time, which can be a few ms (seen: 3.9 ms). So the lower
    // quartile, not the minimum, must show the delay.
    expect(measured.length).toBeGreaterThan(during.length / 2);
    expect(lowerQuartile * 1000).toBeGreaterThanOrEqual(INJECTED_MS * 0.95);
    // geoctl's one-way figure and PostgreSQL's round trip agree within the return leg (no latency) plus
    // replay and the probe's polling.
    expect(Math.abs(rawP50 - median * 1000)).toBeLessThan(60);
  }, 45_000);

  it('partition.yaml: eu-west stops replaying while the primary commits, and catches up after the heal when geoctl says', async () => {
    // Ground truth from PostgreSQL on the servers' own ports, every 50 ms: the primary's WAL position and
    // how far each standby has replayed.
    const clients = await Promise.all(
      (['us-east', 'eu-west', 'ap-south'] as const).map((r) => connect(wiring.serverPort[r])),
    );
    const toBytes = (text: string): bigint => {
      const [hi, lo] = text.split('/');
      return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
    };
    const lsn = samplePositions(async () => {
      const [p, e, a] = await Promise.all([
        clients[0]!.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l'),
        clients[1]!.query<{ l: string }>('SELECT pg_last_wal_replay_lsn()::text AS l'),
        clients[2]!.query<{ l: string }>('SELECT pg_last_wal_replay_lsn()::text AS l'),
      ]);
      return { primary: toBytes(p.rows[0]!.l), cut: toBytes(e.rows[0]!.l), other: toBytes(a.rows[0]!.l) };
    });
    const out = join(dir, 'partition-out');
    const { record } = await runGameDay(
      [join(root, 'fixtures/postgres-streaming/partition.yaml'), '--topology', wiring.file],
      env,
      out,
      60_000,
    ).finally(async () => {
      await lsn.stop();
      await Promise.all(clients.map((c) => c.end()));
    });

    expect(await faultsLeftOn(toxiproxyUrl)).toEqual([]);
    // Fell behind while cut off (eu-west replayed nothing while the primary committed and ap-south kept
    // up), then replayed again after the heal up to where the primary was; and geoctl saw the writes made
    // meanwhile become visible exactly then.
    const { window, catchUp, seen } = partitionCatchUp(
      lsn.samples,
      record,
      await readObservations(out),
      'eu-west',
    );
    const healedAt = window.healStart;
    console.log(
      `fixture postgres partition: ${seen.count} writes made during the 5 s partition became visible in eu-west ` +
        `${(seen.first - healedAt).toFixed(0)}..${(seen.last - healedAt).toFixed(0)} ms after the heal began (it took ${(window.healedAt - healedAt).toFixed(0)} ms; geoctl); PostgreSQL: eu-west ` +
        `replayed again ${(catchUp.resumed.at - healedAt).toFixed(0)} ms and had caught up ${(catchUp.caughtUp.at - healedAt).toFixed(0)} ms after it ` +
        `(${catchUp.behindAtHeal - catchUp.frozen} bytes of WAL behind at the heal); probe resolution ±${(seen.resolution / 2).toFixed(1)} ms`,
    );
  }, 60_000);

  it('SIGINT: every server and its processes gone, the temporary directory and the state file removed', async () => {
    const pids = listening.nodes.map((n) => n.pid);
    const all = [...pids, ...pids.flatMap(descendants)];
    expect(all.length).toBeGreaterThan(pids.length * 3); // checkpointer, walwriter, walsender/receiver…
    expect(all.every(alive)).toBe(true);
    expect(existsSync(listening.stateFile)).toBe(true);
    fixture.child.kill('SIGINT');
    const result = await fixture.result(20_000);
    expect(result.code, result.stderr).toBe(0);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { event: string; signal: string };
    expect(last).toEqual({ event: 'stopped', signal: 'SIGINT' });
    expect(all.filter(alive)).toEqual([]);
    expect(existsSync(listening.dir)).toBe(false);
    expect(existsSync(listening.stateFile)).toBe(false);
  }, 30_000);
});
