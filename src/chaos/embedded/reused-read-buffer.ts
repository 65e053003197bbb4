import { Buffer } from 'node:buffer';
import type { OnReadOpts } from 'node:net';

/** Same size as the buffer Node allocates for each read of a stream socket. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * Takes the bytes of one read. `view` aliases a buffer that will be read into again: return true if a
 * reference to it is kept past the call (a write still pending holds it), so the next read gets a new one.
 */
export type BorrowedReceiver = (view: Buffer) => boolean;

/**
 * Reads a socket that geoctl dials itself through `net.connect`'s `onread` option, into one buffer that is
 * reused from read to read. That skips what a 'data' event costs per read (a fresh 64 KiB allocation shrunk
 * to size, an ArrayBuffer, the Readable stream's push and emit), which the no-toxic fast path pays on every
 * hop of a round trip. The price is one 64 KiB buffer held per dialed socket for its lifetime (Toxiproxy's
 * io.Copy holds 32 KiB per direction). Pause/resume, 'end' and 'close' work as on any socket.
 */
export class ReusedReadBuffer {
  private buffer: Buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private receiver: BorrowedReceiver | undefined;
  /** Reads that came before a receiver was attached (copies, in order). */
  private early: Buffer[] = [];
  private kept = false;

  /** The value to pass as `onread` to `net.connect`. */
  readonly onread: OnReadOpts = {
    buffer: () => this.nextBuffer(),
    callback: (nread, buffer) => {
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
    if (this.kept) {
      // The last read is still referenced by a pending write: never read into it again.
      this.kept = false;
      this.buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    }
    return this.buffer;
  }
}
