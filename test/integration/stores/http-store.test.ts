import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { startFixtureKv, type FixtureKv } from '../../../src/stores/fixture-kv/kv-cluster.js';
import type { KvOptions } from '../../../src/stores/fixture-kv/kv-types.js';
import { openStore } from '../../../src/stores/open-store.js';
import type { Store } from '../../../src/stores/store.js';
import type { Topology } from '../../../src/topology/topology.js';
import { kvTopology } from '../../helpers/kv-topology.js';

let toxiproxy: EmbeddedToxiproxy;
let driver: ToxiproxyDriver;
let kv: FixtureKv | undefined;
let store: Store | undefined;
let dir: string;
let seq = 0;

beforeEach(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(toxiproxy.url);
  dir = await mkdtemp(join(tmpdir(), 'geoctl-store-'));
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  await kv?.close();
  kv = undefined;
  await toxiproxy.close();
  await rm(dir, { recursive: true, force: true });
});

async function setUp(
  storeSection: Record<string, unknown>,
  options: Partial<KvOptions> = {},
): Promise<{ topology: Topology; kv: FixtureKv; store: Store }> {
  const base = await kvTopology(toxiproxy.url);
  const topology: Topology = {
    ...base,
    file: join(dir, 'geoctl.yaml'),
    store: { type: storeSection.type as string, options: storeSection, offsets: new Map() },
  };
  await deploy(driver, topology, false);
  kv = await startFixtureKv(topology, { batchMs: 0, ...options });
  store = await openStore(topology, {});
  return { topology, kv, store };
}

async function fault(topology: Topology, request: FaultRequest): Promise<void> {
  const plan = planFault(topology, request, { id: `s${String(++seq).padStart(7, '0')}`, now: Date.now() });
  await injectFault(driver, topology, plan, { verify: false });
}

