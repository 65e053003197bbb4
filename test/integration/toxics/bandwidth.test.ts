import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bandwidth } from '../../../src/chaos/embedded/toxics/bandwidth.js';
import { useTcpHarness } from '../../helpers/tcp.js';
import { toxic, useProxyHarness } from './proxy-harness.js';

const tcp = useTcpHarness();
const proxies = useProxyHarness();

describe('bandwidth toxic', () => {
  it('5000 B at rate 10 (KB/s, KB = 1000 B) take about 500 ms at the receiver, in 100 ms slices', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    await proxy.toxics.add(toxic('bandwidth', { rate: 10 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    const server = await sink.connection();
    const payload = randomBytes(5000);
    client.write(payload);
    const done = await server.waitForBytes(5000);
    const elapsed = done - client.lastWriteAt;
    expect(elapsed).toBeGreaterThanOrEqual(495);
    expect(elapsed).toBeLessThan(600);
    expect(server.received.equals(payload)).toBe(true);
    // Slices of rate*100 = 1000 B, released 100 ms apart rather than all at the end.
    expect(server.arrivals.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...server.arrivals.map((arrival) => arrival.data.length))).toBeLessThanOrEqual(1000);
    expect(server.arrivals[0]!.at - client.lastWriteAt).toBeLessThan(300);
  });

  it('limits the server-to-client direction when set downstream', async () => {
    const payload = randomBytes(30_000);
    const sender = await tcp.senderServer(payload);
    const { proxy, port } = await proxies.proxyTo(sender.port);
    await proxy.toxics.add(toxic('bandwidth', { rate: 100 }));
    const start = performance.now();
    const client = await tcp.connect(port);
    const done = await client.waitForBytes(payload.length);
    // 30 000 B at 100 KB/s: 300 ms.
    expect(done - start).toBeGreaterThanOrEqual(295);
    expect(done - start).toBeLessThan(420);
    expect(client.received.equals(payload)).toBe(true);
  });

  it('keeps the rate over many small chunks', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    // 200 B per chunk at 50 KB/s is 4 ms each: any per-chunk timer error not carried forward adds up.
    await proxy.toxics.add(toxic('bandwidth', { rate: 50 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    const server = await sink.connection();
    const start = performance.now();
    for (let i = 0; i < 100; i++) {
      client.write(randomBytes(200));
      // Pacing (not synchronisation): 1 ms apart the writes reach the proxy as separate chunks, still
      // faster than the toxic drains them.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const done = await server.waitForBytes(20_000);
    // 20 000 B at 50 KB/s: 400 ms.
    expect(done - start).toBeGreaterThanOrEqual(395);
    expect(done - start).toBeLessThan(480);
    expect(server.arrivals.length).toBeGreaterThan(50);
  });

  it('rejects rates the official server stalls on', () => {
    expect(bandwidth.validate?.({ rate: 0 })).toMatch(/rate must be greater than 0/);
    expect(bandwidth.validate?.({ rate: -5 })).toMatch(/rate must be greater than 0/);
    expect(bandwidth.validate?.({})).toMatch(/rate must be greater than 0/);
    expect(bandwidth.validate?.({ rate: 1 })).toBeUndefined();
  });
});
