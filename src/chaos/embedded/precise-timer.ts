import { performance } from 'node:perf_hooks';

/**
 * Timers accurate to well under a millisecond. libuv timers have 1 ms granularity and usually fire up to
 * ~1 ms late, which would show up as error in every latency toxic. One shared scheduler sleeps on a normal
 * timer until shortly before the earliest deadline, then polls with setImmediate (which still lets I/O run)
 * until the deadline passes. A single scheduler keeps that polling to one loop however many timers wait.
 */
interface Entry {
  deadline: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

const SPIN_WINDOW_MS = 1.5;
/**
 * libuv timers count whole milliseconds, so a setTimeout may fire up to about 1 ms before or after the time
 * asked for. Re-arming one for what is left when it fires early only sleeps again (a sub-millisecond timer
 * becomes a 1 ms one) and eats the spin window; within this much of the window, spin instead.
 */
const TIMER_SLACK_MS = 1;

/**
 * The spin allocates (every setImmediate turn and clock read does), and V8 starts a minor GC whenever the young
 * generation fills: often in the last ~2 ms before a deadline, where its 0.3-0.6 ms pause makes the release
 * late. When the server's process exposes `gc` (SERVER_NODE_FLAGS: --expose-gc), the scheduler empties the
 * young generation itself GC_LEAD_MS before a deadline that is far enough off, while the thread has nothing
 * else due, so the spin starts with room to allocate. At most one such GC per GC_MIN_GAP_MS, so a busy server
 * (deadlines always close together, where this never triggers anyway) does not pay for it.
 */
const collectYoungGeneration: (() => void) | undefined = (() => {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function'
    ? () => (gc as (options: { type: 'minor' }) => void)({ type: 'minor' })
    : undefined;
})();
const GC_LEAD_MS = 5;
const GC_MIN_GAP_MS = 10;

class PreciseScheduler {
  /** The deadline whose early GC has run (or was skipped), and when the last one ran. */
  private gcDoneFor = Number.NaN;
  private lastGcAt = -Infinity;
  private heap: Entry[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDeadline = Infinity;
  private spinning = false;
  private readonly spinAgain = (): void => this.spin();

  schedule(deadline: number, callback: () => void): () => void {
    const entry: Entry = { deadline, seq: this.seq++, callback, cancelled: false };
    this.pushEntry(entry);
    this.arm();
    return () => {
      entry.cancelled = true;
    };
  }

  private arm(): void {
    if (this.spinning) return;
    const next = this.peekLive();
    if (!next) {
      this.clearTimer();
      return;
    }
    const now = performance.now();
    const gcFirst =
      collectYoungGeneration !== undefined &&
      this.gcDoneFor !== next.deadline &&
      next.deadline - GC_LEAD_MS - TIMER_SLACK_MS > now;
    const wakeAt = next.deadline - (gcFirst ? GC_LEAD_MS : SPIN_WINDOW_MS);
    if (wakeAt - TIMER_SLACK_MS <= now) {
      this.clearTimer();
      this.spin();
      return;
    }
    if (this.timer && this.timerDeadline <= wakeAt) return;
    this.clearTimer();
    this.timerDeadline = wakeAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDeadline = Infinity;
      if (gcFirst && this.peekLive() === next) {
        this.gcDoneFor = next.deadline;
        const at = performance.now();
        if (at - this.lastGcAt >= GC_MIN_GAP_MS) {
          this.lastGcAt = at;
          collectYoungGeneration!();
        }
        this.arm();
        return;
      }
      this.spin();
    }, wakeAt - now);
  }

  private spin(): void {
    this.spinning = true;
    const now = performance.now();
    for (let next = this.peekLive(); next && next.deadline <= now; next = this.peekLive()) {
      this.popEntry();
      next.callback();
    }
    const next = this.peekLive();
    if (next && next.deadline - SPIN_WINDOW_MS - TIMER_SLACK_MS <= performance.now()) {
      setImmediate(this.spinAgain);
      return;
    }
    this.spinning = false;
    this.arm();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDeadline = Infinity;
  }

  private peekLive(): Entry | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.popEntry();
    return this.heap[0];
  }

  private less(a: Entry, b: Entry): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  private pushEntry(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private popEntry(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && this.less(heap[l]!, heap[min]!)) min = l;
      if (r < heap.length && this.less(heap[r]!, heap[min]!)) min = r;
      if (min === i) break;
      [heap[i], heap[min]] = [heap[min]!, heap[i]!];
      i = min;
    }
  }
}

const scheduler = new PreciseScheduler();

/** Calls `callback` at `deadline` (a performance.now() time); returns a cancel function. */
export function atTime(deadline: number, callback: () => void): () => void {
  return scheduler.schedule(deadline, callback);
}

export function now(): number {
  return performance.now();
}
