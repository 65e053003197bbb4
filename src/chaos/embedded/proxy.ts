import { createServer, connect, type Server, type Socket } from 'node:net';
import { apiErrors } from './api-error.js';
import { Connection } from './connection.js';
import { formatAddress, resolveTcpAddress, splitHostPort } from './net-address.js';
import { ReusedReadBuffer } from './reused-read-buffer.js';
import { ToxicCollection } from './toxic-collection.js';

export interface ProxySpec {
  name: string;
  listen: string;
  upstream: string;
}

/** Receives byte counts per direction when a connection closes (Toxiproxy's proxy metrics). */
export interface TrafficObserver {
  connectionClosed(proxy: Proxy, received: DirectionBytes, sent: DirectionBytes): void;
}
export interface DirectionBytes {
  upstream: number;
  downstream: number;
}

const errnoText: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'cannot assign requested address',
};

/**
 * One proxy: a TCP listener that dials `upstream` for every client it accepts and joins the two through a
 * Connection. Disabled ("down") means no listener and no connections; toxics are kept either way.
 */
export class Proxy {
  name: string;
  listen: string;
  upstream: string;
  enabled = false;
  readonly toxics = new ToxicCollection();
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();

  constructor(
    spec: ProxySpec,
    private readonly observer?: TrafficObserver,
  ) {
    this.name = spec.name;
    this.listen = spec.listen;
    this.upstream = spec.upstream;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Binds the listener; on failure throws a 500 ApiError with Go's error text and stays disabled. */
  async start(): Promise<void> {
    if (this.enabled) return;
    let target: { bindHost: string; port: number };
    try {
      target = await resolveTcpAddress(this.listen === '' ? ':0' : this.listen);
    } catch (error) {
      throw apiErrors.internal(`listen tcp: ${(error as Error).message}`);
    }
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: target.bindHost, port: target.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      const reason = errnoText[error.code ?? ''] ?? error.message;
      throw apiErrors.internal(`listen tcp ${formatAddress(target.bindHost, target.port)}: bind: ${reason}`);
    });
    server.on('error', () => undefined);
    const bound = server.address();
    if (bound && typeof bound === 'object') {
      this.listen = bound.address === '::' ? `[::]:${bound.port}` : formatAddress(bound.address, bound.port);
    }
    this.server = server;
    this.enabled = true;
  }

  /** Closes the listener and every live connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.enabled = false;
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    const target = splitHostPort(this.upstream);
    if (typeof target === 'string') {
      client.destroy();
      return;
    }
    const reader = new ReusedReadBuffer();
    const upstream = connect({
      host: target.host || 'localhost',
      port: target.port,
      noDelay: true,
      onread: reader.onread,
    });
    const onDialError = (): void => {
      // Toxiproxy just closes the client when the upstream cannot be dialed.
      client.destroy();
    };
    upstream.once('error', onDialError);
    client.once('close', () => {
      if (upstream.connecting) upstream.destroy();
    });
    upstream.once('connect', () => {
      upstream.off('error', onDialError);
      if (client.destroyed || !this.server) {
        upstream.destroy();
        client.destroy();
        return;
      }
      const connection = new Connection(
        client,
        upstream,
        this.toxics,
        { onClosed: (closed) => this.connectionClosed(closed) },
        reader,
      );
      this.connections.add(connection);
      connection.start();
    });
  }

  private connectionClosed(connection: Connection): void {
    this.connections.delete(connection);
    this.observer?.connectionClosed(
      this,
      { upstream: connection.upstreamLink.bytesRead, downstream: connection.downstreamLink.bytesRead },
      { upstream: connection.upstreamLink.bytesWritten, downstream: connection.downstreamLink.bytesWritten },
    );
  }
}
