import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { useTcpHarness, type TestServer } from '../../helpers/tcp.js';
import { toxic, updated, useProxyHarness } from './proxy-harness.js';

const tcp = useTcpHarness();
const proxies = useProxyHarness();

/** Resolves once the sender's FIN has been sent and the proxy has had time to pass it to the toxic. */
async function eofReachedToxic(sender: TestServer): Promise<void> {
  const socket = (await sender.connection()).socket;
  if (!socket.writableFinished) await once(socket, 'finish');
  // The proxy (same process) hands the FIN to the toxic on its next read, which nothing outside the proxy
  // can observe: 50 ms is ample. Too early would only make the test pass vacuously, never flake.
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('slow_close toxic', () => {
  it('delays the close after the server closes by `delay` ms, data intact', async () => {
    const payload = randomBytes(20_000);
    const sender = await tcp.senderServer(payload);
    const { proxy, port } = await proxies.proxyTo(sender.port);
    await proxy.toxics.add(toxic('slow_close', { delay: 200 }));
    const client = await tcp.connect(port);
    const dataAt = await client.waitForBytes(payload.length);
    const closed = await client.waitForClose();
    expect(closed.kind).toBe('eof');
    expect(client.received.equals(payload)).toBe(true);
    // The delay runs from the EOF reaching the proxy, which can precede the client's last read by the time
    // the final chunk takes to cross: hence 185, still far above the ~0 ms of a close that is not delayed.
    expect(closed.at - dataAt).toBeGreaterThanOrEqual(185);
    expect(closed.at - dataAt).toBeLessThan(280);
  });

  it('upstream: the server sees the client close `delay` ms late, and so does the half-closed client', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    await proxy.toxics.add(toxic('slow_close', { delay: 150 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    const server = await sink.connection();
    client.write('bye');
    const endedAt = performance.now();
    client.socket.end();
    const closed = await server.waitForClose();
    expect(closed.kind).toBe('eof');
    expect(server.received.toString()).toBe('bye');
    expect(closed.at - endedAt).toBeGreaterThanOrEqual(145);
    expect(closed.at - endedAt).toBeLessThan(230);
    // Toxiproxy keeps the client's side open until the EOF has passed the toxic, then closes both.
    const clientClosed = await client.waitForClose();
    expect(clientClosed.at - endedAt).toBeGreaterThanOrEqual(145);
  });

  it('closes at once when removed during the delay', async () => {
    const sender = await tcp.senderServer(Buffer.from('hello'));
    const { proxy, port } = await proxies.proxyTo(sender.port);
    const wrapper = toxic('slow_close', { delay: 5_000 });
    await proxy.toxics.add(wrapper);
    const client = await tcp.connect(port);
    await client.waitForBytes(5);
    await eofReachedToxic(sender);
    const removedAt = performance.now();
    await proxy.toxics.remove(wrapper);
    const closed = await client.waitForClose(1_000);
    expect(closed.kind).toBe('eof');
    expect(closed.at - removedAt).toBeLessThan(100);
  });

  it('waits the new delay again when updated during the delay', async () => {
    const sender = await tcp.senderServer(Buffer.from('hello'));
    const { proxy, port } = await proxies.proxyTo(sender.port);
    const wrapper = toxic('slow_close', { delay: 5_000 });
    await proxy.toxics.add(wrapper);
    const client = await tcp.connect(port);
    await client.waitForBytes(5);
    await eofReachedToxic(sender);
    const updatedAt = performance.now();
    await proxy.toxics.update(updated(wrapper, { delay: 100 }));
    const closed = await client.waitForClose(1_000);
    expect(closed.at - updatedAt).toBeGreaterThanOrEqual(95);
    expect(closed.at - updatedAt).toBeLessThan(200);
  });
});
