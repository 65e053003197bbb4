import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTcpHarness } from '../../helpers/tcp.js';
import { toxic, updated, useProxyHarness } from './proxy-harness.js';

const tcp = useTcpHarness();
const proxies = useProxyHarness();

describe('limit_data toxic', () => {
  it('passes `bytes` bytes, then closes: 100 B sent with 10 gives 10 B echoed, then EOF', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('limit_data', { bytes: 10 }));
    const client = await tcp.connect(port);
    const payload = randomBytes(100);
    client.write(payload);
    const closed = await client.waitForClose();
    expect(closed.kind).toBe('eof');
    expect(client.received.equals(payload.subarray(0, 10))).toBe(true);
  });

  it('upstream: the server receives only `bytes` bytes and the connection closes', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    await proxy.toxics.add(toxic('limit_data', { bytes: 10 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    const server = await sink.connection();
    client.write('0123456789abcdef');
    expect((await server.waitForClose()).kind).toBe('eof');
    expect(server.received.toString()).toBe('0123456789');
    expect((await client.waitForClose()).kind).toBe('eof');
  });

  it('with 0 closes at the first data chunk, not at connect', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('limit_data', { bytes: 0 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.outcome).toBeUndefined();
    client.write('x');
    expect((await client.waitForClose()).kind).toBe('eof');
    expect(client.bytes).toBe(0);
    expect((await echo.connection()).bytes).toBe(0);
  });

  it('counts per connection: a new connection gets its own allowance', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('limit_data', { bytes: 4 }));
    for (let i = 0; i < 3; i++) {
      const client = await tcp.connect(port);
      client.write('abcdefgh');
      await client.waitForClose();
      expect(client.received.toString()).toBe('abcd');
    }
  });

  it('keeps the count across an update of the toxic', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    const wrapper = toxic('limit_data', { bytes: 10 });
    await proxy.toxics.add(wrapper);
    const client = await tcp.connect(port);
    await client.roundTrip('123456');
    await proxy.toxics.update(updated(wrapper, { bytes: 15 }));
    client.write('abcdefghijklmnopqrst');
    expect((await client.waitForClose()).kind).toBe('eof');
    // 6 before the update, then 15 - 6 = 9 more.
    expect(client.received.toString()).toBe('123456abcdefghi');
  });
});
