import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../../helpers/cli.js';
import { partitionCatchUp, samplePositions } from '../../helpers/catch-up.js';
import { readObservations, runGameDay } from '../../helpers/game-day.js';
import { useScratch } from '../../helpers/scratch.js';
import { wireSentinelTopology } from '../../helpers/sentinel-topology.js';
import { deployedUrl, faultsLeftOn } from '../../helpers/toxics-left.js';

// The shipped fixtures/redis-sentinel/partition.yaml through `geoctl run` against `geoctl fixture redis` on
// a free-port copy of the shipped topology. Ground truth from Redis itself, on each node's own port (no
// proxy): the replication offset the primary has produced and each replica has processed, every 50 ms.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = useScratch();

const offsetOf = (info: string): bigint => BigInt(/^master_repl_offset:(\d+)/m.exec(info)![1]!);

describe('geoctl fixture redis: latency and a partition on one replication link', () => {
  it('partition.yaml: eu-west lags by the injected latency, stops processing the stream while cut off, and catches up after the heal when geoctl says', async () => {
    const base = await scratch.dir('geoctl-fixture-redis-partition-');
    const env = { GEOCTL_STATE_DIR: join(base, 'state'), TOXIPROXY_URL: '' };
    const wiring = await wireSentinelTopology(base);
    const deployed = await runCli(['deploy', '--config', wiring.file, '--json'], env, 20_000);
    expect(deployed.code, deployed.stderr).toBe(0);
    scratch.defer(() => runCli(['teardown', '--config', wiring.file, '--json'], env, 15_000));
    const fixture = spawnCli(['fixture', 'redis', '--config', wiring.file, '--dir', base, '--json'], env);
    scratch.defer(async () => {
      if (fixture.child.exitCode !== null || fixture.child.signalCode !== null) return;
      fixture.child.kill('SIGINT');
      await fixture.result(20_000);
    });
    for (;;) if ((JSON.parse(await fixture.nextLine(30_000)) as { event: string }).event === 'ready') break;

    const nodes = (['us-east', 'eu-west', 'ap-south'] as const).map((r) => {
      const client = new Redis({ host: '127.0.0.1', port: wiring.nodePort[r], lazyConnect: true });
      client.on('error', () => undefined);
      return client;
    });
    await Promise.all(nodes.map((n) => n.connect()));
    scratch.defer(async () => nodes.forEach((n) => n.disconnect()));
    const offsets = samplePositions(async () => {
      const [p, e, a] = await Promise.all(nodes.map((n) => n.info('replication')));
      return { primary: offsetOf(p!), cut: offsetOf(e!), other: offsetOf(a!) };
    });
    const out = join(base, 'out');
    const { record } = await runGameDay(
      [join(root, 'fixtures/redis-sentinel/partition.yaml'), '--topology', wiring.file],
      env,
      out,
      60_000,
    ).finally(() => offsets.stop());
    expect(await faultsLeftOn(deployedUrl(deployed.stdout))).toEqual([]);
    const latency = record.expectations.find((e) => e.text.startsWith('raw.eu-west.p50 >= 180ms'))!;

    // Fell behind while cut off (eu-west processed nothing of the stream while the primary produced more
    // and ap-south kept up), then resumed after the heal up to where the primary was; and geoctl saw the
    // writes made meanwhile become visible exactly then.
    const { window, catchUp, seen } = partitionCatchUp(
      offsets.samples,
      record,
      await readObservations(out),
      'eu-west',
    );
    const healedAt = window.healStart;
    console.log(
      `fixture redis partition: eu-west p50 ${latency.measured!.toFixed(1)} ms under 200 ms one-way; ${seen.count} writes made during the 5 s ` +
        `partition became visible in eu-west ${(seen.first - healedAt).toFixed(0)}..${(seen.last - healedAt).toFixed(0)} ms after the heal began (geoctl); ` +
        `Redis: eu-west processed the stream again ${(catchUp.resumed.at - healedAt).toFixed(0)} ms and had caught up ` +
        `${(catchUp.caughtUp.at - healedAt).toFixed(0)} ms after it (${catchUp.behindAtHeal - catchUp.frozen} bytes behind at the heal); probe resolution ±${(seen.resolution / 2).toFixed(1)} ms`,
    );

    fixture.child.kill('SIGINT');
    expect((await fixture.result(20_000)).code).toBe(0);
  }, 90_000);
});
