import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import type { FaultRequest } from '../../../src/chaos/faults/fault.js';
import { planFault } from '../../../src/chaos/faults/plan-fault.js';
import { deploy } from '../../../src/chaos/services/deploy.js';
import { faultToxics } from '../../../src/chaos/services/geoctl-toxics.js';
import { heal } from '../../../src/chaos/services/heal.js';
import { injectFault } from '../../../src/chaos/services/inject-fault.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import { systemClock } from '../../../src/probes/clock.js';
import { runConflictProbe } from '../../../src/probes/conflict-probe.js';
import { runDivergenceProbe } from '../../../src/probes/divergence-probe.js';
import { runFailoverProbe } from '../../../src/probes/failover-probe.js';
import { runLagProbe } from '../../../src/probes/lag-probe.js';
import type { ProbeContext } from '../../../src/probes/probe-types.js';
import { runRawProbe } from '../../../src/probes/raw-probe.js';
import { openStore } from '../../../src/stores/open-store.js';
import type { Store } from '../../../src/stores/store.js';
import { clientProxyName, linkProxyName, type Topology } from '../../../src/topology/topology.js';
import { freePorts } from '../../helpers/free-ports.js';
import { ServerSet, startRedis, startSentinel, type RedisServer } from '../../helpers/real-servers.js';
import { waitFor } from '../../helpers/wait-for.js';

// A real Redis primary (us-east) and two replicas (eu-west, ap-south) whose replication connections go
// through geoctl's link proxies, so faults on a link change replication as a network would.
let toxiproxy: EmbeddedToxiproxy;
let driver: ToxiproxyDriver;
let servers: ServerSet;
let topology: Topology;
let primary: RedisServer;
let store: Store | undefined;
let faults = 0;

beforeEach(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(toxiproxy.url);
  servers = new ServerSet();
  primary = servers.add(await startRedis());
  const [c1, c2, c3, l1, l2, r1, r2] = await freePorts(7);
  const region = (name: string, listen: number, upstream: number) => ({
    name,
    aliases: [name.slice(0, 2)],
    client: {
      listen: `127.0.0.1:${listen}`,
      upstream: `127.0.0.1:${upstream}`,
      proxy: clientProxyName(name),
    },
  });
  topology = {
    file: '/virtual/geoctl.yaml',
    toxiproxy: { kind: 'url', url: toxiproxy.url },
    protocol: 'redis',
    regions: [
      region('us-east', c1!, primary.port),
      region('eu-west', c2!, r1!),
      region('ap-south', c3!, r2!),
    ],
    links: [
      {
        from: 'eu-west',
        to: 'us-east',
        listen: `127.0.0.1:${l1}`,
        upstream: primary.address,
        proxy: linkProxyName('eu-west', 'us-east'),
      },
      {
        from: 'ap-south',
        to: 'us-east',
        listen: `127.0.0.1:${l2}`,
        upstream: primary.address,
        proxy: linkProxyName('ap-south', 'us-east'),
      },
    ],
  };
  await deploy(driver, topology, false);
  servers.add(await startRedis({ port: r1, replicaOf: `127.0.0.1:${l1}` }));
  servers.add(await startRedis({ port: r2, replicaOf: `127.0.0.1:${l2}` }));
  // Replication is steady once both replicas are online (past their initial sync) and a canary written on
  // the primary reads back on each of them.
  const client = primary.connect();
  await client.connect();
  try {
    await waitFor(
      'both replicas are online',
      async () => (await client.info('replication')).match(/state=online/g)?.length === 2,
    );
    await client.set('geoctl-canary', 'ok');
    for (const port of [r1!, r2!]) {
      const replica = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
      await replica.connect();
      try {
        await waitFor(
          `the canary reached the replica on ${port}`,
          async () => (await replica.get('geoctl-canary')) === 'ok',
        );
      } finally {
        replica.disconnect();
      }
    }
  } finally {
    client.disconnect();
  }
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  await servers.stopAll();
  await toxiproxy.close();
});

