import { StringDecoder } from 'node:string_decoder';
import type { Socket } from 'node:net';
import type { Frame } from './kv-types.js';

/**
 * One replication connection (either side of a link), speaking one JSON frame per line. Frames queue and
 * go out every `batchMs` (or at once for 0), which is the store's replication batching. A peer that sends
 * nothing (not even a heartbeat) for `idleMs` is presumed cut off, and the connection is dropped so the
 * dialling side re-dials: a blackholed link never closes on its own.
 */
export class PeerConnection {
  region: string | undefined;
  private buffered = '';
  private readonly decoder = new StringDecoder('utf8');
  private queue: string[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly options: { batchMs: number; idleMs: number },
    private readonly onFrame: (peer: PeerConnection, frame: Frame) => void,
    private readonly onClose: (peer: PeerConnection) => void,
    initial?: Buffer,
  ) {
    socket.setNoDelay(true);
    // Not socket.setEncoding: Node's HTTP server forbids it on sockets it upgraded.
    socket.setTimeout(options.idleMs, () => socket.destroy());
    socket.on('data', (data: Buffer) => this.receive(this.decoder.write(data)));
    socket.on('error', () => undefined);
    socket.on('close', () => this.shutDown());
    if (initial && initial.length > 0) this.receive(this.decoder.write(initial));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(frame: Frame): void {
    if (this.closed) return;
    this.queue.push(JSON.stringify(frame));
    if (this.options.batchMs <= 0) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.options.batchMs);
  }

  close(): void {
    this.socket.destroy();
    this.shutDown();
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.closed || this.queue.length === 0) return;
    this.socket.write(`${this.queue.join('\n')}\n`);
    this.queue = [];
  }

  private receive(text: string): void {
    this.buffered += text;
    let newline = this.buffered.indexOf('\n');
    while (newline >= 0 && !this.closed) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      if (line !== '') {
        let frame: Frame;
        try {
          frame = JSON.parse(line) as Frame;
        } catch {
          // A torn stream (bytes dropped by a fault): start over on a fresh connection.
          this.close();
          return;
        }
        this.onFrame(this, frame);
      }
      newline = this.buffered.indexOf('\n');
    }
  }

  private shutDown(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.flushTimer);
    this.queue = [];
    this.onClose(this);
  }
}
