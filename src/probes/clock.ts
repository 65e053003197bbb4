import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** Time for probes: injectable, so the engines' logic can be tested without waiting. */
export interface Clock {
  /** Milliseconds since the Unix epoch, sub-millisecond resolution, never going backwards. */
  now(): number;
  /** Resolves after `ms`, or at once (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: async (ms, signal) => {
    if (signal?.aborted) return;
    await delay(ms, undefined, { signal }).catch(() => undefined);
  },
};
