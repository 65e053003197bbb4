import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import { planFault } from '../../../src/chaos/faults/plan-fault.js';
import { deploy } from '../../../src/chaos/services/deploy.js';
import { injectFault } from '../../../src/chaos/services/inject-fault.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import { openStore } from '../../../src/stores/open-store.js';
import type { Store } from '../../../src/stores/store.js';
import type { Topology } from '../../../src/topology/topology.js';
import { kvTopology } from '../../helpers/kv-topology.js';

// The README's custom-adapter example, run against real memcached servers (one per region).
const adapter = fileURLToPath(new URL('../../../fixtures/adapters/memcached-adapter.mjs', import.meta.url));

let toxiproxy: EmbeddedToxiproxy;
let servers: ChildProcess[] = [];
let store: Store | undefined;

async function startMemcached(address: string): Promise<ChildProcess> {
  const [host, port] = address.split(':') as [string, string];
  const child = spawn('memcached', ['-l', host, '-p', port, '-U', '0', '-u', 'nobody', '-m', '16'], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', () => reject(new Error('memcached is not installed: apt-get install -y memcached')));
    child.once('exit', (code) => reject(new Error(`memcached on ${address} exited with ${code}`)));
  });
  const deadline = Date.now() + 5_000;
  for (;;) {
    const up = await Promise.race([
      failed,
      new Promise<boolean>((resolve) => {
        const socket = connect({ host, port: Number(port) }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    ]);
    if (up) return child;
    if (Date.now() > deadline) throw new Error(`memcached on ${address} did not start within 5 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  for (const child of servers) child.kill('SIGKILL');
  servers = [];
  await toxiproxy.close();
});

async function setUp(): Promise<{ topology: Topology; store: Store; driver: ToxiproxyDriver }> {
  const base = await kvTopology(toxiproxy.url, []);
  const topology: Topology = {
    ...base,
    protocol: 'tcp',
    store: {
      type: 'module',
      options: { type: 'module', module: adapter, options: { timeoutMs: 400 } },
      offsets: new Map(),
    },
  };
  servers = await Promise.all(topology.regions.map((r) => startMemcached(r.client.upstream)));
  const driver = new ToxiproxyDriver(toxiproxy.url);
  await deploy(driver, topology, false);
  store = await openStore(topology, {});
  return { topology, store, driver };
}

describe('the README custom adapter (memcached, as a module)', () => {
  it('writes and reads through each region’s client proxy', async () => {
    const { store } = await setUp();
    expect(await store.write('eu-west', 'k', 'hello world')).toEqual({ status: 'ok', value: {} });
    expect(await store.read('eu-west', 'k')).toEqual({
      status: 'ok',
      value: { kind: 'value', value: 'hello world' },
    });
    // Memcached does not replicate: another region's server has no such key.
    expect(await store.read('us-east', 'k')).toEqual({ status: 'ok', value: { kind: 'absent' } });
  });

  it('reports a blackholed write as indeterminate and a refused one as failed', async () => {
    const { topology, store, driver } = await setUp();
    const isolate = (region: string, mode: 'blackhole' | 'down', id: string) =>
      injectFault(
        driver,
        topology,
        planFault(topology, { kind: 'isolate', region, mode }, { id, now: Date.now() }),
        {
          verify: false,
        },
      );
    await isolate('eu-west', 'blackhole', 'mc000001');
    expect(await store.write('eu-west', 'k', 'v')).toMatchObject({ status: 'indeterminate' });
    expect(await store.read('eu-west', 'k')).toMatchObject({ status: 'fail' });
    await isolate('ap-south', 'down', 'mc000002');
    expect(await store.write('ap-south', 'k', 'v')).toMatchObject({ status: 'fail', code: 'ECONNREFUSED' });
  });
});
