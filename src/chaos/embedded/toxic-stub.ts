import { atTime, now } from './precise-timer.js';
import { ChunkQueue, type ChunkSink, type StreamChunk } from './stream-chunk.js';
import type { ToxicWrapper } from './toxic-wrapper.js';

export const INTERRUPTED = Symbol('interrupted');
export const TIMED_OUT = Symbol('timedOut');
export type NextItem = StreamChunk | null | typeof INTERRUPTED;
export type TimedNextItem = NextItem | typeof TIMED_OUT;

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
  private eofTaken = false;

  constructor(output: ChunkSink, onConsumed?: () => void) {
    this.output = output;
    this.input = new ChunkQueue(onConsumed);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** The toxic has taken the end of stream from the input (it stays ended, like a closed Go channel). */
  get inputEnded(): boolean {
    return this.eofTaken;
  }

  /** Starts the toxic; toxicity is drawn here, once per start, as Toxiproxy does. */
  run(wrapper: ToxicWrapper): void {
    const toxic = randomFloat32() < wrapper.toxicity ? wrapper.type : undefined;
    const pipe = toxic ? toxic.pipe(this, wrapper.attributes) : passThrough(this);
    this.running = pipe.then(
      () => undefined,
      () => this.close(),
    );
  }

  /** Next input item, or INTERRUPTED when the stub is being stopped. */
  next(): NextItem | Promise<NextItem> {
    return this.take(undefined);
  }

  /**
   * The next chunk, or undefined when the toxic must stop: it was interrupted, or the input ended (then the
   * output is closed too). The loop most toxics need; those that treat EOF specially use next().
   */
  nextChunk(): StreamChunk | undefined | Promise<StreamChunk | undefined> {
    const item = this.next();
    return item instanceof Promise ? item.then((taken) => this.chunkOrStop(taken)) : this.chunkOrStop(item);
  }

  private chunkOrStop(item: NextItem): StreamChunk | undefined {
    if (item === INTERRUPTED) return undefined;
    if (item === null) {
      this.close();
      return undefined;
    }
    return item;
  }

  /** Like next(), but gives TIMED_OUT if nothing arrives before `deadline` (Go's select with time.After). */
  nextUntil(deadline: number): TimedNextItem | Promise<TimedNextItem> {
    return this.take(deadline);
  }

  private take(deadline: undefined): NextItem | Promise<NextItem>;
  private take(deadline: number): TimedNextItem | Promise<TimedNextItem>;
  private take(deadline: number | undefined): TimedNextItem | Promise<TimedNextItem> {
    if (this.interruptRequested) return INTERRUPTED;
    const item = this.shiftInput();
    if (item !== undefined) return item;
    if (deadline !== undefined && deadline <= now()) return TIMED_OUT;
    return new Promise<TimedNextItem>((resolve) => {
      let cancelTimer: (() => void) | undefined;
      const settle = (): void => {
        cancelTimer?.();
        this.wake = undefined;
        this.input.onNextPush(undefined);
        if (this.interruptRequested) {
          resolve(INTERRUPTED);
          return;
        }
        const pushed = this.shiftInput();
        resolve(pushed === undefined ? INTERRUPTED : pushed);
      };
      if (deadline !== undefined) {
        cancelTimer = atTime(deadline, () => {
          this.wake = undefined;
          this.input.onNextPush(undefined);
          resolve(TIMED_OUT);
        });
      }
      this.wake = settle;
      this.input.onNextPush(settle);
    });
  }

  /**
   * In Go a stub reads a closed channel, so a toxic restarted after taking EOF (slow_close interrupted
   * mid-delay, or a restart that draws "not toxic") sees EOF again instead of waiting forever.
   */
  private shiftInput(): StreamChunk | null | undefined {
    if (this.eofTaken) return null;
    const item = this.input.shift();
    if (item === null) this.eofTaken = true;
    return item;
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
    let item = stub.nextChunk();
    if (item instanceof Promise) item = await item;
    if (!item) return;
    stub.emit(item);
  }
}

/** Go's rand.Float32: uniform in [0, 1). Rounding a double to float32 can give 1, which Go draws again. */
function randomFloat32(): number {
  for (;;) {
    const draw = Math.fround(Math.random());
    if (draw < 1) return draw;
  }
}
