import { describe, expect, it } from 'vitest';
import { useTcpHarness } from '../../helpers/tcp.js';
import { toxic, useProxyHarness } from './proxy-harness.js';

const tcp = useTcpHarness();
const proxies = useProxyHarness();

/** Absence can only be observed over time: how long we watch for data that must not come. */
const QUIET_WINDOW_MS = 300;

describe('timeout toxic', () => {
  it('with timeout 0 drops all data and keeps the connection open', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('timeout', { timeout: 0 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    const server = await echo.connection();
    client.write('hello');
    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
    expect(server.bytes).toBe(0);
    expect(client.bytes).toBe(0);
    expect(client.outcome).toBeUndefined();
    expect(server.outcome).toBeUndefined();
  });

  it('closes with EOF about `timeout` ms after the last incoming data', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('timeout', { timeout: 200 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    // Writes 120 ms apart keep restarting the timer, so the connection outlives 200 ms from connect.
    for (let i = 0; i < 3; i++) {
      client.write('tick');
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(client.outcome).toBeUndefined();
    }
    client.write('last');
    const closed = await client.waitForClose();
    expect(closed.kind).toBe('eof');
    expect(closed.at - client.lastWriteAt).toBeGreaterThanOrEqual(195);
    expect(closed.at - client.lastWriteAt).toBeLessThan(260);
    expect(client.bytes).toBe(0);
  });

  it('starts the timer when the connection opens, without any data', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('timeout', { timeout: 150 }));
    const start = performance.now();
    const client = await tcp.connect(port);
    const closed = await client.waitForClose();
    expect(closed.kind).toBe('eof');
    expect(closed.at - start).toBeGreaterThanOrEqual(145);
    expect(closed.at - start).toBeLessThan(220);
  });

  it('starts the timer when added to an open connection', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    const client = await tcp.connect(port);
    await client.roundTrip('before');
    const added = performance.now();
    await proxy.toxics.add(toxic('timeout', { timeout: 150 }));
    const closed = await client.waitForClose();
    expect(closed.at - added).toBeGreaterThanOrEqual(145);
    expect(closed.at - added).toBeLessThan(220);
  });

  it('closes the connection when removed', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    const wrapper = toxic('timeout', { timeout: 0 });
    await proxy.toxics.add(wrapper);
    const client = await tcp.connect(port);
    client.write('swallowed');
    const server = await echo.connection();
    await server.waitForBytes(9);
    const removed = performance.now();
    await proxy.toxics.remove(wrapper);
    const closed = await client.waitForClose();
    expect(closed.kind).toBe('eof');
    expect(closed.at - removed).toBeLessThan(100);
    expect(client.bytes).toBe(0);
  });
});
