import { atTime, now } from './precise-timer.js';
import { ChunkQueue, type ChunkSink, type StreamChunk } from './stream-chunk.js';
import type { ToxicWrapper } from './toxic-wrapper.js';

export const INTERRUPTED = Symbol('interrupted');
export type NextItem = StreamChunk | null | typeof INTERRUPTED;

/**
 * Per-connection, per-direction runtime of one toxic: its input queue, where its output goes, and the
 * interrupt used to swap the toxic (update, remove, or a neighbour changing) without losing data.
 * Mirrors Toxiproxy's ToxicStub, so each toxic is a small async `pipe` over `next()`/`emit()`/`sleep()`.
 */
export class ToxicStub {
  readonly input: ChunkQueue;
  output: ChunkSink;
  /** Per-connection state that survives restarts (limit_data's byte count). */
  state: unknown;
  private interruptRequested = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private closedFlag = false;

  constructor(output: ChunkSink, onConsumed?: () => void) {
    this.output = output;
    this.input = new ChunkQueue(onConsumed);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Starts the toxic; toxicity is drawn here, once per start, as Toxiproxy does. */
  run(wrapper: ToxicWrapper): void {
    const toxic = Math.fround(Math.random()) < wrapper.toxicity ? wrapper.type : undefined;
    const pipe = toxic ? toxic.pipe(this, wrapper.attributes) : passThrough(this);
    this.running = pipe.then(
      () => undefined,
      () => this.close(),
    );
  }

  /** Next input item, or INTERRUPTED when the stub is being stopped. */
  next(): NextItem | Promise<NextItem> {
    if (this.interruptRequested) return INTERRUPTED;
    const item = this.input.shift();
    if (item !== undefined) return item;
    return new Promise<NextItem>((resolve) => {
      const settle = (): void => {
        this.wake = undefined;
        this.input.onNextPush(undefined);
        if (this.interruptRequested) {
          resolve(INTERRUPTED);
          return;
        }
        const pushed = this.input.shift();
        resolve(pushed === undefined ? INTERRUPTED : pushed);
      };
      this.wake = settle;
      this.input.onNextPush(settle);
    });
  }

  /** Waits until `deadline` (performance.now() time); false when interrupted first. */
  sleepUntil(deadline: number): boolean | Promise<boolean> {
    if (this.interruptRequested) return false;
    if (deadline <= now()) return true;
    return new Promise<boolean>((resolve) => {
      const cancel = atTime(deadline, () => {
        this.wake = undefined;
        resolve(true);
      });
      this.wake = () => {
        this.wake = undefined;
        cancel();
        resolve(false);
      };
    });
  }

  sleep(ms: number): boolean | Promise<boolean> {
    return this.sleepUntil(now() + ms);
  }

  emit(chunk: StreamChunk): void {
    if (!this.closedFlag) this.output.push(chunk);
  }

  /** Ends this stub's output (and so the rest of the chain). Later input is ignored. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.input.drain();
    this.output.end();
  }

  /** Stops the running toxic, leaving queued input in place. False if the stub was already closed. */
  async interrupt(): Promise<boolean> {
    if (this.closedFlag) return false;
    this.interruptRequested = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
    this.interruptRequested = false;
    return !this.closedFlag;
  }
}

/** The toxicity draw came out "not this connection": data passes unchanged, like Toxiproxy's noop. */
export async function passThrough(stub: ToxicStub): Promise<void> {
  for (;;) {
    let item = stub.next();
    if (item instanceof Promise) item = await item;
    if (item === INTERRUPTED) return;
    if (item === null) {
      stub.close();
      return;
    }
    stub.emit(item);
  }
}
