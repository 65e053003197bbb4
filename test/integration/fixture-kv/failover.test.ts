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
import { startFixtureKv, type FixtureKv } from '../../../src/stores/fixture-kv/kv-cluster.js';
import type { KvOptions } from '../../../src/stores/fixture-kv/kv-types.js';
import type { Topology } from '../../../src/topology/topology.js';
import { kvTopology } from '../../helpers/kv-topology.js';

const MESH: Array<[string, string]> = [
  ['eu-west', 'us-east'],
  ['ap-south', 'us-east'],
  ['ap-south', 'eu-west'],
];
const ALL = ['us-east', 'eu-west', 'ap-south'];

let toxiproxy: EmbeddedToxiproxy;
let driver: ToxiproxyDriver;
let kv: FixtureKv | undefined;

beforeEach(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(toxiproxy.url);
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
  await toxiproxy.close();
});

async function primaryCluster(options: Partial<KvOptions>): Promise<{ topology: Topology; kv: FixtureKv }> {
  const topology = await kvTopology(toxiproxy.url, MESH);
  await deploy(driver, topology, false);
  kv = await startFixtureKv(topology, {
    mode: 'primary',
    primary: 'us-east',
    batchMs: 0,
    heartbeatMs: 50,
    failoverAfterMs: 600,
    syncTimeoutMs: 1_000,
    ...options,
  });
  return { topology, kv };
}

/** A client in us-east itself, writing straight to the node (isolate cuts the proxied client endpoint). */
async function writeInUsEast(kv: FixtureKv, key: string): Promise<{ status: string; id?: string }> {
  return kv.nodes.get('us-east')!.write(key, `value-of-${key}`);
}

const appliedEverywhere = (ids: string[]) => (t: ReturnType<FixtureKv['truth']>) =>
  ids.every((id) => ALL.every((r) => t.writes.find((w) => w.id === id)?.applied[r] !== undefined));

describe('fixture kv store, primary mode', () => {
  it('fails over when the primary is cut off and loses exactly the acked writes it had not replicated', async () => {
    const { topology, kv } = await primaryCluster({ ack: 'async' });
    const before: string[] = [];
    for (let i = 0; i < 10; i++) before.push((await writeInUsEast(kv, `before-${i}`)).id!);
    await kv.until(appliedEverywhere(before));
    expect((await kv.nodes.get('eu-west')!.write('x', 'y')).status).toBe('not-primary');

    const plan = planFault(
      topology,
      { kind: 'isolate', region: 'us-east', mode: 'blackhole' },
      { id: 'fo000001', now: Date.now() },
    );
    await injectFault(driver, topology, plan, { verify: false });
    const during: string[] = [];
    for (let i = 0; i < 15; i++) {
      const ack = await writeInUsEast(kv, `during-${i}`);
      expect(ack.status).toBe('ok'); // async ack: the isolated primary still acknowledges
      during.push(ack.id!);
    }
    const failedOver = await kv.until((t) => t.failovers.length > 0);
    expect(failedOver.failovers[0]).toMatchObject({
      from: 'us-east',
      to: 'eu-west',
      term: 2,
      fencedAfterSeq: 10,
    });
    const newWrite = await kv.nodes.get('eu-west')!.write('after', 'new-primary');
    expect(newWrite.status).toBe('ok');

    await heal(driver, topology, {}, { verify: false });
    const truth = await kv.until(
      (t) => t.lostAcked.length === during.length && appliedEverywhere([newWrite.id!])(t),
    );
    // Ground truth: the 15 writes acknowledged by the isolated primary, and nothing else.
    expect(truth.lostAcked.map((w) => w.id).sort()).toEqual([...during].sort());
    expect(kv.nodes.get('us-east')!.status()).toMatchObject({ role: 'replica', primary: 'eu-west', term: 2 });
    expect(kv.nodes.get('us-east')!.state.read('during-0')).toEqual({ kind: 'absent' });
    expect(kv.nodes.get('us-east')!.state.read('before-9')).toMatchObject({
      kind: 'value',
      value: 'value-of-before-9',
    });
    expect((await writeInUsEast(kv, 'fenced')).status).toBe('not-primary');
  });

  it('with sync acks an isolated primary cannot acknowledge, so a failover loses no acknowledged write', async () => {
    const { topology, kv } = await primaryCluster({ ack: 'sync' });
    const before: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ack = await writeInUsEast(kv, `before-${i}`);
      expect(ack.status).toBe('ok');
      before.push(ack.id!);
    }
    const plan = planFault(
      topology,
      { kind: 'isolate', region: 'us-east', mode: 'blackhole' },
      { id: 'fo000002', now: Date.now() },
    );
    await injectFault(driver, topology, plan, { verify: false });
    const during = await Promise.all([0, 1, 2].map((i) => writeInUsEast(kv, `during-${i}`)));
    expect(during.map((d) => d.status)).toEqual(['timeout', 'timeout', 'timeout']); // indeterminate, not failed
    await kv.until((t) => t.failovers.length > 0);
    await heal(driver, topology, {}, { verify: false });
    const truth = await kv.until((t) =>
      during.every((d) => Object.keys(t.writes.find((w) => w.id === d.id)!.discarded).length > 0),
    );
    expect(truth.lostAcked).toEqual([]);
    for (const id of before)
      expect(ALL.every((r) => truth.writes.find((w) => w.id === id)!.applied[r] !== undefined)).toBe(true);
  });
});
