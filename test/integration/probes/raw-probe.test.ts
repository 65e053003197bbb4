import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import { planFault } from '../../../src/chaos/faults/plan-fault.js';
import { deploy } from '../../../src/chaos/services/deploy.js';
import { heal } from '../../../src/chaos/services/heal.js';
import { injectFault } from '../../../src/chaos/services/inject-fault.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import { systemClock } from '../../../src/probes/clock.js';
import type { Observation } from '../../../src/probes/probe-types.js';
import { runRawProbe, type RawOptions } from '../../../src/probes/raw-probe.js';
import { startFixtureKv, type FixtureKv } from '../../../src/stores/fixture-kv/kv-cluster.js';
import { openStore } from '../../../src/stores/open-store.js';
import type { Store } from '../../../src/stores/store.js';
import type { Topology } from '../../../src/topology/topology.js';
import { kvTopology } from '../../helpers/kv-topology.js';

let toxiproxy: EmbeddedToxiproxy;
let driver: ToxiproxyDriver;
let kv: FixtureKv;
let store: Store;
let topology: Topology;

beforeEach(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(toxiproxy.url);
  topology = {
    ...(await kvTopology(toxiproxy.url)),
    store: { type: 'fixture', options: { type: 'fixture' }, offsets: new Map() },
  };
  await deploy(driver, topology, false);
  kv = await startFixtureKv(topology, { batchMs: 0 });
  store = await openStore(topology, {});
});

afterEach(async () => {
  await store.close();
  await kv.close();
  await toxiproxy.close();
});

const OPTIONS: RawOptions = {
  writers: ['us-east'],
  readers: ['eu-west', 'ap-south'],
  rate: 25,
  concurrency: 32,
  visibilityTimeoutMs: 3_000,
  pollMs: 1,
  operationTimeoutMs: 2_000,
};

