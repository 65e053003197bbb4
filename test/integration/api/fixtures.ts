import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, expect } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
  type EmbeddedToxiproxyOptions,
} from '../../../src/chaos/embedded/embedded-server.js';
import { XID_PATTERN, type HttpResult } from '../../helpers/http.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** A real embedded server on a free port, closed after the test. */
export async function startServer(options: EmbeddedToxiproxyOptions = {}): Promise<EmbeddedToxiproxy> {
  const server = await startEmbeddedToxiproxy({ port: 0, ...options });
  onCleanup(() => server.close());
  return server;
}

export interface TcpServer {
  port: number;
  address: string;
  server: Server;
  /** Sockets accepted so far that are still open. */
  sockets: Set<Socket>;
}

/** An upstream that echoes every byte back, on 127.0.0.1 and a free port. */
export async function startEchoServer(): Promise<TcpServer> {
  return startTcpServer((socket) => socket.pipe(socket));
}

export async function startTcpServer(onConnection: (socket: Socket) => void): Promise<TcpServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port, address: `127.0.0.1:${port}`, server, sockets };
}

/** Holds a port so that binding it fails with EADDRINUSE; returns the address. */
export async function occupyPort(): Promise<{ port: number; address: string }> {
  const { port, address } = await startTcpServer((socket) => socket.destroy());
  return { port, address };
}

export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** Opens a client connection and waits until it is established. */
export function openClient(port: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      onCleanup(() => {
        socket.destroy();
      });
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Writes `data` and resolves with the bytes echoed back once as many have arrived. */
export function echo(socket: Socket, data: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('utf8');
      if (received.length >= data.length) {
        cleanup();
        resolve(received);
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`connection closed after ${JSON.stringify(received)}`));
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(data);
  });
}

/** One full round trip through a proxy: connect, echo, close, and wait until the close completes. */
export async function roundTrip(port: number, data: string): Promise<string> {
  const socket = await openClient(port);
  const received = await echo(socket, data);
  await closeClient(socket);
  return received;
}

/** Half-closes and waits for the server side to close too. */
export function closeClient(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    socket.once('close', () => resolve());
    socket.resume();
    socket.end();
  });
}

/** Resolves when the socket is closed by the other side. */
export function waitForClose(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
    socket.resume();
  });
}

/** The error code of a fresh connection attempt, or 'connected'. */
export function connectOutcome(port: number): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/** Go's http.Error rendition of Toxiproxy's error document, checked byte for byte. */
export function expectErrorDoc(result: HttpResult, status: number, message: string): void {
  expect({ status: result.status, body: result.body }).toEqual({
    status,
    body: `${JSON.stringify({ error: message, status })}\n`,
  });
  expect(result.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(result.headers['x-content-type-options']).toBe('nosniff');
  expect(result.headers['x-toxiproxy-request-id']).toMatch(XID_PATTERN);
}

/** A success response: status, application/json, exact body, request id. */
export function expectJson(result: HttpResult, status: number, body: string): void {
  expect({ status: result.status, body: result.body }).toEqual({ status, body });
  expect(result.headers['content-type']).toBe('application/json');
  expect(result.headers['x-toxiproxy-request-id']).toMatch(XID_PATTERN);
}

/** The exact JSON Toxiproxy 2.12.0 writes for a proxy. */
export function proxyDoc(
  name: string,
  listen: string,
  upstream: string,
  enabled: boolean,
  toxics: string[] = [],
): string {
  return (
    `{"name":${JSON.stringify(name)},"listen":${JSON.stringify(listen)},"upstream":${JSON.stringify(upstream)},` +
    `"enabled":${enabled},"Logger":{},"toxics":[${toxics.join(',')}]}`
  );
}

/** The exact JSON of a latency toxic. */
export function latencyDoc(name: string, stream: string, latency = 0, jitter = 0, toxicity = '1'): string {
  return (
    `{"attributes":{"latency":${latency},"jitter":${jitter}},"name":${JSON.stringify(name)},"type":"latency",` +
    `"stream":${JSON.stringify(stream)},"toxicity":${toxicity}}`
  );
}

/** Everything the other side sends until it closes the connection. */
export function readAll(socket: Socket): Promise<string> {
  return new Promise<string>((resolve) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.once('close', () => resolve(received));
  });
}
