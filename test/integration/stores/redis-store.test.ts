import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
import { GeoctlError } from '../../../src/errors.js';
import { checkStoreOptions, openStore } from '../../../src/stores/open-store.js';
import type { Store } from '../../../src/stores/store.js';
import { clientProxyName, type Topology } from '../../../src/topology/topology.js';
import { freePorts } from '../../helpers/free-ports.js';
import { ServerSet, startRedis, startSentinel, type RedisServer } from '../../helpers/real-servers.js';
import { waitFor } from '../../helpers/wait-for.js';

// Real redis-server processes (a primary and a replica, plus a Sentinel pair for the failover case),
// reached through geoctl's embedded Toxiproxy, one client proxy per region.

const PASSWORD = 'redis-test-secret-4f9a';
const servers = new ServerSet();
const opened: Store[] = [];
let toxiproxy: EmbeddedToxiproxy;
let driver: ToxiproxyDriver;
let primary: RedisServer;
let replica: RedisServer;
let topology: Topology;
let seq = 0;

/** Regions named after `upstreams`' keys, each with a client proxy on a free port to that upstream. */
async function redisTopology(
  url: string,
  upstreams: Record<string, string>,
  store: Record<string, unknown> = { type: 'redis' },
): Promise<Topology> {
  const names = Object.keys(upstreams);
  const ports = await freePorts(names.length);
  return {
    file: '/virtual/geoctl.yaml',
    toxiproxy: { kind: 'url', url },
    protocol: 'redis',
    regions: names.map((name, i) => ({
      name,
      aliases: [],
      client: { listen: `127.0.0.1:${ports[i]}`, upstream: upstreams[name]!, proxy: clientProxyName(name) },
    })),
    links: [],
    store: { type: 'redis', options: store, offsets: new Map() },
  };
}

function withStore(base: Topology, options: Record<string, unknown>): Topology {
  return { ...base, store: { type: 'redis', options: { type: 'redis', ...options }, offsets: new Map() } };
}

async function open(options: Record<string, unknown>, base = topology): Promise<Store> {
  const store = await openStore(withStore(base, options), {});
  opened.push(store);
  return store;
}

