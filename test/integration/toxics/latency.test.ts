import { describe, expect, it } from 'vitest';
import type { Proxy } from '../../../src/chaos/embedded/proxy.js';
import { mean, useTcpHarness, type RecordingSocket } from '../../helpers/tcp.js';
import { toxic, useProxyHarness } from './proxy-harness.js';

const tcp = useTcpHarness();
const proxies = useProxyHarness();

/** Sequential echo round trips of a 4-byte message. */
async function roundTrips(client: RecordingSocket, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await client.roundTrip('ping'));
  return samples;
}

async function echoThroughProxy(): Promise<{ proxy: Proxy; port: number }> {
  const echo = await tcp.echoServer();
  return proxies.proxyTo(echo.port);
}

describe('latency toxic', () => {
  it('delays each chunk by latency, measured from arrival', async () => {
    const { proxy, port } = await echoThroughProxy();
    await proxy.toxics.add(toxic('latency', { latency: 60, jitter: 0 }));
    const client = await tcp.connect(port);
    const samples = await roundTrips(client, 10);
    // A chunk is never released early; the mean overshoot is the echo path plus timer error.
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(59.5);
    expect(mean(samples)).toBeLessThanOrEqual(65);
  });

  it('spreads delays over latency ± jitter', async () => {
    const { proxy, port } = await echoThroughProxy();
    await proxy.toxics.add(toxic('latency', { latency: 50, jitter: 20 }));
    // Three connections in parallel keep the test short; 60 samples pin the mean to about ±1.5 ms.
    const clients = await Promise.all([1, 2, 3].map(() => tcp.connect(port)));
    const samples = (await Promise.all(clients.map((client) => roundTrips(client, 20)))).flat();
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(29.5);
    expect(Math.max(...samples)).toBeLessThan(90);
    // U[-20, 20) has mean -0.5; a toxic ignoring jitter would have a spread near 0.
    expect(mean(samples)).toBeGreaterThan(49.5 - 6);
    expect(mean(samples)).toBeLessThan(49.5 + 6);
    expect(Math.max(...samples) - Math.min(...samples)).toBeGreaterThan(20);
  });

  it('adds up when stacked on one stream', async () => {
    const { proxy, port } = await echoThroughProxy();
    await proxy.toxics.add(toxic('latency', { latency: 50 }));
    await proxy.toxics.add(toxic('latency', { latency: 30 }));
    const client = await tcp.connect(port);
    const samples = await roundTrips(client, 5);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(79.5);
    expect(mean(samples)).toBeLessThanOrEqual(85);
  });

  it('adds up across directions (upstream plus downstream)', async () => {
    const { proxy, port } = await echoThroughProxy();
    await proxy.toxics.add(toxic('latency', { latency: 40 }, { stream: 'upstream' }));
    await proxy.toxics.add(toxic('latency', { latency: 60 }, { stream: 'downstream' }));
    const client = await tcp.connect(port);
    const samples = await roundTrips(client, 5);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(99.5);
    expect(mean(samples)).toBeLessThanOrEqual(105);
  });

  it('upstream latency delays only what the client sends', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    await proxy.toxics.add(toxic('latency', { latency: 80 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    const server = await sink.connection();
    client.write('hello');
    const arrived = await server.waitForBytes(5);
    expect(arrived - client.lastWriteAt).toBeGreaterThanOrEqual(79.5);
    expect(arrived - client.lastWriteAt).toBeLessThan(100);
    // Server to client is untouched.
    const sent = performance.now();
    server.write('world');
    expect((await client.waitForBytes(5)) - sent).toBeLessThan(20);
  });

  it('downstream latency delays only what the server sends', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    await proxy.toxics.add(toxic('latency', { latency: 80 }, { stream: 'downstream' }));
    const client = await tcp.connect(port);
    const server = await sink.connection();
    client.write('hello');
    expect((await server.waitForBytes(5)) - client.lastWriteAt).toBeLessThan(20);
    const sent = performance.now();
    server.write('world');
    const arrived = await client.waitForBytes(5);
    expect(arrived - sent).toBeGreaterThanOrEqual(79.5);
    expect(arrived - sent).toBeLessThan(100);
  });
});