describe('store adapters against the fixture kv store, through the proxies', () => {
  it('fixture: write acks with a version; reads give the value, absent, or siblings', async () => {
    const { topology, kv, store } = await setUp({ type: 'fixture' }, { conflicts: 'siblings' });
    const ack = await store.write('eu-west', 'k', 'v1');
    expect(ack).toMatchObject({ status: 'ok', value: { version: expect.stringMatching(/@eu-west$/) } });
    await kv.until((t) => t.writes.every((w) => Object.keys(w.applied).length === 3));
    expect(await store.read('ap-south', 'k')).toMatchObject({
      status: 'ok',
      value: { kind: 'value', value: 'v1' },
    });
    expect(await store.read('us-east', 'nope')).toEqual({ status: 'ok', value: { kind: 'absent' } });

    await fault(topology, {
      kind: 'partition',
      a: ['eu-west'],
      b: ['us-east'],
      oneway: false,
      mode: 'blackhole',
    });
    expect((await store.write('eu-west', 'c', 'a')).status).toBe('ok');
    expect((await store.write('us-east', 'c', 'b')).status).toBe('ok');
    await heal(driver, topology, {}, { verify: false });
    await kv.until((t) => t.writes.every((w) => Object.keys(w.applied).length === 3));
    const read = await store.read('eu-west', 'c');
    expect(read.status).toBe('ok');
    expect(read.status === 'ok' && read.value.kind === 'siblings' && [...read.value.values].sort()).toEqual([
      'a',
      'b',
    ]);
  });

  it('a write that times out is indeterminate; one refused before sending is a fail; reads that time out fail', async () => {
    const { topology, store } = await setUp({ type: 'fixture', timeout: '300ms' });
    await fault(topology, { kind: 'isolate', region: 'eu-west', mode: 'blackhole' });
    const write = await store.write('eu-west', 'k', 'v');
    expect(write).toMatchObject({ status: 'indeterminate', code: 'TIMEOUT' });
    expect(write.status !== 'ok' && write.error).toContain('eu-west');
    const read = await store.read('eu-west', 'k');
    expect(read).toMatchObject({ status: 'fail', code: 'TIMEOUT' });
    await heal(driver, topology, {}, { verify: false });

    await fault(topology, { kind: 'isolate', region: 'ap-south', mode: 'down' });
    expect(await store.write('ap-south', 'k', 'v')).toMatchObject({ status: 'fail', code: 'ECONNREFUSED' });
  });

  it('primary mode: a write to a replica fails (503); a sync write with no quorum is indeterminate (504)', async () => {
    const { topology, store } = await setUp(
      { type: 'fixture', timeout: '3s' },
      { mode: 'primary', primary: 'us-east', ack: 'sync', syncTimeoutMs: 300, failoverAfterMs: 60_000 },
    );
    expect(await store.write('eu-west', 'k', 'v')).toMatchObject({ status: 'fail', code: 'HTTP_503' });
    expect((await store.write('us-east', 'k', 'v')).status).toBe('ok');
    await fault(topology, {
      kind: 'partition',
      a: ['us-east'],
      b: ['eu-west', 'ap-south'],
      oneway: false,
      mode: 'blackhole',
    });
    expect(await store.write('us-east', 'k2', 'v')).toMatchObject({
      status: 'indeterminate',
      code: 'HTTP_504',
    });
  });

  it('http: a generic JSON API described by templates and pointers (here the fixture, with base64 off)', async () => {
    const { kv, store } = await setUp({
      type: 'http',
      read: { path: '/kv/{key}' },
      write: { method: 'POST', path: '/kv/{key}', body: '{value}' },
      value: '/value',
      writeVersion: '/id',
    });
    const ack = await store.write('us-east', 'a/b c', 'x y');
    expect(ack).toMatchObject({ status: 'ok', value: { version: expect.stringMatching(/^us-east:\d+$/) } });
    await kv.until((t) => t.writes.every((w) => Object.keys(w.applied).length === 3));
    expect(await store.read('eu-west', 'a/b c')).toMatchObject({
      status: 'ok',
      value: { kind: 'value', value: 'x y' },
    });
  });

  it('module: loads a user adapter, and contains one that throws or returns garbage', async () => {
    await writeFile(
      join(dir, 'adapter.mjs'),
      `export default async function ({ regions, options }) {
  const base = Object.fromEntries(regions.map((r) => [r.name, 'http://' + r.endpoint]));
  return {
    async write(region, key, value) {
      if (value === 'boom') throw new Error('adapter exploded');
      if (value === 'junk') return 42;
      const res = await fetch(base[region] + '/kv/' + options.prefix + key, { method: 'PUT', body: value });
      return res.ok ? { status: 'ok', value: {} } : { status: 'fail', error: 'HTTP ' + res.status };
    },
    async read(region, key) {
      const res = await fetch(base[region] + '/kv/' + options.prefix + key);
      if (res.status === 404) return { status: 'ok', value: { kind: 'absent' } };
      return { status: 'ok', value: { kind: 'value', value: (await res.json()).value } };
    },
    async close() {},
  };
}
`,
    );
    const { kv, store } = await setUp({ type: 'module', module: './adapter.mjs', options: { prefix: 'm-' } });
    expect(await store.write('eu-west', 'k', 'v')).toEqual({ status: 'ok', value: {} });
    await kv.until((t) => t.writes.some((w) => w.key === 'm-k' && Object.keys(w.applied).length === 3));
    expect(await store.read('ap-south', 'k')).toEqual({ status: 'ok', value: { kind: 'value', value: 'v' } });
    expect(await store.write('eu-west', 'k', 'boom')).toMatchObject({
      status: 'indeterminate',
      code: 'ADAPTER_THREW',
    });
    expect(await store.write('eu-west', 'k', 'junk')).toMatchObject({
      status: 'indeterminate',
      code: 'BAD_OUTCOME',
    });
  });

  it('module: a file without a default export function is a clear config error', async () => {
    await writeFile(join(dir, 'bad.mjs'), 'export const nothing = 1;\n');
    await expect(setUp({ type: 'module', module: './bad.mjs' })).rejects.toThrow(
      /no default export function/,
    );
    await expect(setUp({ type: 'module', module: './missing.mjs' })).rejects.toThrow(
      /cannot load the store module/,
    );
  });
});
