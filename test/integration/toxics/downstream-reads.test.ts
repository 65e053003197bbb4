import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Proxy, type DirectionBytes } from '../../../src/chaos/embedded/proxy.js';
import { listenPort, toxic, useProxyHarness } from './proxy-harness.js';

// The upstream socket the proxy dials is read into a reused buffer (ReusedReadBuffer), not through 'data'
// events. A buffer handed out again while a write still held it would corrupt the stream silently, so these
// tests send content that differs everywhere and compare every byte, under backpressure and toxics.

const proxies = useProxyHarness();
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** `bytes` of a counter stream: byte i is a function of i that repeats only every 251 × 256 bytes. */
function pattern(bytes: number, from = 0): Buffer {
  const data = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) data[i] = ((from + i) % 251) ^ (((from + i) >> 8) & 0xff);
  return data;
}

async function listening(onSocket: (socket: Socket) => void): Promise<{ port: number }> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return { port: address.port };
}

/** A server that sends `total` bytes of pattern() to each client in 64 KiB writes, honouring backpressure. */
async function patternServer(total: number): Promise<{ port: number; sent: () => boolean }> {
  let done = false;
  const { port } = await listening((socket) => {
    let offset = 0;
    const pump = (): void => {
      while (offset < total) {
        const size = Math.min(64 * 1024, total - offset);
        const ok = socket.write(pattern(size, offset));
        offset += size;
        if (!ok) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end(() => (done = true));
    };
    pump();
  });
  return { port, sent: () => done };
}

function rawClient(port: number): Socket {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  cleanups.push(() => socket.destroy());
  return socket;
}

function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (data: Buffer) => chunks.push(data));
  return new Promise((resolve) => socket.once('end', () => resolve(Buffer.concat(chunks))));
}

describe('downstream reads (upstream socket read into a reused buffer)', () => {
  it('delivers every byte intact to a client that stops reading, and stops reading upstream meanwhile', async () => {
    const total = 64 << 20;
    const upstream = await patternServer(total);
    const { port } = await proxies.proxyTo(upstream.port);
    const client = rawClient(port);
    client.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Socket buffers on both sides of the proxy plus its 1 MiB high-water mark hold far less than 64 MiB:
    // had the proxy kept reading, it would have taken all of it into memory by now.
    expect(upstream.sent()).toBe(false);
    const received = readAll(client);
    client.resume();
    const data = await received;
    expect(data.length).toBe(total);
    expect(data.equals(pattern(total))).toBe(true);
  });

  it('keeps order and content when a latency toxic is added and removed while data flows', async () => {
    const total = 24 << 20;
    const upstream = await patternServer(total);
    const { proxy, port } = await proxies.proxyTo(upstream.port);
    const client = rawClient(port);
    const received = readAll(client);
    const latency = toxic('latency', { latency: 5 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await proxy.toxics.add(latency);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await proxy.toxics.remove(latency);
    const data = await received;
    expect(data.length).toBe(total);
    expect(data.equals(pattern(total))).toBe(true);
  });

  it('passes the upstream EOF on after the data and counts the bytes of both directions', async () => {
    const reply = pattern(300_000);
    const upstream = await listening((socket) => socket.once('data', () => socket.end(reply)));
    const counted = new Promise<{ received: DirectionBytes; sent: DirectionBytes }>((resolve) => {
      const proxy = new Proxy(
        { name: 'counted', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` },
        { connectionClosed: (_proxy, received, sent) => resolve({ received, sent }) },
      );
      cleanups.push(() => void proxy.stop());
      void proxy.start().then(() => {
        const client = rawClient(listenPort(proxy));
        const data = readAll(client);
        client.write('hello');
        void data.then((buffer) => {
          expect(buffer.equals(reply)).toBe(true);
          client.end();
        });
      });
    });
    const { received, sent } = await counted;
    expect(received).toEqual({ upstream: 5, downstream: reply.length });
    expect(sent).toEqual({ upstream: 5, downstream: reply.length });
  });
});
