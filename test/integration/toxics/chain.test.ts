import { describe, expect, it } from 'vitest';
import { numberedLine, useTcpHarness, type RecordingSocket } from '../../helpers/tcp.js';
import { toxic, updated, useProxyHarness } from './proxy-harness.js';

const tcp = useTcpHarness();
const proxies = useProxyHarness();

/** Writes lines 0..count-1 about 1 ms apart (pacing, so the toxic sees many chunks). */
async function writeNumbered(client: RecordingSocket, count: number): Promise<string> {
  let sent = '';
  for (let i = 0; i < count; i++) {
    const line = numberedLine(i);
    client.write(line);
    sent += line;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}

describe('toxic chain on live connections', () => {
  it('noop passes data through unchanged', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('noop', {}));
    await proxy.toxics.add(toxic('noop', {}, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    const payload = Buffer.alloc(200_000, 'abcdefgh');
    client.write(payload);
    await client.waitForBytes(payload.length);
    expect(client.received.equals(payload)).toBe(true);
    expect(await client.roundTrip('x')).toBeLessThan(20);
  });

  it('applies a toxic added to an already open connection', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    const client = await tcp.connect(port);
    expect(await client.roundTrip('before')).toBeLessThan(20);
    await proxy.toxics.add(toxic('latency', { latency: 60 }));
    expect(await client.roundTrip('after')).toBeGreaterThanOrEqual(59.5);
  });

  it('applies an update to open connections, merging attributes', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    const wrapper = toxic('latency', { latency: 40, jitter: 0 });
    await proxy.toxics.add(wrapper);
    const client = await tcp.connect(port);
    const before = await client.roundTrip('a');
    expect(before).toBeGreaterThanOrEqual(39.5);
    expect(before).toBeLessThan(60);
    const next = updated(wrapper, { latency: 120 });
    expect(next.attributes).toEqual({ latency: 120, jitter: 0 });
    await proxy.toxics.update(next);
    const after = await client.roundTrip('b');
    expect(after).toBeGreaterThanOrEqual(119.5);
    expect(after).toBeLessThan(145);
  });

  it('flushes buffered data in order, losing nothing, when a toxic is removed mid-stream', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    const wrapper = toxic('latency', { latency: 150 }, { stream: 'upstream' });
    await proxy.toxics.add(wrapper);
    const client = await tcp.connect(port);
    const server = await sink.connection();
    const writing = writeNumbered(client, 300);
    // Remove while lines are both queued in the toxic and still being written.
    await server.waitForBytes(7 * 20);
    await proxy.toxics.remove(wrapper);
    const sent = await writing;
    await server.waitForBytes(sent.length);
    expect(server.received.toString()).toBe(sent);
  });

  it('keeps order when the first of two toxics is removed mid-stream', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    const first = toxic('latency', { latency: 100 }, { stream: 'upstream' });
    await proxy.toxics.add(first);
    await proxy.toxics.add(toxic('latency', { latency: 50 }, { stream: 'upstream' }));
    const client = await tcp.connect(port);
    const server = await sink.connection();
    const writing = writeNumbered(client, 300);
    await server.waitForBytes(7 * 20);
    await proxy.toxics.remove(first);
    const sent = await writing;
    await server.waitForBytes(sent.length);
    expect(server.received.toString()).toBe(sent);
  });

  it('toxicity 0 never applies and 1 always applies', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    const never = toxic('limit_data', { bytes: 0 }, { toxicity: 0 });
    await proxy.toxics.add(never);
    for (let i = 0; i < 10; i++) {
      const client = await tcp.connect(port);
      await client.roundTrip('ping');
    }
    await proxy.toxics.remove(never);
    await proxy.toxics.add(toxic('limit_data', { bytes: 0 }, { toxicity: 1 }));
    for (let i = 0; i < 10; i++) {
      const client = await tcp.connect(port);
      client.write('ping');
      expect((await client.waitForClose()).kind).toBe('eof');
      expect(client.bytes).toBe(0);
    }
  });

  it('decides toxicity once per connection, not per chunk', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    await proxy.toxics.add(toxic('limit_data', { bytes: 0 }, { toxicity: 0.5 }));
    const clients = await Promise.all(Array.from({ length: 40 }, () => tcp.connect(port)));
    const outcomes = await Promise.all(
      clients.map(async (client) => {
        client.write('ping');
        const result = await Promise.race([
          client.waitForBytes(4).then(() => 'echoed'),
          client.closed.then(() => 'closed'),
        ]);
        if (result === 'echoed') {
          // A spared connection stays spared for every later chunk.
          for (let i = 0; i < 5; i++) await client.roundTrip(`more${i}`);
        }
        return result;
      }),
    );
    const echoed = outcomes.filter((outcome) => outcome === 'echoed').length;
    // Binomial(40, 0.5): 0 or 40 has probability 2^-39.
    expect(echoed).toBeGreaterThan(0);
    expect(echoed).toBeLessThan(40);
  });

  it("a client's FIN closes the whole connection, as Toxiproxy does", async () => {
    const sink = await tcp.sinkServer();
    const { port } = await proxies.proxyTo(sink.port);
    const client = await tcp.connect(port);
    const server = await sink.connection();
    client.socket.end('bye');
    expect((await server.waitForClose()).kind).toBe('eof');
    expect(server.received.toString()).toBe('bye');
    expect((await client.waitForClose()).kind).toBe('eof');
  });

  it('"down": stop() refuses new connects and closes open ones; start() serves again', async () => {
    const echo = await tcp.echoServer();
    const { proxy, port } = await proxies.proxyTo(echo.port);
    const open = await tcp.connect(port);
    await open.roundTrip('up');
    await proxy.stop();
    expect(['eof', 'reset']).toContain((await open.waitForClose()).kind);
    expect(await tcp.connectOutcome(port)).toBe('ECONNREFUSED');
    await proxy.start();
    const again = await tcp.connect(port);
    expect(await again.roundTrip('up again')).toBeLessThan(20);
  });
});
