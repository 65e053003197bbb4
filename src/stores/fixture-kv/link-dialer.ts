import { connect, type Socket } from 'node:net';
import { splitHostPort } from '../../chaos/embedded/net-address.js';

export const UPGRADE_PROTOCOL = 'geoctl-kv-replication';
const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Keeps one replication connection open from this region to a peer, through the link's proxy: dials,
 * upgrades the HTTP connection, hands the socket over, and re-dials with backoff whenever it closes.
 */
export class LinkDialer {
  private stopped = false;
  private backoff = MIN_BACKOFF_MS;
  private timer: NodeJS.Timeout | undefined;
  private socket: Socket | undefined;

  constructor(
    private readonly address: string,
    private readonly region: string,
    private readonly onConnected: (socket: Socket, rest: Buffer, closed: Promise<void>) => void,
  ) {}

  start(): void {
    this.dial();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.destroy();
  }

  private dial(): void {
    if (this.stopped) return;
    const target = splitHostPort(this.address);
    if (typeof target === 'string') return;
    const socket = connect({ host: target.host, port: target.port });
    this.socket = socket;
    let header = Buffer.alloc(0);
    let upgraded = false;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(
        `GET /_fixture/replicate HTTP/1.1\r\nHost: ${this.address}\r\nConnection: Upgrade\r\nUpgrade: ${UPGRADE_PROTOCOL}\r\nX-Geoctl-Region: ${this.region}\r\n\r\n`,
      );
    });
    const onData = (chunk: Buffer): void => {
      header = Buffer.concat([header, chunk]);
      const end = header.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!/^HTTP\/1\.1 101 /.test(header.toString('latin1', 0, end))) {
        socket.destroy();
        return;
      }
      upgraded = true;
      this.backoff = MIN_BACKOFF_MS;
      socket.setTimeout(0);
      this.onConnected(socket, header.subarray(end + 4), closed);
    };
    socket.on('data', onData);
    void closed.then(() => {
      if (this.stopped) return;
      const delay = upgraded ? MIN_BACKOFF_MS : this.backoff;
      if (!upgraded) this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
      this.timer = setTimeout(() => this.dial(), delay);
    });
  }
}
