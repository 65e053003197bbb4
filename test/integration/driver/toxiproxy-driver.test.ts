import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import { GeoctlError } from '../../../src/errors.js';

let server: EmbeddedToxiproxy;
let driver: ToxiproxyDriver;

beforeAll(async () => {
  server = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(server.url);
});
afterAll(async () => {
  await server.close();
});

async function expectGeoctlError(promise: Promise<unknown>): Promise<GeoctlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GeoctlError);
  return error as GeoctlError;
}

describe('ToxiproxyDriver against the embedded server', () => {
  it('creates, reads, updates and deletes a proxy', async () => {
    const created = await driver.createProxy({
      name: 'crud',
      listen: '127.0.0.1:0',
      upstream: '127.0.0.1:7001',
    });
    expect(created).toMatchObject({ name: 'crud', upstream: '127.0.0.1:7001', enabled: true, toxics: [] });
    expect(created.listen).toMatch(/^127\.0\.0\.1:\d+$/);

    const disabled = await driver.updateProxy('crud', { enabled: false });
    expect(disabled.enabled).toBe(false);
    const moved = await driver.updateProxy('crud', { upstream: '127.0.0.1:7002', enabled: true });
    expect(moved).toMatchObject({ upstream: '127.0.0.1:7002', enabled: true });

    expect((await driver.listProxies()).map((p) => p.name)).toContain('crud');
    await driver.deleteProxy('crud');
    expect(await driver.getProxy('crud')).toBeUndefined();
  });

  it('adds, updates (merging attributes) and removes toxics', async () => {
    await driver.createProxy({ name: 'tox', listen: '127.0.0.1:0', upstream: '127.0.0.1:7001' });
    const added = await driver.addToxic('tox', {
      name: 'slow',
      type: 'latency',
      stream: 'upstream',
      attributes: { latency: 100, jitter: 10 },
    });
    expect(added).toEqual({
      name: 'slow',
      type: 'latency',
      stream: 'upstream',
      toxicity: 1,
      attributes: { latency: 100, jitter: 10 },
    });
    const updated = await driver.updateToxic('tox', 'slow', { attributes: { latency: 250 } });
    expect(updated.attributes).toEqual({ latency: 250, jitter: 10 });
    expect((await driver.getProxy('tox'))?.toxics.map((t) => t.name)).toEqual(['slow']);
    await driver.removeToxic('tox', 'slow');
    expect((await driver.getProxy('tox'))?.toxics).toEqual([]);
    await driver.deleteProxy('tox');
  });

  it('populates and resets', async () => {
    const proxies = await driver.populate([
      { name: 'pop-a', listen: '127.0.0.1:0', upstream: '127.0.0.1:7001' },
      { name: 'pop-b', listen: '127.0.0.1:0', upstream: '127.0.0.1:7002', enabled: false },
    ]);
    expect(proxies.map((p) => [p.name, p.enabled])).toEqual([
      ['pop-a', true],
      ['pop-b', false],
    ]);
    await driver.addToxic('pop-a', {
      name: 'cut',
      type: 'timeout',
      stream: 'downstream',
      attributes: { timeout: 0 },
    });
    await driver.reset();
    const after = await driver.listProxies();
    expect(
      after.filter((p) => p.name.startsWith('pop-')).every((p) => p.enabled && p.toxics.length === 0),
    ).toBe(true);
    await driver.deleteProxy('pop-a');
    await driver.deleteProxy('pop-b');
  });

  it('reports the server version', async () => {
    expect(await driver.version()).toBe('2.12.0');
  });

  it("keeps the server's own message, the status and the request in API errors", async () => {
    await driver.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: '127.0.0.1:7001' });
    const duplicate = await expectGeoctlError(
      driver.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: '127.0.0.1:7001' }),
    );
    expect(duplicate.code).toBe('E_TOXIPROXY_API');
    expect(duplicate.message).toContain(server.url);
    expect(duplicate.message).toContain('create proxy "dup"');
    expect(duplicate.message).toContain('proxy already exists');
    expect(duplicate.message).toContain('HTTP 409 on POST /proxies');
    expect(duplicate.exitCode).toBe(1);

    const badType = await expectGeoctlError(
      driver.addToxic('dup', { name: 'x', type: 'no-such-toxic', stream: 'downstream', attributes: {} }),
    );
    expect(badType.message).toContain('invalid toxic type');
    expect(badType.message).toContain('HTTP 400');

    const missing = await expectGeoctlError(driver.deleteProxy('nope'));
    expect(missing.message).toContain('proxy not found');
    expect(missing.message).toContain('HTTP 404');
    await driver.deleteProxy('dup');
  });

  it('says no Toxiproxy answers, with a hint, when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const error = await expectGeoctlError(new ToxiproxyDriver(`http://127.0.0.1:${port}`).listProxies());
    expect(error.code).toBe('E_TOXIPROXY_UNREACHABLE');
    expect(error.message).toBe(
      `no Toxiproxy answers at http://127.0.0.1:${port} (could not list proxies: connection refused)`,
    );
    expect(error.hint).toContain('geoctl toxiproxy serve');
  });

  it('times out on a server that accepts but never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const error = await expectGeoctlError(
        new ToxiproxyDriver(`http://127.0.0.1:${port}`, { timeoutMs: 300 }).version(),
      );
      expect(error.code).toBe('E_TOXIPROXY_UNREACHABLE');
      expect(error.message).toContain('no answer in time');
    } finally {
      silent.close();
    }
  });

  it('flags a URL that is not a Toxiproxy API', async () => {
    const web: HttpServer = createHttpServer((_req, res) => res.end('<html>hello</html>'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const port = (web.address() as AddressInfo).port;
    try {
      const error = await expectGeoctlError(new ToxiproxyDriver(`http://127.0.0.1:${port}`).listProxies());
      expect(error.code).toBe('E_TOXIPROXY_PROTOCOL');
      expect(error.message).toContain('not JSON');
    } finally {
      web.close();
    }
  });
});