async function probe(durationMs: number, options: Partial<RawOptions> = {}) {
  const observations: Observation[] = [];
  const summary = await runRawProbe(
    {
      store,
      clock: systemClock,
      signal: AbortSignal.timeout(durationMs),
      observe: (o) => observations.push(o),
      runId: 'test',
    },
    { ...OPTIONS, ...options },
  );
  return { summary, observations };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

describe('raw probe: read-after-write visibility lag against the fixture store’s ground truth', () => {
  for (const latencyMs of [50, 200]) {
    it(`measures ${latencyMs} ms of injected replication latency within max(5 ms, 5%) of the truth`, async () => {
      const plan = planFault(
        topology,
        { kind: 'latency', a: ['us-east'], b: ['eu-west'], oneway: true, latencyMs, jitterMs: 0 },
        { id: `raw${latencyMs}xx`.slice(0, 8), now: Date.now() },
      );
      await injectFault(driver, topology, plan, { verify: false });
      const { summary } = await probe(1_600);
      const eu = summary.pairs.find((p) => p.reader === 'eu-west')!;
      const ap = summary.pairs.find((p) => p.reader === 'ap-south')!;
      expect(eu.checked).toBeGreaterThan(20);
      expect(eu.neverSeen).toBe(0);

      // Truth: when the fixture applied each of the probe's writes in eu-west, after acknowledging it.
      const truth = kv
        .truth()
        .writes.filter((w) => w.key.startsWith('geoctl/raw/test/') && w.applied['eu-west'] !== undefined);
      const truthP50 = median(truth.map((w) => w.applied['eu-west']! - w.ackedAt!));
      expect(truthP50).toBeGreaterThanOrEqual(latencyMs);
      expect(Math.abs(eu.lagFromAck.p50! - truthP50)).toBeLessThanOrEqual(Math.max(5, 0.05 * truthP50));
      expect(eu.resolution.p50!).toBeLessThan(5);
      expect(eu.staleAfterAck).toBe(1); // every first read after the ack is ~latency too early
      // ap-south replicates over its own, unfaulted link.
      expect(ap.lagFromAck.p50!).toBeLessThan(latencyMs / 2);
      expect(summary.writes['us-east']!.ok).toBe(summary.started);
      expect(summary.readYourWritesViolations['us-east']).toBe(0);
    });
  }

  it('a partition leaves writes never seen and stale reads; heal brings visibility back', async () => {
    const plan = planFault(
      topology,
      { kind: 'partition', a: ['us-east'], b: ['eu-west'], oneway: false, mode: 'blackhole' },
      { id: 'rawpart1', now: Date.now() },
    );
    await injectFault(driver, topology, plan, { verify: false });
    const cut = await probe(800, { visibilityTimeoutMs: 300 });
    const euCut = cut.summary.pairs.find((p) => p.reader === 'eu-west')!;
    expect(euCut.checked).toBeGreaterThan(5);
    expect(euCut.neverSeen).toBe(euCut.checked);
    expect(euCut.staleReads).toBeGreaterThan(euCut.checked);
    expect(cut.observations.filter((o) => o.type === 'never-seen' && o.reader === 'eu-west')).toHaveLength(
      euCut.neverSeen,
    );
    await heal(driver, topology, {}, { verify: false });
    const healed = await probe(800);
    const euHealed = healed.summary.pairs.find((p) => p.reader === 'eu-west')!;
    expect(euHealed.neverSeen).toBe(0);
    // The first writes after heal wait for the replication link to re-dial; the rest flow at once.
    expect(euHealed.lagFromAck.p50!).toBeLessThan(20);
  });

  it('a partitioned reader fills only its own checks: the other region is followed for every write', async () => {
    const plan = planFault(
      topology,
      { kind: 'partition', a: ['us-east'], b: ['eu-west'], oneway: false, mode: 'blackhole' },
      { id: 'rawstarv', now: Date.now() },
    );
    await injectFault(driver, topology, plan, { verify: false });
    // 25 writes/s for 1.2 s, each followed in eu-west for 3 s: eu-west has room for 4 checks at a time.
    const { summary, observations } = await probe(1_200, { concurrency: 4 });
    const acked = observations.filter((o) => o.type === 'write' && o.outcome === 'ok').length;
    const eu = summary.pairs.find((p) => p.reader === 'eu-west')!;
    const ap = summary.pairs.find((p) => p.reader === 'ap-south')!;
    expect(acked).toBeGreaterThan(20);
    // Every acknowledged write is accounted for in eu-west: 4 followed until the timeout, the rest unchecked.
    expect(eu.checked).toBe(4);
    expect(eu.neverSeen).toBe(4);
    expect(eu.unchecked).toBe(acked - 4);
    expect(observations.filter((o) => o.type === 'unchecked' && o.reader === 'eu-west')).toHaveLength(
      eu.unchecked,
    );
    // ap-south, untouched, is followed for every write and at the probe's full rate.
    expect(ap.checked).toBe(acked);
    expect(ap.unchecked).toBe(0);
    expect(ap.neverSeen).toBe(0);
    expect(summary.late).toBe(0);
    // The same writes, as the fixture's own record has them applied in ap-south.
    const applied = kv
      .truth()
      .writes.filter((w) => w.key.startsWith('geoctl/raw/test/') && w.applied['ap-south']);
    expect(applied.length).toBe(acked);
  });
});

describe('lag probe: heartbeat lag against the ground truth', () => {
  it('agrees with the injected latency and with the fixture’s record', async () => {
    const { runLagProbe } = await import('../../../src/probes/lag-probe.js');
    const plan = planFault(
      topology,
      { kind: 'latency', a: ['us-east'], b: ['eu-west'], oneway: true, latencyMs: 50, jitterMs: 0 },
      { id: 'lag50xxx', now: Date.now() },
    );
    await injectFault(driver, topology, plan, { verify: false });
    const ages: number[] = [];
    const summary = await runLagProbe(
      {
        store,
        clock: systemClock,
        signal: AbortSignal.timeout(1_500),
        observe: () => undefined,
        runId: 'test',
      },
      {
        writers: ['us-east'],
        readers: ['eu-west', 'ap-south'],
        intervalMs: 50,
        pollMs: 2,
        operationTimeoutMs: 1_000,
      },
      (_w, reader, age) => reader === 'eu-west' && ages.push(age),
    );
    const eu = summary.pairs.find((p) => p.reader === 'eu-west')!;
    expect(eu.heartbeatsSeen).toBeGreaterThan(15);
    const truth = kv
      .truth()
      .writes.filter((w) => w.key === 'geoctl/heartbeat/test/us-east' && w.applied['eu-west'] !== undefined);
    const truthP50 = median(truth.map((w) => w.applied['eu-west']! - w.applied['us-east']!));
    expect(Math.abs(eu.delay.p50! - truthP50)).toBeLessThanOrEqual(Math.max(5, 0.05 * truthP50));
    // The pt-heartbeat age runs from the delay up to delay + interval.
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(49);
    expect(eu.age.p50!).toBeGreaterThan(eu.delay.p50!);
    expect(eu.age.max!).toBeLessThan(50 + 50 + 30);
    expect(summary.pairs.find((p) => p.reader === 'ap-south')!.delay.p50!).toBeLessThan(20);
  });
});
