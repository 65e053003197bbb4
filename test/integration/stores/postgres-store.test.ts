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
import {
  ServerSet,
  startPostgres,
  startPostgresStandby,
  type PostgresServer,
} from '../../helpers/real-servers.js';
import { waitFor } from '../../helpers/wait-for.js';

// A real PostgreSQL primary (region us-east) and a streaming standby of it (region eu-west), reached
// through geoctl's embedded Toxiproxy, one client proxy per region.

const PASSWORD = 'pg-test-secret-8e21';
const servers = new ServerSet();
const opened: Store[] = [];
let toxiproxy: EmbeddedToxiproxy;
let driver: ToxiproxyDriver;
let primary: PostgresServer;
let standby: PostgresServer;
let topology: Topology;
let seq = 0;

function withStore(options: Record<string, unknown>): Topology {
  return {
    ...topology,
    store: { type: 'postgres', options: { type: 'postgres', ...options }, offsets: new Map() },
  };
}

async function open(options: Record<string, unknown>): Promise<Store> {
  const store = await openStore(withStore(options), {});
  opened.push(store);
  return store;
}

async function openError(options: Record<string, unknown>): Promise<GeoctlError> {
  const error = await openStore(withStore(options), {}).then(
    (store) => {
      opened.push(store);
      throw new Error('openStore succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GeoctlError);
  const geoctl = error as GeoctlError;
  expect(geoctl.describe()).not.toContain(PASSWORD);
  return geoctl;
}

async function fault(request: FaultRequest): Promise<void> {
  const plan = planFault(topology, request, { id: `p${String(++seq).padStart(7, '0')}`, now: Date.now() });
  await injectFault(driver, topology, plan, { verify: false });
}

async function tableExists(server: PostgresServer, table: string): Promise<boolean> {
  const client = await server.client();
  try {
    const { rows } = await client.query('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
    return rows[0].exists === true;
  } finally {
    await client.end();
  }
}

const endpoint = (region: number) =>
  `${topology.regions[region]!.name} at ${topology.regions[region]!.client.listen}`;

beforeAll(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(toxiproxy.url);
  primary = servers.add(await startPostgres({ password: PASSWORD }));
  standby = servers.add(await startPostgresStandby(primary));
  const ports = await freePorts(2);
  topology = {
    file: '/virtual/geoctl.yaml',
    toxiproxy: { kind: 'url', url: toxiproxy.url },
    protocol: 'postgres',
    regions: [
      ['us-east', primary],
      ['eu-west', standby],
    ].map(([name, server], i) => ({
      name: name as string,
      aliases: [],
      client: {
        listen: `127.0.0.1:${ports[i]}`,
        upstream: (server as PostgresServer).address,
        proxy: clientProxyName(name as string),
      },
    })),
    links: [],
  };
  await deploy(driver, topology, false);
}, 60_000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await heal(driver, topology, { all: true }, { verify: false });
});

afterAll(async () => {
  await toxiproxy?.close();
  await servers.stopAll();
}, 30_000);

describe('postgres store options', () => {
  const problems = (options: Record<string, unknown>) =>
    checkStoreOptions(withStore(options)).map((p) => `${p.path}: ${p.message}`);

  it('accepts the documented options and reports each mistake at its path', () => {
    expect(
      problems({
        database: 'geoctl',
        user: 'u',
        password: 'p',
        table: 'public.kv',
        writer: 'eu-west',
        timeout: '500ms',
        connections: 2,
      }),
    ).toEqual([]);
    expect(
      problems({ databse: 'x', table: 'kv; DROP TABLE x', timeout: 'soon', writer: 'moon', connections: 0 }),
    ).toEqual([
      'store.databse: unknown key; expected one of "type", "database", "user", "password", "table", "writer", "timeout", "connections"',
      'store.table: expected a table name or schema.name of letters, digits and _ (e.g. geoctl_kv), got "kv; DROP TABLE x"',
      'store.writer: unknown region "moon"; known regions: us-east, eu-west',
      'store.timeout: expected a duration such as 2s or 500ms, got "soon"',
      'store.connections: expected an integer from 1 to 256, got 0',
    ]);
  });
});

describe('postgres store against a real primary and standby, through the proxies', () => {
  it('creates the table on the writer; writes go there; reads in each region; versions tell writes apart', async () => {
    expect(await tableExists(primary, 'kv_basic')).toBe(false);
    const store = await open({ password: PASSWORD, table: 'kv_basic' });
    expect(await tableExists(primary, 'kv_basic')).toBe(true);
    expect(await store.primaryRegion?.()).toBe('us-east');

    const first = await store.write('eu-west', 'k', 'v1');
    expect(first).toMatchObject({
      status: 'ok',
      value: { via: 'us-east', version: expect.stringMatching(/^\d+$/) },
    });
    const version = first.status === 'ok' ? first.value.version : undefined;
    expect(await store.read('us-east', 'k')).toEqual({
      status: 'ok',
      value: { kind: 'value', value: 'v1', version },
    });
    const replicated = await waitFor('the standby replays the write', async () => {
      const read = await store.read('eu-west', 'k');
      return read.status === 'ok' && read.value.kind === 'value' ? read : undefined;
    });
    expect(replicated).toEqual({ status: 'ok', value: { kind: 'value', value: 'v1', version } });

    const second = await store.write('us-east', 'k', 'v2');
    expect(second.status === 'ok' && second.value.version).not.toBe(version);
    expect(await store.read('us-east', 'k')).toMatchObject({ status: 'ok', value: { value: 'v2' } });
    expect(await store.read('eu-west', 'no-such-key')).toEqual({ status: 'ok', value: { kind: 'absent' } });
  });

  it('a standby as the writer: a missing table is a clear E_CONFIG; with the table, writes fail (25006)', async () => {
    const missing = await openError({ password: PASSWORD, table: 'kv_never', writer: 'eu-west' });
    expect(missing.code).toBe('E_CONFIG');
    expect(missing.message).toContain(endpoint(1));
    expect(missing.message).toMatch(/read-only standby/);
    expect(await tableExists(primary, 'kv_never')).toBe(false);

    await open({ password: PASSWORD, table: 'kv_ro' }); // creates it on the primary
    const store = await open({ password: PASSWORD, table: 'kv_ro', writer: 'eu-west' });
    const write = await store.write('us-east', 'k', 'v');
    expect(write).toMatchObject({ status: 'fail', code: '25006' });
    expect(write.status !== 'ok' && write.error).toContain(endpoint(1));
  });

  it('open: wrong or missing password, unknown database: E_CONFIG naming region and endpoint, never the password', async () => {
    const wrong = await openError({ password: 'not-the-password-55' });
    expect(wrong.code).toBe('E_CONFIG');
    expect(wrong.message).toContain(endpoint(0));
    expect(wrong.message).toContain(endpoint(1));
    expect(wrong.message).toMatch(/password authentication failed for user "postgres" \(28P01\)/);
    expect(wrong.describe()).not.toContain('not-the-password-55');
    expect(wrong.hint).toMatch(/store\.password/);

    const none = await openError({});
    expect(none.code).toBe('E_CONFIG');
    expect(none.hint).toMatch(/store\.password/);

    const database = await openError({ password: PASSWORD, database: 'nope' });
    expect(database.code).toBe('E_CONFIG');
    expect(database.message).toMatch(/database "nope" does not exist \(3D000\)/);
    expect(database.hint).toMatch(/store\.database/);
  });

  it('the writer cut off (mode down): writes fail (never sent), reads there fail; open says unreachable', async () => {
    const store = await open({ password: PASSWORD, table: 'kv_down', timeout: '1s' });
    expect((await store.write('us-east', 'k', 'before')).status).toBe('ok');
    await fault({ kind: 'isolate', region: 'us-east', mode: 'down' });
    // The disabled proxy closed the open connection; this read finds it closed (or sends into it: a fail
    // either way), so the write below must open a new connection, which is refused before anything is sent.
    expect(await store.read('us-east', 'k')).toMatchObject({ status: 'fail' });
    const write = await store.write('eu-west', 'k', 'during');
    expect(write).toMatchObject({ status: 'fail', code: 'ECONNREFUSED' });
    expect(write.status !== 'ok' && write.error).toContain(endpoint(0));

    const unreachable = await openError({ password: PASSWORD, table: 'kv_down' });
    expect(unreachable.code).toBe('E_STORE_UNREACHABLE');
    expect(unreachable.message).toContain(endpoint(0));
    expect(unreachable.message).toContain('ECONNREFUSED');

    await heal(driver, topology, { all: true }, { verify: false });
    expect((await store.write('us-east', 'k', 'after')).status).toBe('ok');
  });

  it('the writer blackholed: a sent write is indeterminate, an unsent one a fail; reads fail; healed: no mix-ups', async () => {
    const store = await open({ password: PASSWORD, table: 'kv_blackhole', timeout: '300ms' });
    expect((await store.write('us-east', 'k', 'v0')).status).toBe('ok');
    await fault({ kind: 'isolate', region: 'us-east', mode: 'blackhole' });
    const started = Date.now();
    const sent = await store.write('us-east', 'k', 'v1');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(sent).toMatchObject({ status: 'indeterminate', code: 'TIMEOUT' });
    expect(sent.status !== 'ok' && sent.error).toContain(endpoint(0));
    // That connection was destroyed; a new one cannot finish its startup: nothing was sent.
    expect(await store.write('us-east', 'k', 'v2')).toMatchObject({ status: 'fail', code: 'TIMEOUT' });
    expect(await store.read('us-east', 'k')).toMatchObject({ status: 'fail', code: 'TIMEOUT' });
    expect((await store.read('eu-west', 'k')).status).toBe('ok');

    const silent = await openError({ password: PASSWORD, table: 'kv_blackhole', timeout: '300ms' });
    expect(silent.code).toBe('E_STORE_UNREACHABLE');
    expect(silent.message).toContain(
      `${endpoint(0)} (proxy to ${primary.address}): no connection within 300 ms`,
    );

    await heal(driver, topology, { all: true }, { verify: false });
    expect((await store.write('us-east', 'k', 'v3')).status).toBe('ok');
    expect(await store.read('us-east', 'k')).toMatchObject({ status: 'ok', value: { value: 'v3' } });
  });
});
