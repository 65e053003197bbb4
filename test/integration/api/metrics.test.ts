import { gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { http, httpJson } from '../../helpers/http.js';
import { openClient, portOf, readAll, startServer, startTcpServer } from './fixtures.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the sample lines of a Prometheus text exposition (names, labels, values). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key = '', value = ''] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value;
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** An upstream that answers the first bytes it gets with 10 bytes and closes: traffic differs per direction. */
async function startReplyServer() {
  return startTcpServer((socket) => socket.once('data', () => socket.end('0123456789')));
}

describe('/metrics', () => {
  it('is not routed without -proxy-metrics or -runtime-metrics', async () => {
    const server = await startServer();
    const res = await http(server.url, 'GET', '/metrics');
    expect(res.status).toBe(404);
    expect(res.body).toBe('404 page not found\n');
  });

  it('counts bytes per direction when a connection closes, with direction/listener/proxy/upstream labels', async () => {
    const server = await startServer({ proxyMetrics: true });
    const upstream = await startReplyServer();
    const created = await httpJson(server.url, 'POST', '/proxies', {
      name: 'm',
      listen: '127.0.0.1:0',
      upstream: upstream.address,
    });
    const listen = JSON.parse(created.body).listen as string;

    // Nothing is counted while no connection has closed: the families are not even listed.
    const before = await http(server.url, 'GET', '/metrics');
    expect(before.status).toBe(200);
    expect(before.body).toBe('');

    const client = await openClient(portOf(listen));
    const reply = readAll(client);
    client.write('abc');
    expect(await reply).toBe('0123456789');

    const labels = (direction: string): string =>
      `{direction="${direction}",listener="${listen}",proxy="m",upstream="${upstream.address}"}`;
    const expected =
      '# HELP toxiproxy_proxy_received_bytes_total \n' +
      '# TYPE toxiproxy_proxy_received_bytes_total counter\n' +
      `toxiproxy_proxy_received_bytes_total${labels('downstream')} 10\n` +
      `toxiproxy_proxy_received_bytes_total${labels('upstream')} 3\n` +
      '# HELP toxiproxy_proxy_sent_bytes_total \n' +
      '# TYPE toxiproxy_proxy_sent_bytes_total counter\n' +
      `toxiproxy_proxy_sent_bytes_total${labels('downstream')} 10\n` +
      `toxiproxy_proxy_sent_bytes_total${labels('upstream')} 3\n`;
    // The proxy counts once both of its links have finished, which follows the client's close closely.
    await vi.waitFor(async () => expect((await http(server.url, 'GET', '/metrics')).body).toBe(expected), {
      timeout: 5_000,
      interval: 20,
    });
    const res = await http(server.url, 'GET', '/metrics');
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parseExposition(res.body);
    expect(samples).toContainEqual({
      name: 'toxiproxy_proxy_sent_bytes_total',
      labels: { direction: 'downstream', listener: listen, proxy: 'm', upstream: upstream.address },
      value: 10,
    });

    // A second connection adds to the same series.
    const second = await openClient(portOf(listen));
    const secondReply = readAll(second);
    second.write('abcdef');
    expect(await secondReply).toBe('0123456789');
    await vi.waitFor(
      async () => {
        const now = parseExposition((await http(server.url, 'GET', '/metrics')).body);
        const received = now.find(
          (s) => s.name === 'toxiproxy_proxy_received_bytes_total' && s.labels.direction === 'upstream',
        );
        expect(received?.value).toBe(9);
      },
      { timeout: 5_000, interval: 20 },
    );
  });

  it('serves every method and compresses for scrapers that accept gzip', async () => {
    const server = await startServer({ proxyMetrics: true });
    const plain = await http(server.url, 'POST', '/metrics');
    expect(plain.status).toBe(200);
    const zipped = await http(server.url, 'GET', '/metrics', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.bodyBytes).toString('utf8')).toBe(plain.body);
    const blocked = await http(server.url, 'GET', '/metrics', { userAgent: 'Mozilla/5.0' });
    expect(blocked.status).toBe(403);
  });

  it('with runtime metrics only: process metrics, no proxy counters', async () => {
    const server = await startServer({ runtimeMetrics: true });
    const upstream = await startReplyServer();
    const created = await httpJson(server.url, 'POST', '/proxies', {
      name: 'r',
      listen: '127.0.0.1:0',
      upstream: upstream.address,
    });
    const client = await openClient(portOf(JSON.parse(created.body).listen));
    const reply = readAll(client);
    client.write('x');
    await reply;
    const res = await http(server.url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    const names = new Set(parseExposition(res.body).map((s) => s.name));
    expect(names.has('process_cpu_user_seconds_total')).toBe(true);
    expect([...names].some((name) => name.startsWith('nodejs_'))).toBe(true);
    expect([...names].some((name) => name.startsWith('toxiproxy_'))).toBe(false);
  });

  it('keeps each server’s registry separate (never the global one)', async () => {
    const a = await startServer({ proxyMetrics: true, runtimeMetrics: true });
    const b = await startServer({ proxyMetrics: true, runtimeMetrics: true });
    expect((await http(a.url, 'GET', '/metrics')).status).toBe(200);
    expect((await http(b.url, 'GET', '/metrics')).status).toBe(200);
    const { register } = await import('prom-client');
    expect(register.getMetricsAsArray()).toHaveLength(0);
  });
});