async function openError(options: Record<string, unknown>): Promise<GeoctlError> {
  const error = await openStore(withStore(topology, options), {}).then(
    (store) => {
      opened.push(store);
      throw new Error('openStore succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GeoctlError);
  return error as GeoctlError;
}

async function fault(request: FaultRequest, on = topology): Promise<void> {
  const plan = planFault(on, request, { id: `r${String(++seq).padStart(7, '0')}`, now: Date.now() });
  await injectFault(driver, on, plan, { verify: false });
}

beforeAll(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(toxiproxy.url);
  primary = servers.add(await startRedis({ password: PASSWORD }));
  replica = servers.add(await startRedis({ password: PASSWORD, replicaOf: primary.address }));
  topology = await redisTopology(toxiproxy.url, { 'us-east': primary.address, 'eu-west': replica.address });
  await deploy(driver, topology, false);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await heal(driver, topology, { all: true }, { verify: false });
});

afterAll(async () => {
  await toxiproxy?.close();
  await servers.stopAll();
});

describe('redis store options', () => {
  const problems = (options: Record<string, unknown>) =>
    checkStoreOptions(withStore(topology, options)).map((p) => `${p.path}: ${p.message}`);

  it('accepts the documented options and reports each mistake at its path', () => {
    expect(
      problems({ password: 'x', username: 'u', db: 2, prefix: 'g:', timeout: '300ms', writer: 'eu-west' }),
    ).toEqual([]);
    expect(problems({ pasword: 'x', timeout: '2', db: -1, writer: 'mars' })).toEqual([
      'store.pasword: unknown key; expected one of "type", "username", "password", "db", "prefix", "timeout", "writer", "sentinel"',
      'store.db: expected an integer from 0 to 1000000, got -1',
      'store.timeout: expected a duration such as 2s or 500ms, got "2"',
      'store.writer: unknown region "mars"; known regions: us-east, eu-west',
    ]);
  });

  it('checks the sentinel map: master and addresses required, host:port each, no writer beside it', () => {
    expect(
      problems({ sentinel: { master: 'm', addresses: ['127.0.0.1:26379', 'sentinel-2:26379'] } }),
    ).toEqual([]);
    expect(problems({ writer: 'us-east', sentinel: { addresses: ['nope', 26379], extra: 1 } })).toEqual([
      'store.sentinel.extra: unknown key; expected one of "master", "addresses", "username", "password"',
      'store.sentinel.master: missing; the name Sentinel monitors the primary under (e.g. mymaster)',
      'store.sentinel.addresses.0: expected host:port (e.g. 127.0.0.1:26379), got "nope"',
      'store.sentinel.addresses.1: expected host:port (e.g. 127.0.0.1:26379), got 26379',
      'store.writer: not with sentinel: writes go to the primary Sentinel reports',
    ]);
    expect(problems({ sentinel: 'yes' })).toEqual([
      'store.sentinel: expected a map with master and addresses',
    ]);
  });
});

describe('redis store against real servers, through the proxies', () => {
  it('writes go to the primary, reads to each region (replicas see them); a missing key is absent', async () => {
    const store = await open({ password: PASSWORD, prefix: 't1:' });
    expect(store.regions).toEqual(['us-east', 'eu-west']);
    expect(await store.primaryRegion?.()).toBe('us-east');
    expect(await store.write('eu-west', 'k', 'v1')).toEqual({ status: 'ok', value: { via: 'us-east' } });
    expect(await store.read('us-east', 'k')).toEqual({ status: 'ok', value: { kind: 'value', value: 'v1' } });
    await waitFor('the replica has the write', async () => {
      const read = await store.read('eu-west', 'k');
      return read.status === 'ok' && read.value.kind === 'value' && read.value.value === 'v1';
    });
    expect(await store.read('eu-west', 'absent-key')).toEqual({ status: 'ok', value: { kind: 'absent' } });

    const direct = primary.connect();
    try {
      await direct.connect();
      expect(await direct.get('t1:k')).toBe('v1');
    } finally {
      direct.disconnect();
    }
  });

  it('a writer that is a replica: every write is a fail (READONLY), never indeterminate; db is honoured', async () => {
    const store = await open({ password: PASSWORD, writer: 'eu-west' });
    const write = await store.write('us-east', 'k', 'v');
    expect(write).toMatchObject({ status: 'fail', code: 'READONLY' });
    expect(write.status !== 'ok' && write.error).toMatch(/eu-west at 127\.0\.0\.1:\d+ .*READONLY/);

    const inDb3 = await open({ password: PASSWORD, db: 3, prefix: 'db3:' });
    expect((await inDb3.write('us-east', 'k', 'three')).status).toBe('ok');
    const direct = primary.connect();
    try {
      await direct.connect();
      expect(await direct.get('db3:k')).toBeNull();
      await direct.select(3);
      expect(await direct.get('db3:k')).toBe('three');
    } finally {
      direct.disconnect();
    }
  });

  it('open: a wrong or missing password, or a bad db, is a clear E_CONFIG naming region and endpoint', async () => {
    const wrong = await openError({ password: 'not-the-password-77' });
    expect(wrong.code).toBe('E_CONFIG');
    expect(wrong.message).toContain(`us-east at ${topology.regions[0]!.client.listen}`);
    expect(wrong.message).toContain('WRONGPASS');
    expect(wrong.describe()).not.toContain('not-the-password-77');
    expect(wrong.describe()).not.toContain(PASSWORD);
    expect(wrong.hint).toMatch(/store\.password/);
    expect(wrong.stack ?? '').not.toContain('not-the-password-77');

    const missing = await openError({});
    expect(missing.code).toBe('E_CONFIG');
    expect(missing.message).toMatch(/NOAUTH/);
    expect(missing.hint).toMatch(/store\.password/);

    const db = await openError({ password: PASSWORD, db: 999 });
    expect(db.code).toBe('E_CONFIG');
    expect(db.message).toMatch(/DB index is out of range/);
    expect(db.describe()).not.toContain(PASSWORD);
  });

  it('a region cut off (mode down): writes fail as refused, never sent; reads there fail; others answer', async () => {
    const store = await open({ password: PASSWORD, timeout: '1s' });
    expect((await store.write('us-east', 'k', 'before')).status).toBe('ok');
    await fault({ kind: 'isolate', region: 'us-east', mode: 'down' });
    // The disabled proxy closed the open connection; this read finds it closed (or sends into it: a fail
    // either way), so the write below must open a new connection, which is refused before anything is sent.
    expect(await store.read('us-east', 'k')).toMatchObject({ status: 'fail' });
    const write = await store.write('eu-west', 'k', 'during');
    expect(write).toMatchObject({ status: 'fail', code: 'ECONNREFUSED' });
    expect(write.status !== 'ok' && write.error).toContain(
      `us-east at ${topology.regions[0]!.client.listen}`,
    );
    expect(await store.read('eu-west', 'k')).toMatchObject({ status: 'ok', value: { value: 'before' } });

    const unreachable = await openError({ password: PASSWORD });
    expect(unreachable.code).toBe('E_STORE_UNREACHABLE');
    expect(unreachable.message).toContain(`us-east at ${topology.regions[0]!.client.listen}`);
    expect(unreachable.message).toContain('ECONNREFUSED');

    await heal(driver, topology, { all: true }, { verify: false });
    expect((await store.write('us-east', 'k', 'after')).status).toBe('ok');
  });

  it('a blackholed primary: a sent write is indeterminate, an unsent one a fail; reads fail; then no mix-ups', async () => {
    const store = await open({ password: PASSWORD, timeout: '300ms' });
    expect((await store.write('us-east', 'bh', 'v0')).status).toBe('ok');
    await fault({ kind: 'isolate', region: 'us-east', mode: 'blackhole' });
    const started = Date.now();
    const sent = await store.write('us-east', 'bh', 'v1');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(sent).toMatchObject({ status: 'indeterminate', code: 'TIMEOUT' });
    // The connection that timed out was dropped; a new one cannot finish its handshake: nothing was sent.
    expect(await store.write('us-east', 'bh', 'v2')).toMatchObject({ status: 'fail', code: 'TIMEOUT' });
    expect(await store.read('us-east', 'bh')).toMatchObject({ status: 'fail', code: 'TIMEOUT' });
    expect((await store.read('eu-west', 'bh')).status).toBe('ok');

    await heal(driver, topology, { all: true }, { verify: false });
    expect((await store.write('us-east', 'bh', 'v3')).status).toBe('ok');
    expect(await store.read('us-east', 'bh')).toEqual({
      status: 'ok',
      value: { kind: 'value', value: 'v3' },
    });
    expect(await store.read('us-east', 'other')).toEqual({ status: 'ok', value: { kind: 'absent' } });
  });
});

describe('redis store with Sentinel', () => {
  it('writes go where Sentinel says, through that region’s proxy (or directly), and follow a failover', async () => {
    const SENTINEL_PASSWORD = 'sentinel-test-secret-2c1d';
    const a = servers.add(await startRedis({ password: PASSWORD }));
    const b = servers.add(await startRedis({ password: PASSWORD, replicaOf: a.address }));
    const sentinel = servers.add(
      await startSentinel({
        master: 'geoctl-test',
        primary: a.address,
        authPass: PASSWORD,
        password: SENTINEL_PASSWORD,
      }),
    );
    const own = await startEmbeddedToxiproxy({ port: 0 });
    try {
      const ownDriver = new ToxiproxyDriver(own.url);
      const failover = await redisTopology(own.url, { a: a.address, b: b.address });
      await deploy(ownDriver, failover, false);
      const options = {
        password: PASSWORD,
        timeout: '1s',
        sentinel: { master: 'geoctl-test', addresses: [sentinel.address], password: SENTINEL_PASSWORD },
      };
      const store = await open(options, failover);
      expect(await store.write('b', 'k', 'v1')).toEqual({ status: 'ok', value: { via: 'a' } });
      expect(await store.primaryRegion?.()).toBe('a');

      // A topology without the primary's region: the write goes straight to the address Sentinel gives.
      const onlyB = { ...failover, regions: failover.regions.filter((r) => r.name === 'b') };
      const partial = await open(options, onlyB);
      expect(await partial.write('b', 'k', 'direct')).toEqual({ status: 'ok', value: { via: a.address } });
      expect(await partial.primaryRegion?.()).toBeUndefined();

      const control = sentinel.connect();
      try {
        await control.connect();
        await waitFor('Sentinel knows the replica and fails over to it', async () => {
          await control.call('SENTINEL', 'FAILOVER', 'geoctl-test');
          return true;
        });
        await waitFor('Sentinel reports the replica as the primary', async () => {
          const reply = (await control.call(
            'SENTINEL',
            'get-master-addr-by-name',
            'geoctl-test',
          )) as string[];
          return `${reply[0]}:${reply[1]}` === b.address;
        });
      } finally {
        control.disconnect();
      }
      // Sentinel's answer is trusted for up to a second, and the old primary may take a write meanwhile.
      const after = await waitFor('a write lands on the new primary', async () => {
        const write = await store.write('a', 'k', 'v2');
        return write.status === 'ok' && write.value.via === 'b' ? write : undefined;
      });
      expect(after).toEqual({ status: 'ok', value: { via: 'b' } });
      expect(await store.primaryRegion?.()).toBe('b');
      expect(await store.read('b', 'k')).toEqual({ status: 'ok', value: { kind: 'value', value: 'v2' } });
    } finally {
      await own.close();
    }
  });
});
