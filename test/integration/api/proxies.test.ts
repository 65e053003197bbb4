import { describe, expect, it } from 'vitest';
import { http, httpJson } from '../../helpers/http.js';
import {
  connectOutcome,
  echo,
  expectErrorDoc,
  expectJson,
  latencyDoc,
  occupyPort,
  openClient,
  portOf,
  proxyDoc,
  roundTrip,
  startEchoServer,
  startServer,
  startTcpServer,
  readAll,
  waitForClose,
} from './fixtures.js';

/** /proxies and /proxies/{proxy}: spec C.3 and C.4. */
describe('proxies', () => {
  describe('POST /proxies', () => {
    it('creates an enabled proxy: 201, the bound listen address, "Logger":{}, empty toxics, and it proxies', async () => {
      const server = await startServer();
      const upstream = await startEchoServer();
      const res = await httpJson(server.url, 'POST', '/proxies', {
        name: 'web',
        listen: '127.0.0.1:0',
        upstream: upstream.address,
      });
      const listen = server.proxies.get('web').listen;
      expect(listen).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(portOf(listen)).not.toBe(0);
      expectJson(res, 201, proxyDoc('web', listen, upstream.address, true));
      expect(await roundTrip(portOf(listen), 'hello')).toBe('hello');
    });

    it('rewrites localhost to 127.0.0.1 once bound', async () => {
      const server = await startServer();
      const res = await httpJson(server.url, 'POST', '/proxies', {
        name: 'lh',
        listen: 'localhost:0',
        upstream: '127.0.0.1:9',
      });
      expect(JSON.parse(res.body).listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    });

    it('keeps the literal listen address of a proxy created disabled, and does not bind it', async () => {
      const server = await startServer();
      const held = await occupyPort();
      const res = await httpJson(server.url, 'POST', '/proxies', {
        name: 'off',
        listen: held.address,
        upstream: '127.0.0.1:9',
        enabled: false,
      });
      expectJson(res, 201, proxyDoc('off', held.address, '127.0.0.1:9', false));
    });

    it('matches keys case-insensitively, ignores unknown keys and trailing garbage after the first value', async () => {
      const server = await startServer();
      const res = await http(server.url, 'POST', '/proxies', {
        body: '{"NAME":"ci","Upstream":"127.0.0.1:9","LISTEN":"127.0.0.1:0","ENABLED":false,"extra":[1,2]} trailing {',
      });
      expectJson(res, 201, proxyDoc('ci', '127.0.0.1:0', '127.0.0.1:9', false));
    });

    it.each([
      ['', 'bad request body: EOF'],
      ['   \n', 'bad request body: EOF'],
      ['{', 'bad request body: unexpected EOF'],
      ['{bad}', "bad request body: invalid character 'b' looking for beginning of object key string"],
      ['[]', 'bad request body: json: cannot unmarshal array into Go value of type toxiproxy.Proxy'],
      [
        '{"name":"x","upstream":"y","enabled":"yes"}',
        'bad request body: json: cannot unmarshal string into Go struct field Proxy.enabled of type bool',
      ],
      [
        '{"name":1}',
        'bad request body: json: cannot unmarshal number into Go struct field Proxy.name of type string',
      ],
      [
        '{"name":"x","upstream":"y","Logger":"z"}',
        'bad request body: json: cannot unmarshal string into Go struct field Proxy.Logger of type zerolog.Logger',
      ],
      ['{}', 'missing required field: name'],
      ['{"upstream":"127.0.0.1:9"}', 'missing required field: name'],
      ['{"name":"x"}', 'missing required field: upstream'],
      ['null', 'missing required field: name'],
    ])('rejects the body %j with 400 %j', async (body, message) => {
      const server = await startServer();
      const res = await http(server.url, 'POST', '/proxies', { body });
      expectErrorDoc(res, 400, message);
      expect(server.proxies.list()).toHaveLength(0);
    });

    it('rejects a duplicate name with 409 before binding anything', async () => {
      const server = await startServer();
      const held = await occupyPort();
      const first = await httpJson(server.url, 'POST', '/proxies', {
        name: 'dup',
        upstream: '127.0.0.1:9',
        listen: '127.0.0.1:0',
      });
      expect(first.status).toBe(201);
      // The listen address is in use: a bind attempt would be a 500, so 409 proves the check comes first.
      const second = await httpJson(server.url, 'POST', '/proxies', {
        name: 'dup',
        upstream: '127.0.0.1:9',
        listen: held.address,
      });
      expectErrorDoc(second, 409, 'proxy already exists');
    });

    it('answers a port already in use with 500 and Go’s bind error, adds nothing, and keeps serving', async () => {
      const server = await startServer();
      const held = await occupyPort();
      const res = await httpJson(server.url, 'POST', '/proxies', {
        name: 'busy',
        listen: held.address,
        upstream: '127.0.0.1:9',
      });
      expectErrorDoc(res, 500, `listen tcp ${held.address}: bind: address already in use`);
      expect((await http(server.url, 'GET', '/proxies')).body).toBe('{}');
      const retry = await httpJson(server.url, 'POST', '/proxies', {
        name: 'busy',
        listen: '127.0.0.1:0',
        upstream: '127.0.0.1:9',
      });
      expect(retry.status).toBe(201);
    });

    it('answers an unparseable listen address with 500 and Go’s error text', async () => {
      const server = await startServer();
      const res = await httpJson(server.url, 'POST', '/proxies', {
        name: 'bad',
        listen: 'not-an-addr',
        upstream: '127.0.0.1:9',
      });
      expectErrorDoc(res, 500, 'listen tcp: address not-an-addr: missing port in address');
    });

    it('does not validate upstream: a proxy to a closed port accepts and then closes each client', async () => {
      const server = await startServer();
      const closed = await startTcpServer(() => undefined);
      await new Promise<void>((resolve) => closed.server.close(() => resolve()));
      const res = await httpJson(server.url, 'POST', '/proxies', {
        name: 'dead',
        listen: '127.0.0.1:0',
        upstream: closed.address,
      });
      expect(res.status).toBe(201);
      const client = await openClient(portOf(JSON.parse(res.body).listen));
      await waitForClose(client);
      expect((await http(server.url, 'GET', '/version')).status).toBe(200);
    });
  });

  describe('GET /proxies and /proxies/{proxy}', () => {
    it('lists {} when empty, and otherwise an object keyed by name in sorted order, with toxics', async () => {
      const server = await startServer();
      expectJson(await http(server.url, 'GET', '/proxies'), 200, '{}');
      for (const name of ['b', 'a', 'c']) {
        await httpJson(server.url, 'POST', '/proxies', {
          name,
          listen: '127.0.0.1:0',
          upstream: '127.0.0.1:9',
          enabled: false,
        });
      }
      await httpJson(server.url, 'POST', '/proxies/c/toxics', {
        type: 'latency',
        attributes: { latency: 5 },
      });
      const res = await http(server.url, 'GET', '/proxies');
      const off = (name: string, toxics: string[] = []): string =>
        `"${name}":${proxyDoc(name, '127.0.0.1:0', '127.0.0.1:9', false, toxics)}`;
      expectJson(
        res,
        200,
        `{${off('a')},${off('b')},${off('c', [latencyDoc('latency_downstream', 'downstream', 5)])}}`,
      );
    });

    it('shows one proxy, and 404 "proxy not found" for an unknown name', async () => {
      const server = await startServer();
      await httpJson(server.url, 'POST', '/proxies', { name: 'one', upstream: 'x:1', enabled: false });
      expectJson(await http(server.url, 'GET', '/proxies/one'), 200, proxyDoc('one', '', 'x:1', false));
      expectErrorDoc(await http(server.url, 'GET', '/proxies/two'), 404, 'proxy not found');
    });

    it('escapes strings as Go does (HTML characters, control characters)', async () => {
      const server = await startServer();
      const name = 'a<b>&"\\\u0001\u2028';
      const res = await httpJson(server.url, 'POST', '/proxies', { name, upstream: 'x:1', enabled: false });
      expect(res.status).toBe(201);
      expect(res.body).toContain('"name":"a\\u003cb\\u003e\\u0026\\"\\\\\\u0001\\u2028"');
      expect(JSON.parse(res.body).name).toBe(name);
    });
  });

  describe('POST/PATCH /proxies/{proxy} (update)', () => {
    async function createEnabled(url: string, name = 'p'): Promise<{ port: number; upstream: string }> {
      const upstream = await startEchoServer();
      const res = await httpJson(url, 'POST', '/proxies', {
        name,
        listen: '127.0.0.1:0',
        upstream: upstream.address,
      });
      return { port: portOf(JSON.parse(res.body).listen), upstream: upstream.address };
    }

    it('disabling closes the listener and every live connection, keeps toxics; enabling rebinds', async () => {
      const server = await startServer();
      const { port, upstream } = await createEnabled(server.url);
      await httpJson(server.url, 'POST', '/proxies/p/toxics', { type: 'noop' });
      const client = await openClient(port);
      expect(await echo(client, 'before')).toBe('before');

      const down = await httpJson(server.url, 'PATCH', '/proxies/p', { enabled: false });
      const noopDoc =
        '{"attributes":{},"name":"noop_downstream","type":"noop","stream":"downstream","toxicity":1}';
      expectJson(down, 200, proxyDoc('p', `127.0.0.1:${port}`, upstream, false, [noopDoc]));
      await waitForClose(client);
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');

      const up = await httpJson(server.url, 'POST', '/proxies/p', { enabled: true });
      expectJson(up, 200, proxyDoc('p', `127.0.0.1:${port}`, upstream, true, [noopDoc]));
      expect(await roundTrip(port, 'after')).toBe('after');
    });

    it('treats omitted fields as the current values and ignores a name in the body (no rename)', async () => {
      const server = await startServer();
      const { port, upstream } = await createEnabled(server.url);
      const client = await openClient(port);
      const res = await httpJson(server.url, 'PATCH', '/proxies/p', { name: 'renamed' });
      expectJson(res, 200, proxyDoc('p', `127.0.0.1:${port}`, upstream, true));
      // Nothing differed, so the proxy was not restarted and the open connection still works.
      expect(await echo(client, 'still')).toBe('still');
      expect((await http(server.url, 'GET', '/proxies/renamed')).status).toBe(404);
    });

    it('changing the upstream of an enabled proxy restarts it: open connections close, new ones use the new upstream', async () => {
      const server = await startServer();
      const { port } = await createEnabled(server.url);
      const client = await openClient(port);
      const other = await startTcpServer((socket) => socket.end('other upstream'));
      const res = await httpJson(server.url, 'PATCH', '/proxies/p', { upstream: other.address });
      expectJson(res, 200, proxyDoc('p', `127.0.0.1:${port}`, other.address, true));
      await waitForClose(client);
      expect(await readAll(await openClient(port))).toBe('other upstream');
    });

    it('changing the address of a disabled proxy leaves it disabled with the new values', async () => {
      const server = await startServer();
      await httpJson(server.url, 'POST', '/proxies', { name: 'd', upstream: 'a:1', enabled: false });
      const res = await httpJson(server.url, 'PATCH', '/proxies/d', {
        listen: '127.0.0.1:0',
        upstream: 'b:2',
      });
      expectJson(res, 200, proxyDoc('d', '127.0.0.1:0', 'b:2', false));
    });

    it('a failed bind on update is a 500 and leaves the proxy disabled with the new values', async () => {
      const server = await startServer();
      const { upstream } = await createEnabled(server.url);
      const held = await occupyPort();
      const res = await httpJson(server.url, 'PATCH', '/proxies/p', { listen: held.address });
      expectErrorDoc(res, 500, `listen tcp ${held.address}: bind: address already in use`);
      expectJson(
        await http(server.url, 'GET', '/proxies/p'),
        200,
        proxyDoc('p', held.address, upstream, false),
      );
    });

    it('an unresolvable listen address on update is a 500 with Go’s text, and changes nothing', async () => {
      const server = await startServer();
      const { port, upstream } = await createEnabled(server.url);
      const res = await httpJson(server.url, 'PATCH', '/proxies/p', { listen: 'bad addr' });
      expectErrorDoc(res, 500, 'address bad addr: missing port in address');
      expectJson(
        await http(server.url, 'GET', '/proxies/p'),
        200,
        proxyDoc('p', `127.0.0.1:${port}`, upstream, true),
      );
    });

    it('answers 404 for an unknown proxy before looking at the body, and 400 for a bad body', async () => {
      const server = await startServer();
      expectErrorDoc(
        await http(server.url, 'PATCH', '/proxies/nope', { body: '{bad' }),
        404,
        'proxy not found',
      );
      await createEnabled(server.url);
      expectErrorDoc(
        await http(server.url, 'PATCH', '/proxies/p', { body: '' }),
        400,
        'bad request body: EOF',
      );
      expectErrorDoc(
        await http(server.url, 'POST', '/proxies/p', { body: '{"enabled":1}' }),
        400,
        'bad request body: json: cannot unmarshal number into Go struct field Proxy.enabled of type bool',
      );
    });
  });

  describe('DELETE /proxies/{proxy}', () => {
    it('answers 204 with no body, closes the listener and live connections; then 404', async () => {
      const server = await startServer();
      const upstream = await startEchoServer();
      const created = await httpJson(server.url, 'POST', '/proxies', {
        name: 'gone',
        listen: '127.0.0.1:0',
        upstream: upstream.address,
      });
      const port = portOf(JSON.parse(created.body).listen);
      const client = await openClient(port);
      expect(await echo(client, 'x')).toBe('x');
      const res = await http(server.url, 'DELETE', '/proxies/gone');
      expect(res.status).toBe(204);
      expect(res.bodyBytes.length).toBe(0);
      expect(res.headers['content-type']).toBeUndefined();
      await waitForClose(client);
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
      expectErrorDoc(await http(server.url, 'DELETE', '/proxies/gone'), 404, 'proxy not found');
    });
  });
});
