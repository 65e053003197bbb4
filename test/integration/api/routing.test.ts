import { describe, expect, it } from 'vitest';
import { hasResponses, http, parseRawResponse, rawExchange, XID_PATTERN } from '../../helpers/http.js';
import { startServer } from './fixtures.js';

/** Routing, middleware and framing, as gorilla/mux and Go's net/http present them (spec C.1, C.2). */
describe('routing and common HTTP behaviour', () => {
  it('GET /version answers the exact body, with the space and the newline, as application/json;charset=utf-8', async () => {
    const server = await startServer();
    const res = await http(server.url, 'GET', '/version');
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"version": "2.12.0"}\n');
    expect(res.headers['content-type']).toBe('application/json;charset=utf-8');
    expect(res.headers['content-length']).toBe('22');
    expect(res.headers['x-toxiproxy-request-id']).toMatch(XID_PATTERN);
  });

  it('gives every routed response a fresh 20-character xid request id', async () => {
    const server = await startServer();
    const ids = new Set<string>();
    for (const path of ['/version', '/proxies', '/proxies/missing', '/proxies/missing/toxics']) {
      const res = await http(server.url, 'GET', path);
      const id = res.headers['x-toxiproxy-request-id'];
      expect(id, path).toMatch(XID_PATTERN);
      ids.add(String(id));
    }
    expect(ids.size).toBe(4);
  });

  it.each([['/nope'], ['/proxies/'], ['/version/'], ['/proxies/a/toxics/'], ['/proxies/a/b/c/d'], ['/']])(
    'answers the unknown path %s with Go’s 404 page, text/plain',
    async (path) => {
      const server = await startServer();
      const res = await http(server.url, 'GET', path);
      expect(res.status).toBe(404);
      expect(res.body).toBe('404 page not found\n');
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    },
  );

  it.each([
    ['PUT', '/proxies'],
    ['DELETE', '/proxies'],
    ['HEAD', '/version'],
    ['OPTIONS', '/version'],
    ['POST', '/version'],
    ['GET', '/reset'],
    ['GET', '/populate'],
    ['PUT', '/proxies/a'],
    ['PATCH', '/proxies/a/toxics'],
    ['PUT', '/proxies/a/toxics/b'],
  ])('answers %s %s with 405, an empty body and no Content-Type', async (method, path) => {
    const server = await startServer();
    const res = await http(server.url, method, path);
    expect(res.status).toBe(405);
    expect(res.bodyBytes.length).toBe(0);
    expect(res.headers['content-type']).toBeUndefined();
  });

  it('blocks browsers: a Mozilla/ user agent gets 403 "User agent not allowed" on every route', async () => {
    const server = await startServer();
    for (const path of ['/version', '/proxies']) {
      const res = await http(server.url, 'GET', path, { userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' });
      expect(res.status).toBe(403);
      expect(res.body).toBe('User agent not allowed\n');
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-toxiproxy-request-id']).toMatch(XID_PATTERN);
    }
    // Only the prefix counts.
    const curl = await http(server.url, 'GET', '/version', { userAgent: 'curl/8.0 Mozilla/5.0' });
    expect(curl.status).toBe(200);
  });

  it('answers 404 and 405 with a request id but without the browser block; redirects come first', async () => {
    // The spec: every response has a request id. The browser block only applies on a matched route (mux).
    const server = await startServer();
    const browser = { userAgent: 'Mozilla/5.0' };
    const notFound = await http(server.url, 'GET', '/nope', browser);
    expect(notFound.status).toBe(404);
    expect(notFound.headers['x-toxiproxy-request-id']).toMatch(XID_PATTERN);
    const wrongMethod = await http(server.url, 'PUT', '/version', browser);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers['x-toxiproxy-request-id']).toMatch(XID_PATTERN);
    expect(wrongMethod.headers['content-type']).toBeUndefined();
    const redirect = await http(server.url, 'GET', '/./version', browser);
    expect(redirect.status).toBe(301);
    expect(redirect.headers['x-toxiproxy-request-id']).toBeUndefined();
  });

  it('redirects a path that is not clean to its clean form (mux), with the query kept', async () => {
    const server = await startServer();
    const res = await http(server.url, 'GET', '/proxies//x/./toxics?a=1');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/proxies/x/toxics?a=1');
    expect(res.bodyBytes.length).toBe(0);
  });

  it('matches percent-decoded paths: %2F inside a name is a separator, so the route does not match', async () => {
    const server = await startServer();
    const encodedName = await http(server.url, 'GET', '/proxies/my%20proxy');
    expect(encodedName.status).toBe(404);
    expect(encodedName.body).toBe('{"error":"proxy not found","status":404}\n');
    const slash = await http(server.url, 'GET', '/proxies/a%2Fb');
    expect(slash.body).toBe('404 page not found\n');
  });

  it('rejects a malformed percent escape, like Go, with a bare 400 and a closed connection', async () => {
    const server = await startServer();
    const raw = await rawExchange(server.port, 'GET /proxies/a%zz HTTP/1.1\r\nHost: x\r\n\r\n');
    const res = parseRawResponse(raw);
    expect(res.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(res.headers.connection).toBe('close');
    expect(res.body).toBe('400 Bad Request');
  });

  it('answers a request line that is not HTTP with 400 and keeps serving others', async () => {
    const server = await startServer();
    const raw = await rawExchange(server.port, 'THIS IS NOT HTTP\r\n\r\n');
    expect(parseRawResponse(raw).statusLine).toBe('HTTP/1.1 400 Bad Request');
    const after = await http(server.url, 'GET', '/version');
    expect(after.status).toBe(200);
  });

  it('serves several requests on one keep-alive connection', async () => {
    const server = await startServer();
    const request = 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n';
    const raw = await rawExchange(server.port, request + request + request.replace('/version', '/proxies'), {
      until: (received) => hasResponses(received, 3),
    });
    expect(raw.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3);
    expect(raw.endsWith('\r\n\r\n{}')).toBe(true);
  });

  it('answers "OPTIONS *" itself with an empty 200, as Go’s server does', async () => {
    const server = await startServer();
    const raw = await rawExchange(server.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const res = parseRawResponse(raw);
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(res.headers['content-length']).toBe('0');
  });

  it('ignores the request Content-Type and the query string', async () => {
    const server = await startServer();
    const res = await http(server.url, 'POST', '/proxies?x=1', {
      body: '{"name":"ct","upstream":"127.0.0.1:1","listen":"127.0.0.1:0","enabled":false}',
      headers: { 'Content-Type': 'text/html' },
    });
    expect(res.status).toBe(201);
  });
});
