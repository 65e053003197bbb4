import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import type { FaultRequest } from '../../../src/chaos/faults/fault.js';
import { planFault } from '../../../src/chaos/faults/plan-fault.js';
import { deploy } from '../../../src/chaos/services/deploy.js';
import { heal } from '../../../src/chaos/services/heal.js';
import { injectFault } from '../../../src/chaos/services/inject-fault.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import { systemClock } from '../../../src/probes/clock.js';
import { runFailoverProbe } from '../../../src/probes/failover-probe.js';
import type { Observation } from '../../../src/probes/probe-types.js';
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
let faults = 0;

beforeEach(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(toxiproxy.url);
  const mesh: Array<[string, string]> = [
    ['eu-west', 'us-east'],
    ['ap-south', 'us-east'],
    ['ap-south', 'eu-west'],
  ];
  topology = {
    ...(await kvTopology(toxiproxy.url, mesh)),
    store: { type: 'fixture', options: { type: 'fixture', timeout: '250ms' }, offsets: new Map() },
  };
  await deploy(driver, topology, false);
  kv = await startFixtureKv(topology, {
    mode: 'primary',
    primary: 'us-east',
    batchMs: 0,
    heartbeatMs: 50,
    failoverAfterMs: 500,
  });
  store = await openStore(topology, {});
});

afterEach(async () => {
  await store.close();
  await kv.close();
  await toxiproxy.close();
});

const inject = (request: FaultRequest) =>
  injectFault(
    driver,
    topology,
    planFault(topology, request, { id: `fp${String(++faults).padStart(6, '0')}`, now: Date.now() }),
    { verify: false },
  );

describe('failover probe against the fixture store (primary, async acks)', () => {
  it('measures the failover gap and exactly the acknowledged writes the failover discarded', async () => {
    const stop = new AbortController();
    const observations: Observation[] = [];
    const running = runFailoverProbe(
      { store, clock: systemClock, signal: stop.signal, observe: (o) => observations.push(o), runId: 'fo' },
      { writers: ['us-east', 'eu-west', 'ap-south'], intervalMs: 10, operationTimeoutMs: 250, settleMs: 300 },
    );
    const ackedWrites = () => observations.filter((o) => o.type === 'write' && o.outcome === 'ok').length;
    await kv.until(() => ackedWrites() >= 20);
    // Split brain: us-east loses its replicas but keeps its clients, and goes on acknowledging...
    await inject({
      kind: 'partition',
      a: ['us-east'],
      b: ['eu-west', 'ap-south'],
      oneway: false,
      mode: 'blackhole',
    });
    const cutAt = Date.now();
    await kv.until(() => ackedWrites() >= 40);
    // ...until its clients are cut off too; the stream moves on and finds the promoted replica.
    await inject({ kind: 'isolate', region: 'us-east', mode: 'blackhole' });
    await kv.until(
      (t) =>
        t.failovers.length > 0 && t.writes.some((w) => w.origin === 'eu-west@2' && w.ackedAt !== undefined),
    );
    await heal(driver, topology, {}, { verify: false });
    await kv.until(
      (t) =>
        t.writes.filter((w) => w.origin === 'us-east@1' && Object.keys(w.discarded).length > 0).length > 0,
    );
    await kv.until(() => ackedWrites() >= 80);
    stop.abort();
    const summary = await running;

    const truth = kv.truth();
    const probeKey = (seq: number) => `geoctl/failover/fo/${seq}`;
    const clientAcked = new Set(
      observations
        .filter((o) => o.type === 'write' && o.outcome === 'ok')
        .map((o) => probeKey(o.seq as number)),
    );
    // RPO ground truth: writes the client saw acknowledged that the fixture discarded at the failover.
    const truthLost = truth.lostAcked
      .filter((w) => clientAcked.has(w.key))
      .map((w) => w.key)
      .sort();
    expect(truthLost.length).toBeGreaterThanOrEqual(15);
    expect(summary.rpo.lost.map((a) => probeKey(a.seq)).sort()).toEqual(truthLost);
    expect(summary.rpo.lostWrites).toBe(truthLost.length);
    expect(summary.rpo.checkedIn).toBe('eu-west');
    expect(summary.rpo.unreadable).toBe(0);
    // The lost writes all came after the replication cut.
    expect(Math.min(...summary.rpo.lost.map((a) => a.ackedAt))).toBeGreaterThanOrEqual(cutAt - 10);
    expect(summary.rpo.indeterminate).toBeGreaterThan(0);

    // Failover time: the gap around the failover, against the fixture's own ack times for those two writes.
    const failover = summary.failover!;
    expect(failover.switchedRegion).toBe(true);
    expect(failover.firstAfter.region).toBe('eu-west');
    const truthOf = (seq: number) => truth.writes.find((w) => w.key === probeKey(seq))!;
    const truthGapMs = truthOf(failover.firstAfter.seq).ackedAt! - truthOf(failover.lastBefore.seq).ackedAt!;
    expect(Math.abs(failover.seconds * 1000 - truthGapMs)).toBeLessThanOrEqual(10);
    const promotion = truth.failovers[0]!.at;
    expect(promotion).toBeGreaterThan(truthOf(failover.lastBefore.seq).ackedAt!);
    expect(promotion).toBeLessThanOrEqual(truthOf(failover.firstAfter.seq).ackedAt!);
  }, 30_000);
});
