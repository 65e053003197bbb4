import { describe, expect, it } from 'vitest';
import { useTcpHarness } from '../../helpers/tcp.js';
import { toxic, useProxyHarness } from './proxy-harness.js';

const tcp = useTcpHarness();
const proxies = useProxyHarness();

describe('reset_peer toxic', () => {
  it('resets (ECONNRESET) a connection accepted while it existed, `timeout` ms after the first data', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('reset_peer', { timeout: 150 }));
    const client = await tcp.connect(port);
    client.write('hello');
    const closed = await client.waitForClose();
    expect(closed).toMatchObject({ kind: 'reset', code: 'ECONNRESET' });
    expect(closed.at - client.lastWriteAt).toBeGreaterThanOrEqual(145);
    expect(closed.at - client.lastWriteAt).toBeLessThan(250);
    // The chunk that triggered it is dropped.
    expect(client.bytes).toBe(0);
  });

  it('upstream: resets both the server and the client side', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    await proxy.toxics.add(toxic('reset_peer', { timeout: 50 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    const server = await sink.connection();
    client.write('hello');
    expect(await server.waitForClose()).toMatchObject({ kind: 'reset' });
    expect(await client.waitForClose()).toMatchObject({ kind: 'reset' });
    expect(server.bytes).toBe(0);
  });

  it('closes with a plain FIN (EOF) when added to an already open connection', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    const client = await tcp.connect(port);
    await client.roundTrip('before');
    await proxy.toxics.add(toxic('reset_peer', { timeout: 100 }));
    client.write('after');
    const closed = await client.waitForClose();
    expect(closed.kind).toBe('eof');
    expect(closed.at - client.lastWriteAt).toBeGreaterThanOrEqual(95);
    expect(closed.at - client.lastWriteAt).toBeLessThan(200);
    expect(client.received.toString()).toBe('before');
  });

  it('cannot be interrupted: removing it mid-wait returns only after the close', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    const wrapper = toxic('reset_peer', { timeout: 400 });
    await proxy.toxics.add(wrapper);
    const client = await tcp.connect(port);
    client.write('hello');
    await (await echo.connection()).waitForBytes(5);
    // The echoed chunk reaches the toxic a moment after the echo server sent it, which nothing outside the
    // proxy can observe; 100 ms is ample for that local hop and leaves the toxic mid-wait.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await proxy.toxics.remove(wrapper);
    const removedAt = performance.now();
    expect(removedAt - client.lastWriteAt).toBeGreaterThanOrEqual(395);
    expect((await client.waitForClose()).kind).toBe('reset');
  });

  it('does nothing until data or EOF arrives', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('reset_peer', { timeout: 0 }));
    const client = await tcp.connect(port);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.outcome).toBeUndefined();
    client.write('now');
    expect((await client.waitForClose()).kind).toBe('reset');
  });
});
