import { describe, expect, it } from 'vitest';
import { ToxiproxyApi, type ApiOptions } from '../../../src/chaos/embedded/api.js';
import { ProxyCollection } from '../../../src/chaos/embedded/proxy-collection.js';
import type { Proxy, ProxySpec } from '../../../src/chaos/embedded/proxy.js';
import { http, httpJson, parseRawResponse, rawExchange, XID_PATTERN } from '../../helpers/http.js';
import { expectErrorDoc, onCleanup, startServer } from './fixtures.js';

const MiB = 1 << 20;

/** An API on a free port with the given options (short timeouts for tests). */
async function startApi(options: Partial<ApiOptions> & { proxies?: ProxyCollection } = {}) {
  const proxies = options.proxies ?? new ProxyCollection();
  const api = new ToxiproxyApi({ ...options, proxies });
  const { port } = await api.listen('127.0.0.1', 0);
  onCleanup(async () => {
    await api.close();
    await proxies.closeAll();
  });
  return { api, proxies, port, url: `http://127.0.0.1:${port}` };
}

/** Resolves with the access-log entry of the first request to `url` once its response is over. */
function accessLogFor(url: string): {
  log: (entry: Record<string, unknown>) => void;
  done: Promise<Record<string, unknown>>;
} {
  let resolve: (entry: Record<string, unknown>) => void = () => undefined;
  const done = new Promise<Record<string, unknown>>((r) => (resolve = r));
  return { log: (entry) => entry.url === url && entry.level === 'debug' && resolve(entry), done };
}

describe('beyond the official server: limits and robustness', () => {
  it('refuses a body over 1 MiB with 413 and an error document naming the limit, then keeps serving', async () => {
    const server = await startServer();
    const body = JSON.stringify({ name: 'big', upstream: 'x:1', padding: 'x'.repeat(MiB) });
    const res = await http(server.url, 'POST', '/proxies', { body });
    expectErrorDoc(res, 413, 'request body too large: the limit is 1048576 bytes');
    expect(res.headers.connection).toBe('close');
    expect(server.proxies.list()).toHaveLength(0);
    expect((await http(server.url, 'GET', '/version')).status).toBe(200);
  });

  it('refuses a declared Content-Length over the limit without waiting for the body', async () => {
    const server = await startServer();
    const raw = await rawExchange(
      server.port,
      `POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * MiB}\r\n\r\n{"name":`,
    );
    const res = parseRawResponse(raw);
    expect(res.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
    expect(res.body).toBe('{"error":"request body too large: the limit is 1048576 bytes","status":413}\n');
  });

  it('counts chunked bodies too, and /populate answers its 413 as JSON', async () => {
    const server = await startServer();
    const chunk = 'x'.repeat(64 * 1024);
    let raw = 'POST /populate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (let i = 0; i < 17; i++) raw += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    raw += '0\r\n\r\n';
    const res = parseRawResponse(await rawExchange(server.port, raw));
    expect(res.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toBe(
      '{"error":"request body too large: the limit is 1048576 bytes","status":413,"proxies":null}',
    );
  });

  it('survives a client that vanishes mid-body, creating nothing', async () => {
    const access = accessLogFor('/proxies');
    const server = await startServer({ log: access.log });
    await new Promise<void>((resolve, reject) => {
      import('node:net')
        .then(({ connect }) => {
          const socket = connect(server.port, '127.0.0.1', () => {
            socket.write(
              'POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"name":"half"',
              () => {
                socket.destroy();
                resolve();
              },
            );
          });
          socket.on('error', reject);
        })
        .catch(reject);
    });
    const entry = await access.done;
    expect(entry.completed).toBe(false);
    expect(server.proxies.list()).toHaveLength(0);
    expect((await http(server.url, 'GET', '/version')).status).toBe(200);
  });

  it('answers a body that stops arriving with Go’s read timeout error and closes the connection', async () => {
    const { port } = await startApi({ readTimeoutMs: 200 });
    const raw = await rawExchange(
      port,
      'POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"name":',
    );
    const res = parseRawResponse(raw);
    expect(res.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body)).toEqual({
      error: expect.stringMatching(
        /^bad request body: read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: i\/o timeout$/,
      ),
      status: 400,
    });
  });

  it('drops a connection whose headers do not arrive in time, without an answer (as Go does)', async () => {
    const { port, url } = await startApi({ readTimeoutMs: 200 });
    expect(await rawExchange(port, 'GET /version HTTP/1.1\r\nHost: x\r\n')).toBe('');
    expect((await http(url, 'GET', '/version')).status).toBe(200);
  });

  it('answers a handler still running after the handler timeout with an empty 503; the server keeps serving', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class SlowCollection extends ProxyCollection {
      override async add(spec: ProxySpec, enabled: boolean): Promise<Proxy> {
        await gate;
        return super.add(spec, enabled);
      }
    }
    const { url, proxies } = await startApi({ proxies: new SlowCollection(), handlerTimeoutMs: 100 });
    const res = await httpJson(url, 'POST', '/proxies', { name: 'slow', upstream: 'x:1', enabled: false });
    expect(res.status).toBe(503);
    expect(res.bodyBytes.length).toBe(0);
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['x-toxiproxy-request-id']).toMatch(XID_PATTERN);
    release();
    // Like Go's TimeoutHandler, the handler itself ran to completion; only its answer was dropped.
    const shown = await http(url, 'GET', '/proxies/slow');
    expect(shown.status).toBe(200);
    expect(proxies.list()).toHaveLength(1);
  });

  it('answers an exception inside a handler with 500 and an error document, and keeps serving', async () => {
    class BrokenCollection extends ProxyCollection {
      override list(): Proxy[] {
        throw new TypeError('collection exploded');
      }
    }
    const logged: Array<Record<string, unknown>> = [];
    const { url } = await startApi({ proxies: new BrokenCollection(), log: (entry) => logged.push(entry) });
    expectErrorDoc(await http(url, 'GET', '/proxies'), 500, 'collection exploded');
    expect((await http(url, 'GET', '/version')).status).toBe(200);
    expect(
      logged.some((entry) => entry.level === 'error' && String(entry.error).includes('collection exploded')),
    ).toBe(true);
  });

  it('answers headers over 1 MiB with Go’s 431 and closes the connection', async () => {
    const server = await startServer();
    const raw = await rawExchange(
      server.port,
      `GET /version HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(MiB + 1024)}\r\n\r\n`,
    );
    const res = parseRawResponse(raw);
    expect(res.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(res.body).toBe('431 Request Header Fields Too Large');
    expect((await http(server.url, 'GET', '/version')).status).toBe(200);
  });

  it('keeps serving after a burst of malformed requests', async () => {
    const server = await startServer();
    const bad = [
      'GET / HTTP/9.9\r\n\r\n',
      'POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'GET /version HTTP/1.1\r\nHost: x\r\nX-Bad\x01Header: y\r\n\r\n',
      '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03',
      'POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n\xff\xfe\x00',
    ];
    const answers = await Promise.all(bad.map((request) => rawExchange(server.port, request)));
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect((await http(server.url, 'GET', '/version')).status).toBe(200);
  });
});
