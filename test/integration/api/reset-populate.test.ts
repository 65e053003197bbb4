import { describe, expect, it } from 'vitest';
import { http, httpJson } from '../../helpers/http.js';
import {
  connectOutcome,
  expectErrorDoc,
  expectJson,
  latencyDoc,
  occupyPort,
  portOf,
  proxyDoc,
  roundTrip,
  startEchoServer,
  startServer,
} from './fixtures.js';
import { XID_PATTERN, type HttpResult } from '../../helpers/http.js';

/** /populate answers errors as JSON too (spec C.4). */
function expectPopulateError(
  res: HttpResult,
  status: number,
  message: string,
  proxies: string[] | null,
): void {
  const list = proxies === null ? 'null' : `[${proxies.join(',')}]`;
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: `{"error":${JSON.stringify(message)},"status":${status},"proxies":${list}}`,
  });
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['x-toxiproxy-request-id']).toMatch(XID_PATTERN);
}

describe('POST /reset', () => {
  it('enables every proxy (rebinding disabled ones) and removes every toxic: 204, empty body', async () => {
    const server = await startServer();
    const upstream = await startEchoServer();
    const created = await httpJson(server.url, 'POST', '/proxies', {
      name: 'a',
      listen: '127.0.0.1:0',
      upstream: upstream.address,
    });
    const port = portOf(JSON.parse(created.body).listen);
    await httpJson(server.url, 'POST', '/proxies/a/toxics', {
      type: 'latency',
      attributes: { latency: 1000 },
    });
    await httpJson(server.url, 'PATCH', '/proxies/a', { enabled: false });
    await httpJson(server.url, 'POST', '/proxies', {
      name: 'b',
      upstream: upstream.address,
      enabled: false,
      listen: '127.0.0.1:0',
    });
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');

    const res = await http(server.url, 'POST', '/reset', { body: 'ignored {' });
    expect(res.status).toBe(204);
    expect(res.bodyBytes.length).toBe(0);
    expect(res.headers['x-toxiproxy-request-id']).toMatch(XID_PATTERN);

    expectJson(
      await http(server.url, 'GET', '/proxies/a'),
      200,
      proxyDoc('a', `127.0.0.1:${port}`, upstream.address, true),
    );
    const b = JSON.parse((await http(server.url, 'GET', '/proxies/b')).body);
    expect(b).toMatchObject({ enabled: true, toxics: [] });
    expect(portOf(b.listen)).not.toBe(0);
    // The latency toxic is gone: a round trip is immediate, not a second.
    const started = performance.now();
    expect(await roundTrip(port, 'x')).toBe('x');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('answers a bind failure while re-enabling with 500 and Go’s bind error', async () => {
    const server = await startServer();
    const held = await occupyPort();
    await httpJson(server.url, 'POST', '/proxies', {
      name: 'x',
      upstream: 'a:1',
      listen: held.address,
      enabled: false,
    });
    const res = await http(server.url, 'POST', '/reset');
    expectErrorDoc(res, 500, `listen tcp ${held.address}: bind: address already in use`);
    expect((await http(server.url, 'GET', '/version')).status).toBe(200);
  });
});

describe('POST /populate', () => {
  it('creates the proxies in order: 201 {"proxies":[…]} with bound addresses; enabled defaults to true', async () => {
    const server = await startServer();
    const upstream = await startEchoServer();
    const res = await httpJson(server.url, 'POST', '/populate', [
      { name: 'one', listen: '127.0.0.1:0', upstream: upstream.address },
      { name: 'two', listen: '127.0.0.1:0', upstream: upstream.address, enabled: false },
    ]);
    const one = server.proxies.get('one');
    expectJson(
      res,
      201,
      `{"proxies":[${proxyDoc('one', one.listen, upstream.address, true)},${proxyDoc('two', '127.0.0.1:0', upstream.address, false)}]}`,
    );
    expect(await roundTrip(portOf(one.listen), 'hi')).toBe('hi');
  });

  it('keeps an identical proxy untouched (toxics and enabled state), replaces a changed one, adds new ones', async () => {
    const server = await startServer();
    const upstream = await startEchoServer();
    const first = await httpJson(server.url, 'POST', '/populate', [
      { name: 'same', listen: '127.0.0.1:0', upstream: upstream.address },
      { name: 'moved', listen: '127.0.0.1:0', upstream: upstream.address },
    ]);
    const [same, moved] = JSON.parse(first.body).proxies as Array<{ listen: string }>;
    await httpJson(server.url, 'POST', '/proxies/same/toxics', { type: 'latency', name: 'kept' });
    await httpJson(server.url, 'POST', '/proxies/moved/toxics', { type: 'latency', name: 'lost' });
    await httpJson(server.url, 'PATCH', '/proxies/same', { enabled: false });
    await httpJson(server.url, 'POST', '/proxies/same', { enabled: true });

    const other = await startEchoServer();
    const res = await httpJson(server.url, 'POST', '/populate', [
      // Same name, listen and upstream; enabled differs and is not applied.
      { name: 'same', listen: same?.listen, upstream: upstream.address, enabled: false },
      { name: 'moved', listen: moved?.listen, upstream: other.address },
      { name: 'new', listen: '127.0.0.1:0', upstream: other.address, enabled: false },
    ]);
    expectJson(
      res,
      201,
      `{"proxies":[${proxyDoc('same', same?.listen ?? '', upstream.address, true, [latencyDoc('kept', 'downstream')])},` +
        `${proxyDoc('moved', moved?.listen ?? '', other.address, true)},${proxyDoc('new', '127.0.0.1:0', other.address, false)}]}`,
    );
  });

  it('validates the whole array before changing anything: "missing required field: … at proxy N"', async () => {
    const server = await startServer();
    const first = await httpJson(server.url, 'POST', '/populate', [
      { name: 'a', listen: '127.0.0.1:0', upstream: 'x:1' },
      { listen: '127.0.0.1:0', upstream: 'x:1' },
    ]);
    expectPopulateError(first, 400, 'missing required field: name at proxy 2', null);
    const second = await httpJson(server.url, 'POST', '/populate', [
      { name: 'a', upstream: 'x:1' },
      { name: 'b' },
    ]);
    expectPopulateError(second, 400, 'missing required field: upstream at proxy 2', null);
    expect(server.proxies.list()).toHaveLength(0);
  });

  it.each([
    [
      '{}',
      'bad request body: json: cannot unmarshal object into Go value of type []struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }',
    ],
    ['', 'bad request body: EOF'],
    [
      '[{"name":"a","upstream":"b","enabled":"yes"}]',
      'bad request body: json: cannot unmarshal string into Go struct field .enabled of type bool',
    ],
  ])('rejects the body %j with a JSON 400', async (body, message) => {
    const server = await startServer();
    expectPopulateError(await http(server.url, 'POST', '/populate', { body }), 400, message, null);
  });

  it('answers an empty array (or null) with 201 {"proxies":null}', async () => {
    const server = await startServer();
    expectJson(await http(server.url, 'POST', '/populate', { body: '[]' }), 201, '{"proxies":null}');
    expectJson(await http(server.url, 'POST', '/populate', { body: 'null' }), 201, '{"proxies":null}');
  });

  it('stops at a bind failure: 500 as JSON with the proxies created so far, and keeps serving', async () => {
    const server = await startServer();
    const held = await occupyPort();
    const res = await httpJson(server.url, 'POST', '/populate', [
      { name: 'ok', listen: '127.0.0.1:0', upstream: 'x:1' },
      { name: 'busy', listen: held.address, upstream: 'x:1' },
      { name: 'never', listen: '127.0.0.1:0', upstream: 'x:1' },
    ]);
    const ok = server.proxies.get('ok');
    expectPopulateError(res, 500, `listen tcp ${held.address}: bind: address already in use`, [
      proxyDoc('ok', ok.listen, 'x:1', true),
    ]);
    expect(server.proxies.list().map((p) => p.name)).toEqual(['ok']);
    const empty = await httpJson(server.url, 'POST', '/populate', [
      { name: 'busy2', listen: held.address, upstream: 'x:1' },
    ]);
    expectPopulateError(empty, 500, `listen tcp ${held.address}: bind: address already in use`, null);
  });
});
