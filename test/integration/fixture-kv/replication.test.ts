import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import { planFault } from '../../../src/chaos/faults/plan-fault.js';
import type { FaultRequest } from '../../../src/chaos/faults/fault.js';
import { deploy } from '../../../src/chaos/services/deploy.js';
import { heal } from '../../../src/chaos/services/heal.js';
import { injectFault } from '../../../src/chaos/services/inject-fault.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import { startFixtureKv, type FixtureKv } from '../../../src/stores/fixture-kv/kv-cluster.js';
import type { KvOptions } from '../../../src/stores/fixture-kv/kv-types.js';
import type { Topology } from '../../../src/topology/topology.js';
import { kvTopology } from '../../helpers/kv-topology.js';

let toxiproxy: EmbeddedToxiproxy;
let driver: ToxiproxyDriver;
let kv: FixtureKv | undefined;
let faultSeq = 0;

beforeEach(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(toxiproxy.url);
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
  await toxiproxy.close();
});

async function cluster(
  links?: Array<[string, string]>,
  options: Partial<KvOptions> = {},
): Promise<{ topology: Topology; kv: FixtureKv }> {
  const topology = await kvTopology(toxiproxy.url, links);
  await deploy(driver, topology, false);
  kv = await startFixtureKv(topology, { batchMs: 0, ...options });
  // Replication is up once every region has a peer.
  await Promise.all(
    [...kv.nodes.values()].map(
      (node) =>
        new Promise<void>((resolve) => {
          const check = setInterval(() => {
            if ((node.status().peers as string[]).length > 0) {
              clearInterval(check);
              resolve();
            }
          }, 10);
        }),
    ),
  );
  return { topology, kv };
}

async function put(topology: Topology, region: string, key: string, value: string): Promise<Response> {
  const listen = topology.regions.find((r) => r.name === region)!.client.listen;
  return fetch(`http://${listen}/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: value });
}

interface KvBody {
  value?: string;
  siblings: Array<{ value: string }>;
}

async function get(
  topology: Topology,
  region: string,
  key: string,
): Promise<{ status: number; body: KvBody }> {
  const listen = topology.regions.find((r) => r.name === region)!.client.listen;
  const res = await fetch(`http://${listen}/kv/${encodeURIComponent(key)}`);
  return { status: res.status, body: (await res.json()) as KvBody };
}

async function fault(topology: Topology, request: FaultRequest): Promise<void> {
  const plan = planFault(topology, request, {
    id: `t${String(++faultSeq).padStart(7, '0')}`,
    now: Date.now(),
  });
  await injectFault(driver, topology, plan, { verify: false });
}

describe('fixture kv store replicating through the proxies', () => {
  it('replicates a write to every region, through a neighbour where there is no direct link', async () => {
    const { topology, kv } = await cluster();
    const res = await put(topology, 'eu-west', 'greeting', 'hello');
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { id: string };
    const truth = await kv.until(
      (t) => Object.keys(t.writes.find((w) => w.id === ack.id)?.applied ?? {}).length === 3,
    );
    const write = truth.writes.find((w) => w.id === ack.id)!;
    // ap-south has no link to eu-west: the write reached it through us-east.
    expect(write.applied['ap-south']).toBeGreaterThanOrEqual(write.applied['us-east']!);
    for (const region of ['us-east', 'eu-west', 'ap-south']) {
      expect(await get(topology, region, 'greeting')).toMatchObject({
        status: 200,
        body: { value: 'hello' },
      });
    }
    expect((await get(topology, 'us-east', 'missing')).status).toBe(404);
  });

  it('replication delay follows latency injected on the link', async () => {
    const { topology, kv } = await cluster();
    await fault(topology, {
      kind: 'latency',
      a: ['eu-west'],
      b: ['us-east'],
      oneway: false,
      latencyMs: 150,
      jitterMs: 0,
    });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ack = (await (await put(topology, 'eu-west', `k${i}`, `v${i}`)).json()) as { id: string };
      const truth = await kv.until(
        (t) => t.writes.find((w) => w.id === ack.id)?.applied['us-east'] !== undefined,
      );
      const write = truth.writes.find((w) => w.id === ack.id)!;
      delays.push(write.applied['us-east']! - write.applied['eu-west']!);
    }
    // Ground truth: 150 ms on the eu-west → us-east stream; the store adds little on top (batchMs 0).
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(145);
      expect(delay).toBeLessThan(230);
    }
  });

  it('a partition stops replication and heal drains the backlog', async () => {
    const { topology, kv } = await cluster();
    await fault(topology, {
      kind: 'partition',
      a: ['eu-west'],
      b: ['us-east'],
      oneway: false,
      mode: 'blackhole',
    });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(((await (await put(topology, 'eu-west', `p${i}`, `v${i}`)).json()) as { id: string }).id);
    // Heartbeats flow every 100 ms; several rounds pass with nothing reaching us-east.
    await new Promise((r) => setTimeout(r, 400));
    const during = kv.truth().writes.filter((w) => ids.includes(w.id));
    expect(
      during.every((w) => w.applied['us-east'] === undefined && w.applied['ap-south'] === undefined),
    ).toBe(true);
    await heal(driver, topology, {}, { verify: false });
    const after = await kv.until((t) =>
      ids.every((id) => Object.keys(t.writes.find((w) => w.id === id)!.applied).length === 3),
    );
    expect(after.writes.filter((w) => ids.includes(w.id))).toHaveLength(20);
    expect((await get(topology, 'ap-south', 'p19')).body.value).toBe('v19');
  });

  it('active-active conflicts: last writer wins on the HLC, or both are kept as siblings', async () => {
    for (const conflicts of ['lww', 'siblings'] as const) {
      const { topology, kv } = await cluster(undefined, { conflicts });
      await fault(topology, {
        kind: 'partition',
        a: ['eu-west'],
        b: ['us-east'],
        oneway: false,
        mode: 'blackhole',
      });
      const first = (await (await put(topology, 'eu-west', 'x', 'from-eu')).json()) as { id: string };
      const second = (await (await put(topology, 'us-east', 'x', 'from-us')).json()) as { id: string };
      await heal(driver, topology, {}, { verify: false });
      await kv.until((t) =>
        [first.id, second.id].every(
          (id) => Object.keys(t.writes.find((w) => w.id === id)!.applied).length === 3,
        ),
      );
      for (const region of ['us-east', 'eu-west', 'ap-south']) {
        const read = await get(topology, region, 'x');
        if (conflicts === 'lww') expect(read).toMatchObject({ status: 200, body: { value: 'from-us' } });
        else {
          expect(read.status).toBe(300);
          expect(read.body.siblings.map((s: { value: string }) => s.value).sort()).toEqual([
            'from-eu',
            'from-us',
          ]);
        }
      }
      // A later write that saw both siblings replaces them.
      if (conflicts === 'siblings') {
        const fix = (await (await put(topology, 'ap-south', 'x', 'merged')).json()) as { id: string };
        await kv.until((t) => Object.keys(t.writes.find((w) => w.id === fix.id)!.applied).length === 3);
        expect(await get(topology, 'eu-west', 'x')).toMatchObject({ status: 200, body: { value: 'merged' } });
      }
      await kv.close();
      await driver.reset();
    }
  });
});
