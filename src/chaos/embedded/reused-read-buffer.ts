import { Buffer } from 'node:buffer';
import type { OnReadOpts } from 'node:net';

/** Same size as the buffer Node allocates for each read of a stream socket: what bulk transfers get. */
const READ_BUFFER_BYTES = 64 * 1024;
/**
 * What a connection starts with: small enough to come from Buffer's shared pool, so accepting a connection
 * costs no 64 KiB allocation (that cost about 7 % of connections per second in churn) and an idle connection
 * holds 2 KiB. A read that fills it switches the connection to READ_BUFFER_BYTES.
 */
const FIRST_BUFFER_BYTES = 2 * 1024;

/**
 * Takes the bytes of one read. `view` aliases a buffer that will be read into again: return true if a
 * reference to it is kept past the call (a write still pending holds it), so the next read gets a new one.
 */
export type BorrowedReceiver = (view: Buffer) => boolean;

/**
 * Reads a socket that geoctl dials itself through `net.connect`'s `onread` option, into one buffer that is
 * reused from read to read. That skips what a 'data' event costs per read (a fresh 64 KiB allocation shrunk
 * to size, an ArrayBuffer, the Readable stream's push and emit), which the no-toxic fast path pays on every
 * hop of a round trip. The price is one buffer held per dialed socket for its lifetime: 2 KiB, or 64 KiB once
 * a read has filled it (Toxiproxy's io.Copy holds 32 KiB per direction). Pause/resume, 'end' and 'close'
 * work as on any socket.
 */
export class ReusedReadBuffer {
  private buffer: Buffer = Buffer.allocUnsafe(FIRST_BUFFER_BYTES);
  private receiver: BorrowedReceiver | undefined;
  /** Reads that came before a receiver was attached (copies, in order). */
  private early: Buffer[] = [];
  private kept = false;
  private grow = false;

  /** The value to pass as `onread` to `net.connect`. */
  readonly onread: OnReadOpts = {
    buffer: () => this.nextBuffer(),
    callback: (nread, buffer) => {
      if (nread === buffer.length && buffer.length < READ_BUFFER_BYTES) this.grow = true;
      const view = Buffer.from(buffer.buffer, buffer.byteOffset, nread);
      if (this.receiver) this.kept = this.receiver(view);
      else this.early.push(Buffer.from(view));
      // Backpressure pauses the socket itself (socket.pause() stops reading an onread socket too).
      return true;
    },
  };

  /** Starts delivering reads to `receiver`, first those that arrived before it (as owned copies). */
  attach(receiver: BorrowedReceiver): void {
    this.receiver = receiver;
    const early = this.early;
    this.early = [];
    for (const data of early) receiver(data);
  }

  private nextBuffer(): Buffer {
    // A pending write still referencing the last read: never read into that buffer again.
    if (this.kept || this.grow) {
      const size = this.grow ? READ_BUFFER_BYTES : this.buffer.length;
      this.kept = false;
      this.grow = false;
      this.buffer = Buffer.allocUnsafe(size);
    }
    return this.buffer;
  }
}
