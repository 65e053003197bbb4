/** One read from a socket, stamped on arrival so time-based toxics measure from when data arrived. */
export interface StreamChunk {
  readonly data: Buffer;
  /** performance.now() when the chunk was read. */
  readonly arrivedAt: number;
}

/** Where a stage sends its output: the next stage's queue, or the destination socket. */
export interface ChunkSink {
  push(chunk: StreamChunk): void;
  /** End of stream: the input side closed. */
  end(): void;
}

/**
 * FIFO between two stages of a toxic chain; `null` marks end of stream. Unbounded by itself: the link
 * applies backpressure to the source socket from the total bytes buffered.
 */
export class ChunkQueue implements ChunkSink {
  private items: Array<StreamChunk | null> = [];
  private head = 0;
  private waiter: (() => void) | undefined;
  bytes = 0;

  constructor(private readonly onConsumed?: () => void) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(chunk: StreamChunk): void {
    this.items.push(chunk);
    this.bytes += chunk.data.length;
    this.notify();
  }

  end(): void {
    this.items.push(null);
    this.notify();
  }

  /** Takes the next item; `undefined` when empty. */
  shift(): StreamChunk | null | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = null;
    this.head++;
    // Compact occasionally instead of Array#shift on every read (O(n) per call).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (item) {
      this.bytes -= item.data.length;
      this.onConsumed?.();
    }
    return item;
  }

  /** Removes and returns everything queued, in order. */
  drain(): Array<StreamChunk | null> {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return rest;
  }

  /** Registers a one-shot callback for the next push (only one waiter: the stage that owns the queue). */
  onNextPush(callback: (() => void) | undefined): void {
    this.waiter = callback;
  }

  private notify(): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter();
    }
  }
}

export function forward(items: Array<StreamChunk | null>, sink: ChunkSink): void {
  for (const item of items) {
    if (item) sink.push(item);
    else sink.end();
  }
}
