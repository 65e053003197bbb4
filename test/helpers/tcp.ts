import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach } from 'vitest';

/** How a socket ended, and when (performance.now()). */
export interface CloseOutcome {
  kind: 'eof' | 'reset' | 'error';
  /** Error code for 'reset' and 'error' (ECONNRESET, EPIPE, …). */
  code?: string;
  at: number;
}

export interface Arrival {
  at: number;
  data: Buffer;
}

const DEFAULT_WAIT_MS = 5_000;

/**
 * One end of a TCP connection that records every read with its arrival time and how the socket ended, so
 * tests can await "N bytes arrived" or "the peer closed" instead of sleeping.
 */
export class RecordingSocket {
  readonly arrivals: Arrival[] = [];
  /** Settles once, with the first of 'end' (EOF) or 'error' (ECONNRESET is reported as 'reset'). */
  readonly closed: Promise<CloseOutcome>;
  outcome: CloseOutcome | undefined;
  lastWriteAt = 0;
  private total = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: Socket) {
    this.closed = new Promise<CloseOutcome>((resolve) => {
      const settle = (outcome: CloseOutcome): void => {
        if (this.outcome) return;
        this.outcome = outcome;
        resolve(outcome);
        this.notify();
      };
      socket.on('data', (data: Buffer) => {
        this.arrivals.push({ at: performance.now(), data });
        this.total += data.length;
        this.notify();
      });
      socket.on('end', () => settle({ kind: 'eof', at: performance.now() }));
      socket.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? error.message;
        settle({ kind: code === 'ECONNRESET' ? 'reset' : 'error', code, at: performance.now() });
      });
      socket.on('close', () => settle({ kind: 'eof', at: performance.now() }));
    });
  }

  get bytes(): number {
    return this.total;
  }

  get received(): Buffer {
    return Buffer.concat(this.arrivals.map((arrival) => arrival.data));
  }

  write(data: string | Buffer): void {
    this.lastWriteAt = performance.now();
    this.socket.write(data);
  }

  /** Resolves with the time the total reached `count` bytes; rejects if the socket closes first. */
  waitForBytes(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<number> {
    return this.waitFor(`${count} bytes`, timeoutMs, () => {
      if (this.total < count) return undefined;
      let seen = 0;
      for (const arrival of this.arrivals) {
        seen += arrival.data.length;
        if (seen >= count) return arrival.at;
      }
      return undefined;
    });
  }

  /** Resolves when the socket ended (EOF, reset or error); rejects after `timeoutMs`. */
  waitForClose(timeoutMs = DEFAULT_WAIT_MS): Promise<CloseOutcome> {
    return this.waitFor('close', timeoutMs, () => this.outcome, true);
  }

  /** Writes `data` and resolves with the ms until as many more bytes came back (an echo round trip). */
  async roundTrip(data: string | Buffer, timeoutMs = DEFAULT_WAIT_MS): Promise<number> {
    const expected = this.total + Buffer.byteLength(data);
    const start = performance.now();
    this.write(data);
    const at = await this.waitForBytes(expected, timeoutMs);
    return at - start;
  }

  private waitFor<T>(
    what: string,
    timeoutMs: number,
    check: () => T | undefined,
    closeIsOk = false,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (have ${this.total} bytes)`));
      }, timeoutMs);
      const poll = (): void => {
        const value = check();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (this.outcome && !closeIsOk) {
          done();
          reject(new Error(`socket closed (${this.outcome.kind}) before ${what}; have ${this.total} bytes`));
        }
      };
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== poll);
      };
      this.waiters.push(poll);
      poll();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export interface TestServer {
  readonly port: number;
  /** Server-side sockets, in accept order. */
  readonly connections: RecordingSocket[];
  /** Resolves with the `index`-th accepted connection (0-based), waiting for it if needed. */
  connection(index?: number, timeoutMs?: number): Promise<RecordingSocket>;
}

/**
 * Opens servers and clients for a test and closes them all afterwards, so a failed assertion never leaks
 * a listener into the next test.
 */
export class TcpHarness {
  private readonly servers = new Set<Server>();
  private readonly sockets = new Set<Socket>();

  /** Echoes every byte back on the same connection. */
  echoServer(): Promise<TestServer> {
    return this.server((socket) => socket.on('data', (data: Buffer) => socket.write(data)));
  }

  /** Reads and records everything; never writes. */
  sinkServer(): Promise<TestServer> {
    return this.server(() => undefined);
  }

  /** Sends `payload` to each client as soon as it connects, then closes its side. */
  senderServer(payload: Buffer): Promise<TestServer> {
    return this.server((socket) => socket.end(payload));
  }

  async connect(port: number): Promise<RecordingSocket> {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    this.track(socket);
    const recording = new RecordingSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
      socket.once('error', reject);
    });
    return recording;
  }

  /** Resolves with the error code of a connect that fails (ECONNREFUSED), or 'connected'. */
  async connectOutcome(port: number): Promise<string> {
    try {
      const client = await this.connect(port);
      client.socket.destroy();
      return 'connected';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? String(error);
    }
  }

  async closeAll(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const servers = [...this.servers];
    this.servers.clear();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }

  private async server(onConnection: (socket: Socket) => void): Promise<TestServer> {
    const connections: RecordingSocket[] = [];
    const waiters: Array<() => void> = [];
    const server = createServer({ noDelay: true }, (socket) => {
      this.track(socket);
      connections.push(new RecordingSocket(socket));
      onConnection(socket);
      for (const waiter of waiters.splice(0)) waiter();
    });
    this.servers.add(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const connection = (index = 0, timeoutMs = DEFAULT_WAIT_MS): Promise<RecordingSocket> =>
      new Promise<RecordingSocket>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no connection #${index} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = (): void => {
          const found = connections[index];
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    return { port, connections, connection };
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => this.sockets.delete(socket));
  }
}

/** A harness whose sockets and servers are closed after each test of the calling file. */
export function useTcpHarness(): TcpHarness {
  const harness = new TcpHarness();
  afterEach(() => harness.closeAll());
  return harness;
}

/** Lines "000000\n", "000001\n", … for order and completeness checks. */
export function numberedLine(n: number): string {
  return `${String(n).padStart(6, '0')}\n`;
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
