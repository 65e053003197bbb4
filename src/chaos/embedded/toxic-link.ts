import type { Socket } from 'node:net';
import { now } from './precise-timer.js';
import type { ReusedReadBuffer } from './reused-read-buffer.js';
import { forward, type ChunkSink, type StreamChunk } from './stream-chunk.js';
import { ToxicStub } from './toxic-stub.js';
import type { Direction, ToxicWrapper } from './toxic-wrapper.js';

/** Bytes the destination socket may buffer before we stop reading the source. */
const DEST_HIGH_WATER = 1 << 20;
/** Bytes a toxic may hold queued when its type does not say (Toxiproxy's channels hold about one chunk). */
const DEFAULT_STAGE_BUFFER = 64 * 1024;

export interface LinkHooks {
  /** The link wrote its last byte and closed its destination. */
  onFinished(link: ToxicLink): void;
  /** Connections accepted while a reset_peer toxic existed close with RST instead of FIN. */
  resetOnClose(): boolean;
}

/**
 * One direction of one proxied connection: source socket → toxic chain → destination socket. With no toxic
 * the chain is empty and each read is written straight through, which is the fast path the benchmark
 * measures; toxics added to a live connection are spliced in without reordering or losing data.
 */
export class ToxicLink {
  private stubs: ToxicStub[] = [];
  private wrappers: ToxicWrapper[] = [];
  private inputEnded = false;
  private finished = false;
  private paused = false;
  bytesRead = 0;
  bytesWritten = 0;

  private readonly destSink: ChunkSink = {
    push: (chunk) => this.writeOut(chunk),
    end: () => this.finish(),
  };

  constructor(
    readonly direction: Direction,
    private readonly source: Socket,
    private readonly dest: Socket,
    private readonly hooks: LinkHooks,
  ) {}

  /** `reader`: the source was dialed with its `onread`, so reads arrive through it instead of 'data'. */
  start(chain: readonly ToxicWrapper[], reader?: ReusedReadBuffer): void {
    for (const wrapper of chain) this.appendStub(wrapper);
    for (const [i, stub] of this.stubs.entries()) stub.run(this.wrappers[i]!);
    if (reader) reader.attach((view) => this.onBorrowed(view));
    else this.source.on('data', (data: Buffer) => this.onData(data));
    this.source.on('end', () => this.endInput());
    this.source.on('close', () => this.endInput());
    this.dest.on('drain', () => this.relieve());
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** The source socket was closed by the other half of the connection. */
  endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.head().end();
  }

  async addToxic(wrapper: ToxicWrapper): Promise<void> {
    // A connection accepted after the collection took the toxic but before this change reached the links
    // already started with it in its chain; adding it again would apply it twice.
    if (this.finished || this.wrappers.some((w) => w.name === wrapper.name)) return;
    const previous = this.stubs.at(-1);
    // Toxiproxy interrupts the toxic before the new one so it can re-point its output without a race;
    // the restart also re-draws its toxicity.
    if (previous && !(await previous.interrupt())) return;
    const stub = this.appendStub(wrapper);
    stub.run(wrapper);
    if (previous) previous.run(this.wrappers[this.stubs.length - 2]!);
  }

  async updateToxic(wrapper: ToxicWrapper): Promise<void> {
    const index = this.wrappers.findIndex((w) => w.name === wrapper.name);
    const stub = this.stubs[index];
    if (!stub) return;
    this.wrappers[index] = wrapper;
    if (await stub.interrupt()) stub.run(wrapper);
  }

  async removeToxic(name: string): Promise<void> {
    const index = this.wrappers.findIndex((w) => w.name === name);
    const stub = this.stubs[index];
    const wrapper = this.wrappers[index];
    if (!stub || !wrapper) return;
    const previous = this.stubs[index - 1];
    const interruptedPrevious = previous ? await previous.interrupt() : false;
    const interrupted = await stub.interrupt();
    if (interrupted) wrapper.type.cleanup?.(stub);
    // Splice synchronously from here on, so no chunk can slip between the queues while we rewire.
    this.stubs.splice(index, 1);
    this.wrappers.splice(index, 1);
    const next: ChunkSink = this.stubs[index]?.input ?? this.destSink;
    if (previous) previous.output = stub.closed ? previous.output : next;
    if (!stub.closed) {
      forward(stub.input.drain(), next);
      // The removed toxic had already taken EOF (slow_close mid-delay): pass it on, or the link never ends.
      if (stub.inputEnded) next.end();
    }
    if (previous && interruptedPrevious) previous.run(this.wrappers[index - 1]!);
    this.relieve();
  }

  private appendStub(wrapper: ToxicWrapper): ToxicStub {
    const stub = new ToxicStub(this.destSink, () => this.relieve());
    stub.state = wrapper.type.newState?.();
    const previous = this.stubs.at(-1);
    if (previous) previous.output = stub.input;
    this.stubs.push(stub);
    this.wrappers.push(wrapper);
    return stub;
  }

  private head(): ChunkSink {
    return this.stubs[0]?.input ?? this.destSink;
  }

  private onData(data: Buffer): void {
    this.bytesRead += data.length;
    if (this.stubs.length === 0) {
      this.writeOut({ data, arrivedAt: 0 });
      return;
    }
    this.stubs[0]!.input.push({ data, arrivedAt: now() });
    if (this.queuedBytes() > this.stageBudget()) this.pause();
  }

  /** A read into a buffer the reader reuses; true while a pending write still holds it. */
  private onBorrowed(view: Buffer): boolean {
    if (this.stubs.length === 0) {
      this.onData(view);
      // A write that did not complete at once (or queued behind one that did not) keeps `view`.
      return this.dest.writableLength > 0;
    }
    // Toxics hold chunks for as long as they like: give them a copy the size of the read.
    this.onData(Buffer.from(view));
    return false;
  }

  private writeOut(chunk: StreamChunk): void {
    if (this.finished) return;
    this.bytesWritten += chunk.data.length;
    if (!this.dest.write(chunk.data) && this.dest.writableLength > DEST_HIGH_WATER) this.pause();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const dest = this.dest;
    if (this.hooks.resetOnClose() && !dest.destroyed) {
      dest.resetAndDestroy();
    } else if (!dest.destroyed) {
      // Toxiproxy closes the whole socket (not a half-close) once one direction is done.
      dest.end(() => dest.destroy());
      dest.setTimeout(5_000, () => dest.destroy());
    }
    this.hooks.onFinished(this);
  }

  private queuedBytes(): number {
    let total = 0;
    for (const stub of this.stubs) total += stub.input.bytes;
    return total;
  }

  private stageBudget(): number {
    let total = 0;
    for (const w of this.wrappers) total += w.type.bufferBytes ?? DEFAULT_STAGE_BUFFER;
    return total;
  }

  private pause(): void {
    if (this.paused || this.inputEnded) return;
    this.paused = true;
    this.source.pause();
  }

  /** Resumes reading once both the chain and the destination have room again. */
  private relieve(): void {
    if (!this.paused) return;
    if (this.dest.writableLength > DEST_HIGH_WATER / 2) return;
    if (this.queuedBytes() > this.stageBudget() / 2) return;
    this.paused = false;
    if (!this.source.destroyed) this.source.resume();
  }
}