async function open(options: Record<string, unknown> = { writer: 'us-east' }): Promise<Store> {
  store = await openStore(
    { ...topology, store: { type: 'redis', options: { type: 'redis', ...options }, offsets: new Map() } },
    {},
  );
  return store;
}

const inject = (request: FaultRequest) =>
  injectFault(
    driver,
    topology,
    planFault(topology, request, { id: `rp${String(++faults).padStart(6, '0')}`, now: Date.now() }),
    { verify: false },
  );

const context = (s: Store, ms: number, runId: string): ProbeContext => ({
  store: s,
  clock: systemClock,
  signal: AbortSignal.timeout(ms),
  observe: () => undefined,
  runId,
});

describe('probes against real Redis replication through the proxies', () => {
  it('raw and lag measure injected replication latency (ground truth: the injected 100 ms)', async () => {
    const s = await open();
    await inject({
      kind: 'latency',
      a: ['us-east'],
      b: ['eu-west'],
      oneway: true,
      latencyMs: 100,
      jitterMs: 0,
    });
    const raw = await runRawProbe(context(s, 1_500, 'r'), {
      writers: ['us-east'],
      readers: ['eu-west', 'ap-south'],
      rate: 20,
      concurrency: 32,
      visibilityTimeoutMs: 3_000,
      pollMs: 1,
      operationTimeoutMs: 2_000,
    });
    const eu = raw.pairs.find((p) => p.reader === 'eu-west')!;
    expect(eu.checked).toBeGreaterThan(15);
    expect(eu.lagFromAck.p50!).toBeGreaterThanOrEqual(100 - 2);
    expect(eu.lagFromAck.p50!).toBeLessThanOrEqual(100 + Math.max(5, 5));
    expect(raw.pairs.find((p) => p.reader === 'ap-south')!.lagFromAck.p50!).toBeLessThan(10);

    const lag = await runLagProbe(context(s, 1_200, 'l'), {
      writers: ['us-east'],
      readers: ['eu-west'],
      intervalMs: 50,
      pollMs: 2,
      operationTimeoutMs: 1_000,
    });
    const delay = lag.pairs[0]!.delay.p50!;
    expect(delay).toBeGreaterThanOrEqual(98);
    expect(delay).toBeLessThanOrEqual(110);
  });

  it('conflict: both regions write through the one primary, so each key has one winner and a lost update', async () => {
    const s = await open();
    const summary = await runConflictProbe(context(s, 600, 'c'), {
      writers: ['us-east', 'eu-west'],
      readers: ['us-east', 'eu-west', 'ap-south'],
      rate: 20,
      concurrency: 16,
      convergeTimeoutMs: 3_000,
      pollMs: 5,
      operationTimeoutMs: 1_000,
    });
    expect(summary.rounds).toBeGreaterThan(5);
    expect(summary.byResolution.winner).toBe(summary.rounds);
    const client = primary.connect();
    await client.connect();
    try {
      for (const key of summary.keys) {
        // Ground truth: the value the primary holds.
        expect(await client.get(key.key)).toBe(`c:${key.key.split('/').at(-1)}:${key.winner}`);
        expect(key.lostUpdates).toHaveLength(1);
      }
    } finally {
      client.disconnect();
    }
  });

  it('divergence: a partition makes keys diverge and they converge after heal', async () => {
    const s = await open();
    await inject({ kind: 'partition', a: ['us-east'], b: ['eu-west'], oneway: false, mode: 'blackhole' });
    const stop = new AbortController();
    let sawDivergence = false;
    const running = runDivergenceProbe(
      {
        store: s,
        clock: systemClock,
        signal: stop.signal,
        runId: 'd',
        observe: (o) => {
          if (o.type === 'divergence' && Number(o.divergent) > 3) sawDivergence = true;
          if (o.type === 'converged') stop.abort();
        },
      },
      {
        writers: ['us-east'],
        readers: ['us-east', 'eu-west', 'ap-south'],
        keys: 20,
        rate: 40,
        checkIntervalMs: 50,
        operationTimeoutMs: 1_000,
        activeFaults: async () => faultToxics(await driver.listProxies()).length,
      },
    );
    await waitFor('keys diverge', async () => sawDivergence);
    await heal(driver, topology, {}, { verify: false });
    const summary = await running;
    expect(summary.episodes).toHaveLength(1);
    // The replica re-dials and resynchronises after the heal closed its connection: well under 10 s.
    expect(summary.episodes[0]!.convergedAfterMs!).toBeLessThan(10_000);
  }, 30_000);

  it('failover: the write stream follows a Sentinel failover; the lost writes are exactly those the new primary lacks', async () => {
    const sentinel = servers.add(
      await startSentinel({ master: 'geoctl', primary: primary.address, downAfterMs: 1_000 }),
    );
    const s = await open({ sentinel: { master: 'geoctl', addresses: [sentinel.address] } });
    const stop = new AbortController();
    const acked: number[] = [];
    const running = runFailoverProbe(
      {
        store: s,
        clock: systemClock,
        signal: stop.signal,
        observe: (o) => o.type === 'write' && o.outcome === 'ok' && acked.push(Number(o.seq)),
        runId: 'f',
      },
      { writers: ['us-east', 'eu-west', 'ap-south'], intervalMs: 10, operationTimeoutMs: 500, settleMs: 500 },
    );
    const control = sentinel.connect();
    await control.connect();
    try {
      await waitFor('Sentinel knows both replicas', async () => {
        // Listed, and already asked for their own INFO (until then Sentinel will not promote them).
        const replicas = (await control.call('SENTINEL', 'replicas', 'geoctl')) as string[][];
        const linkOk = (r: string[]) => r[r.indexOf('master-link-status') + 1] === 'ok';
        return replicas.length === 2 && replicas.every(linkOk);
      });
      await waitFor('Sentinel accepts the failover', async () => {
        await control.call('SENTINEL', 'failover', 'geoctl');
        return true;
      });
      await waitFor('a replica is the new primary', async () => {
        const [, port] = (await control.call('SENTINEL', 'get-master-addr-by-name', 'geoctl')) as [
          string,
          string,
        ];
        return Number(port) !== primary.port;
      });
    } finally {
      control.disconnect();
    }
    await new Promise((r) => setTimeout(r, 1_500)); // let the stream write to the new primary for a while
    stop.abort();
    const summary = await running;
    expect(summary.writes.ok).toBeGreaterThan(50);
    expect(summary.failover).toBeDefined();
    expect(summary.rpo.unreadable).toBe(0);
    // Ground truth, read independently of the adapter: the acknowledged keys the new primary does not hold.
    // (Sentinel does not stop clients during a failover: writes that reach the old primary after the
    // promotion are discarded when it is turned into a replica.)
    const control2 = sentinel.connect();
    await control2.connect();
    const [, port] = (await control2.call('SENTINEL', 'get-master-addr-by-name', 'geoctl')) as [
      string,
      string,
    ];
    control2.disconnect();
    const direct = new Redis({ host: '127.0.0.1', port: Number(port), lazyConnect: true });
    await direct.connect();
    const missing: number[] = [];
    for (const seq of acked) if ((await direct.get(`geoctl/failover/f/${seq}`)) === null) missing.push(seq);
    direct.disconnect();
    expect(summary.rpo.lost.map((l) => l.seq)).toEqual(missing);
    expect(summary.rpo.checkedIn).toBe(
      topology.regions.find((r) => r.client.upstream.endsWith(`:${port}`))!.name,
    );
    expect(summary.failover!.switchedRegion).toBe(true);
  }, 40_000);
});
