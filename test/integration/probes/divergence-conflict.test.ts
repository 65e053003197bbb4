import { afterEach, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import { planFault } from '../../../src/chaos/faults/plan-fault.js';
import { deploy } from '../../../src/chaos/services/deploy.js';
import { faultToxics } from '../../../src/chaos/services/geoctl-toxics.js';
import { heal } from '../../../src/chaos/services/heal.js';
import { injectFault } from '../../../src/chaos/services/inject-fault.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import { systemClock } from '../../../src/probes/clock.js';
import { runConflictProbe } from '../../../src/probes/conflict-probe.js';
import { runDivergenceProbe } from '../../../src/probes/divergence-probe.js';
import type { Observation } from '../../../src/probes/probe-types.js';
import { startFixtureKv, type FixtureKv } from '../../../src/stores/fixture-kv/kv-cluster.js';
import type { KvOptions } from '../../../src/stores/fixture-kv/kv-types.js';
import { openStore } from '../../../src/stores/open-store.js';
import type { Store } from '../../../src/stores/store.js';
import type { Topology } from '../../../src/topology/topology.js';
import { kvTopology } from '../../helpers/kv-topology.js';

let toxiproxy: EmbeddedToxiproxy | undefined;
let kv: FixtureKv | undefined;
let store: Store | undefined;

afterEach(async () => {
  await store?.close();
  await kv?.close();
  await toxiproxy?.close();
  store = kv = toxiproxy = undefined;
});

async function setUp(options: Partial<KvOptions> = {}) {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  const driver = new ToxiproxyDriver(toxiproxy.url);
  const topology: Topology = {
    ...(await kvTopology(toxiproxy.url)),
    store: { type: 'fixture', options: { type: 'fixture' }, offsets: new Map() },
  };
  await deploy(driver, topology, false);
  kv = await startFixtureKv(topology, { batchMs: 0, ...options });
  store = await openStore(topology, {});
  const partition = () =>
    injectFault(
      driver,
      topology,
      planFault(
        topology,
        { kind: 'partition', a: ['us-east'], b: ['eu-west'], oneway: false, mode: 'blackhole' },
        { id: 'dc000001', now: Date.now() },
      ),
      { verify: false },
    );
  return { driver, topology, kv, store, partition };
}

describe('divergence probe', () => {
  it('counts divergent keys during a partition and reports convergence after heal against the ground truth', async () => {
    const { driver, topology, kv, store, partition } = await setUp();
    await partition();
    const stop = new AbortController();
    const observations: Observation[] = [];
    const running = runDivergenceProbe(
      { store, clock: systemClock, signal: stop.signal, observe: (o) => observations.push(o), runId: 'dv' },
      {
        writers: ['us-east', 'eu-west'],
        readers: ['us-east', 'eu-west', 'ap-south'],
        keys: 20,
        rate: 60,
        checkIntervalMs: 40,
        operationTimeoutMs: 1_000,
        activeFaults: async () => faultToxics(await driver.listProxies()).length,
      },
    );
    await kv.until(
      () => observations.filter((o) => o.type === 'divergence' && Number(o.divergent) >= 5).length >= 2,
    );
    const healStart = Date.now();
    await heal(driver, topology, {}, { verify: false });
    await kv.until(() => observations.some((o) => o.type === 'converged'), 10_000);
    stop.abort();
    const summary = await running;

    expect(summary.divergent.max!).toBeGreaterThanOrEqual(5);
    expect(summary.episodes).toHaveLength(1);
    const episode = summary.episodes[0]!;
    expect(episode.convergedAfterMs).toBeDefined();
    // Ground truth: per key, the write whose value every region ends up with (last-writer-wins), among the
    // keys written before the heal; the key agreed everywhere once that write was applied in every region.
    const truth = kv.truth();
    const finalValue = (k: string) => {
      const read = kv.nodes.get('us-east')!.state.read(k);
      return read.kind === 'value' ? read.value : undefined;
    };
    const keys = new Set(
      truth.writes
        .filter((w) => w.key.startsWith('geoctl/divergence/dv/') && w.startedAt < healStart)
        .map((w) => w.key),
    );
    let agreedAt = 0;
    for (const k of keys) {
      const winner = truth.writes.find((w) => w.key === k && w.value === finalValue(k))!;
      if (winner.startedAt >= healStart) continue; // rewritten after the heal: not part of the convergence
      agreedAt = Math.max(agreedAt, ...Object.values(winner.applied));
    }
    const truthMs = agreedAt - episode.faultEndedAt;
    expect(Math.abs(episode.convergedAfterMs! - truthMs)).toBeLessThanOrEqual(episode.resolutionMs + 40);
    expect(summary.writes.fail).toBe(0);
  }, 30_000);
});

describe('conflict probe', () => {
  for (const conflicts of ['lww', 'siblings'] as const) {
    it(`classifies concurrent writes exactly as the fixture resolved them (${conflicts})`, async () => {
      const { driver, topology, kv, store, partition } = await setUp({ conflicts });
      await partition();
      const stop = new AbortController();
      const observations: Observation[] = [];
      const running = runConflictProbe(
        { store, clock: systemClock, signal: stop.signal, observe: (o) => observations.push(o), runId: 'cf' },
        {
          writers: ['us-east', 'eu-west'],
          readers: ['us-east', 'eu-west', 'ap-south'],
          rate: 40,
          concurrency: 64,
          convergeTimeoutMs: 8_000,
          pollMs: 5,
          operationTimeoutMs: 1_000,
        },
      );
      // Let ten rounds start during the partition, then heal and stop starting new ones.
      await kv.until((t) => t.writes.filter((w) => w.key.startsWith('geoctl/conflict/cf/')).length >= 20);
      stop.abort();
      await heal(driver, topology, {}, { verify: false });
      const summary = await running;

      expect(summary.rounds).toBeGreaterThanOrEqual(10);
      expect(summary.byResolution.unconverged).toBe(0);
      for (const key of summary.keys) {
        // Ground truth: what the fixture holds for the key in every region.
        const reads = ['us-east', 'eu-west', 'ap-south'].map((r) => kv.nodes.get(r)!.state.read(key.key));
        const canonical = (r: (typeof reads)[number]) =>
          r.kind === 'siblings'
            ? r.values
                .map((v) => v.value)
                .sort()
                .join('|')
            : r.kind === 'value'
              ? r.value
              : 'absent';
        expect(new Set(reads.map(canonical)).size).toBe(1);
        const held = reads[0]!;
        if (conflicts === 'lww') {
          expect(key.resolution).toBe('winner');
          expect(held.kind).toBe('value');
          expect(held.kind === 'value' && held.value.endsWith(`:${key.winner}`)).toBe(true);
          expect(key.lostUpdates).toEqual(['us-east', 'eu-west'].filter((r) => r !== key.winner));
        } else {
          expect(key.resolution).toBe('siblings');
          expect(held.kind === 'siblings' && held.values.length).toBe(2);
        }
      }
      const total = Object.values(summary.byResolution).reduce((a, b) => a + b, 0);
      expect(total).toBe(summary.rounds);
      expect(observations.filter((o) => o.type === 'conflict')).toHaveLength(summary.rounds);
    }, 30_000);
  }
});
