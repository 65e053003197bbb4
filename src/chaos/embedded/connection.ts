import type { Socket } from 'node:net';
import type { ReusedReadBuffer } from './reused-read-buffer.js';
import { ToxicLink } from './toxic-link.js';
import type { ToxicCollection } from './toxic-collection.js';

export interface ConnectionEvents {
  /** Both directions are done; bytes per direction are final (Toxiproxy counts them only now). */
  onClosed(connection: Connection): void;
}

/** A client connection and its upstream connection, joined by an upstream and a downstream link. */
export class Connection {
  readonly upstreamLink: ToxicLink;
  readonly downstreamLink: ToxicLink;
  private readonly resetOnClose: boolean;
  private reportedClosed = false;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    private readonly toxics: ToxicCollection,
    private readonly events: ConnectionEvents,
    /** How `upstream` was dialed to be read (see ReusedReadBuffer); without it, through 'data' events. */
    private readonly upstreamReader?: ReusedReadBuffer,
  ) {
    // Decided once, at accept: only connections that saw a reset_peer toxic from the start get RST.
    this.resetOnClose = toxics.list().some((toxic) => toxic.type.resetsConnections === true);
    const hooks = {
      onFinished: (link: ToxicLink) => this.linkFinished(link),
      resetOnClose: () => this.resetOnClose,
    };
    this.upstreamLink = new ToxicLink('upstream', client, upstream, hooks);
    this.downstreamLink = new ToxicLink('downstream', upstream, client, hooks);
  }

  start(): void {
    for (const socket of [this.client, this.upstream]) {
      socket.setNoDelay(true);
      // Node would answer a peer's FIN with its own at once; Toxiproxy keeps the other side open until the
      // link has passed that EOF through its toxics (slow_close, latency), then closes both sockets.
      socket.allowHalfOpen = true;
      // Errors (ECONNRESET, EPIPE) surface as 'close', which ends the link; nothing else to do.
      socket.on('error', () => undefined);
    }
    this.toxics.attach(this.upstreamLink);
    this.toxics.attach(this.downstreamLink);
    this.upstreamLink.start(this.toxics.chain('upstream'));
    this.downstreamLink.start(this.toxics.chain('downstream'), this.upstreamReader);
    this.client.resume();
  }

  /** Closes both sockets at once, as stopping or deleting a proxy does. */
  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  private linkFinished(link: ToxicLink): void {
    this.toxics.detach(link);
    // The finished link closed its destination, which is the other link's source.
    const other = link === this.upstreamLink ? this.downstreamLink : this.upstreamLink;
    other.endInput();
    // endInput() above can finish the other link re-entrantly, so both calls may see both links done.
    if (this.reportedClosed || !this.upstreamLink.isFinished || !this.downstreamLink.isFinished) return;
    this.reportedClosed = true;
    this.events.onClosed(this);
  }
}
