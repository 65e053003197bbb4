import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmbeddedToxiproxy } from '../../../src/chaos/embedded/embedded-server.js';
import { GeoctlError } from '../../../src/errors.js';
import { hasResponses, http, rawExchange } from '../../helpers/http.js';
import {
  connectOutcome,
  echo,
  occupyPort,
  onCleanup,
  openClient,
  portOf,
  roundTrip,
  startEchoServer,
  startServer,
  waitForClose,
} from './fixtures.js';

async function configFile(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'geoctl-config-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'proxies.json');
  await writeFile(file, content);
  return file;
}

async function startupError(options: Parameters<typeof startEmbeddedToxiproxy>[0]): Promise<GeoctlError> {
  const error = await startEmbeddedToxiproxy(options).then(
    async (server) => {
      await server.close();
      throw new Error('the server started');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GeoctlError);
  return error as GeoctlError;
}

describe('startEmbeddedToxiproxy', () => {
  it('listens on 127.0.0.1 by default and reports the bound port and URL', async () => {
    const server = await startServer();
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await http(server.url, 'GET', '/version')).body).toBe('{"version": "2.12.0"}\n');
  });

  it('loads the config file (the /populate format) before the API answers', async () => {
    const upstream = await startEchoServer();
    const file = await configFile(
      JSON.stringify([
        { name: 'web', listen: '127.0.0.1:0', upstream: upstream.address },
        { name: 'idle', listen: '127.0.0.1:0', upstream: upstream.address, enabled: false },
      ]),
    );
    const server = await startServer({ configFile: file });
    const listed = JSON.parse((await http(server.url, 'GET', '/proxies')).body);
    expect(Object.keys(listed)).toEqual(['idle', 'web']);
    expect(listed.idle).toMatchObject({ enabled: false, listen: '127.0.0.1:0' });
    expect(await roundTrip(portOf(listed.web.listen), 'from config')).toBe('from config');
  });

  it('fails with E_CONFIG naming the file when it is missing', async () => {
    const error = await startupError({ port: 0, configFile: '/nonexistent/geoctl/proxies.json' });
    expect(error.code).toBe('E_CONFIG');
    expect(error.message).toContain('/nonexistent/geoctl/proxies.json');
    expect(error.message).toContain('Expected a JSON array of proxies');
  });

  it.each([
    ['not JSON', '{oops', "invalid character 'o' looking for beginning of object key string"],
    ['an object', '{"name":"x"}', 'cannot unmarshal object into Go value of type []struct'],
    ['a proxy without upstream', '[{"name":"x"}]', 'missing required field: upstream at proxy 1'],
  ])('fails with E_CONFIG for %s, saying what is wrong', async (_what, content, detail) => {
    const file = await configFile(content);
    const error = await startupError({ port: 0, configFile: file });
    expect(error.code).toBe('E_CONFIG');
    expect(error.message).toContain(file);
    expect(error.message).toContain(detail);
  });

  it('fails with E_ADDRESS_IN_USE when a config proxy cannot bind, and leaves nothing listening', async () => {
    const held = await occupyPort();
    const first = await startEchoServer();
    const file = await configFile(
      JSON.stringify([
        { name: 'first', listen: '127.0.0.1:0', upstream: first.address },
        { name: 'clash', listen: held.address, upstream: first.address },
      ]),
    );
    const error = await startupError({ port: 0, configFile: file });
    expect(error.code).toBe('E_ADDRESS_IN_USE');
    expect(error.message).toContain('"clash"');
    expect(error.message).toContain(file);
    expect(error.message).toContain(`listen tcp ${held.address}: bind: address already in use`);
  });

  it('fails with E_ADDRESS_IN_USE naming host:port when the API port is taken', async () => {
    const held = await occupyPort();
    const error = await startupError({ port: held.port });
    expect(error.code).toBe('E_ADDRESS_IN_USE');
    expect(error.message).toContain(`127.0.0.1:${held.port}`);
  });

  it('close() stops the API, keep-alive connections, proxies and live proxied connections', async () => {
    const upstream = await startEchoServer();
    const server = await startEmbeddedToxiproxy({ port: 0 });
    const created = await http(server.url, 'POST', '/proxies', {
      body: JSON.stringify({ name: 'c', listen: '127.0.0.1:0', upstream: upstream.address }),
    });
    const proxyPort = portOf(JSON.parse(created.body).listen);
    const proxied = await openClient(proxyPort);
    expect(await echo(proxied, 'live')).toBe('live');

    // An idle keep-alive connection to the API.
    const keepAlive = rawExchange(server.port, 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
    const { connect } = await import('node:net');
    const idle = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => idle.once('connect', () => resolve()));
    idle.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => {
      let text = '';
      idle.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (hasResponses(text, 1)) resolve();
      });
    });

    await server.close();
    await waitForClose(idle);
    await waitForClose(proxied);
    expect(await keepAlive).toContain('HTTP/1.1 200 OK');
    expect(await connectOutcome(server.port)).toBe('ECONNREFUSED');
    expect(await connectOutcome(proxyPort)).toBe('ECONNREFUSED');
    // Idempotent.
    await server.close();
  });
});
