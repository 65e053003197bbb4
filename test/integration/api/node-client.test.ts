import { Toxiproxy, ToxiproxyError, type ICreateToxicBody, type Latency } from 'toxiproxy-node-client';
import { describe, expect, it } from 'vitest';
import { http } from '../../helpers/http.js';
import {
  connectOutcome,
  echo,
  openClient,
  portOf,
  roundTrip,
  startEchoServer,
  startServer,
} from './fixtures.js';

/** The official clients' view: toxiproxy-node-client driving the embedded server end to end. */
describe('toxiproxy-node-client against the embedded server', () => {
  async function setup() {
    const server = await startServer();
    const upstream = await startEchoServer();
    return { server, upstream, toxiproxy: new Toxiproxy(server.url) };
  }

  function latencyBody(latency: number, name = 'lag'): ICreateToxicBody<Latency> {
    return { name, type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency, jitter: 0 } };
  }

  it('reads the version', async () => {
    const { toxiproxy } = await setup();
    expect(await toxiproxy.getVersion()).toBe('{"version": "2.12.0"}\n');
  });

  it('creates, gets, lists, updates and removes proxies', async () => {
    const { toxiproxy, upstream, server } = await setup();
    const proxy = await toxiproxy.createProxy({
      name: 'db',
      listen: '127.0.0.1:0',
      upstream: upstream.address,
    });
    expect(proxy).toMatchObject({ name: 'db', upstream: upstream.address, enabled: true });
    const port = portOf(proxy.listen);
    expect(await roundTrip(port, 'ping')).toBe('ping');

    const fetched = await toxiproxy.get('db');
    expect(fetched.toJson()).toEqual(proxy.toJson());
    const all = await toxiproxy.getAll();
    expect(Object.keys(all)).toEqual(['db']);

    const down = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(down.enabled).toBe(false);
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    const up = await down.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    expect(up.enabled).toBe(true);
    expect(await roundTrip(port, 'pong')).toBe('pong');

    await up.remove();
    expect(server.proxies.list()).toHaveLength(0);
    await expect(toxiproxy.get('db')).rejects.toThrow(
      new ToxiproxyError('Error', 'Request failed with status code 404'),
    );
  });

  it('adds, reads, updates and removes a toxic that shapes live traffic', async () => {
    const { toxiproxy, upstream } = await setup();
    const proxy = await toxiproxy.createProxy({
      name: 'api',
      listen: '127.0.0.1:0',
      upstream: upstream.address,
    });
    const client = await openClient(portOf(proxy.listen));
    expect(await echo(client, 'warm')).toBe('warm');

    const toxic = await proxy.addToxic(latencyBody(150));
    expect(toxic.toJson()).toEqual({
      name: 'lag',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 150, jitter: 0 },
    });
    let started = performance.now();
    expect(await echo(client, 'slow')).toBe('slow');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    const read = await proxy.getToxic<Latency>('lag');
    expect(read.attributes).toEqual({ latency: 150, jitter: 0 });

    const updated = await read.update({ ...latencyBody(0), toxicity: 0.5 });
    expect(updated.attributes).toEqual({ latency: 0, jitter: 0 });
    expect(updated.toxicity).toBe(0.5);

    await updated.remove();
    started = performance.now();
    expect(await echo(client, 'fast')).toBe('fast');
    expect(performance.now() - started).toBeLessThan(100);
    await expect(proxy.getToxic('lag')).rejects.toThrow('Request failed with status code 404');
  });

  it('populates and resets', async () => {
    const { toxiproxy, upstream, server } = await setup();
    const proxies = await toxiproxy.populate([
      { name: 'a', listen: '127.0.0.1:0', upstream: upstream.address },
      { name: 'b', listen: '127.0.0.1:0', upstream: upstream.address, enabled: false },
    ]);
    expect(Object.keys(proxies).sort()).toEqual(['a', 'b']);
    expect(proxies.b?.enabled).toBe(false);
    await proxies.a?.addToxic(latencyBody(10));

    await toxiproxy.reset();
    const after = JSON.parse((await http(server.url, 'GET', '/proxies')).body);
    expect(after.a.toxics).toEqual([]);
    expect(after.b.enabled).toBe(true);
  });

  it('surfaces API errors as ToxiproxyError and the server keeps serving', async () => {
    const { toxiproxy, upstream } = await setup();
    await toxiproxy.createProxy({ name: 'x', listen: '127.0.0.1:0', upstream: upstream.address });
    await expect(
      toxiproxy.createProxy({ name: 'x', listen: '127.0.0.1:0', upstream: upstream.address }),
    ).rejects.toThrow('Request failed with status code 409');
    const proxy = await toxiproxy.get('x');
    await expect(proxy.addToxic({ ...latencyBody(1), type: 'no_such_type' as 'latency' })).rejects.toThrow(
      'Request failed with status code 400',
    );
    await proxy.addToxic(latencyBody(1, 'dup'));
    await expect(proxy.addToxic(latencyBody(1, 'dup'))).rejects.toThrow(
      'Request failed with status code 409',
    );
    const held = await toxiproxy.createProxy({
      name: 'held',
      listen: '127.0.0.1:0',
      upstream: upstream.address,
    });
    await expect(
      toxiproxy.createProxy({ name: 'clash', listen: held.listen, upstream: upstream.address }),
    ).rejects.toThrow('Request failed with status code 500');
    expect(await toxiproxy.getVersion()).toContain('2.12.0');
  });
});
