import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/probes/clock.js';
import { runLagProbe } from '../../src/probes/lag-probe.js';
import type { ProbeContext } from '../../src/probes/probe-types.js';
import { runRawProbe } from '../../src/probes/raw-probe.js';
import { ok, type Store } from '../../src/stores/store.js';

// The probes' midpoint estimates against a steady, exactly known replication delay. The worst case for a
// poll grid: the delay sits just under a multiple of the poll, and operations take no time, so an
// undithered grid meets every write at the same phase and every estimate is off by almost half a poll
// the same way (the p50 with it). This runs the engines on virtual time, so the delay is exact.

/** Virtual time: sleeps wake in time order; time jumps to the next one once every task is waiting. */
class VirtualClock implements Clock {
  private time = 1_700_000_000_000;
  private timers: Array<{ at: number; seq: number; wake: () => void }> = [];
  private seq = 0;

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, wake: resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Runs `forMs` of virtual time, letting every task settle between wake-ups. */
  async run(forMs: number): Promise<void> {
    const end = this.time + forMs;
    for (;;) {
      await setImmediate();
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next || next.at > end) {
        if (next) this.timers.unshift(next);
        this.time = end;
        return;
      }
      this.time = next.at;
      next.wake();
    }
  }

  /** Keeps time going until `done` settles (the engines finish their pending checks after an abort). */
  async runUntil(done: Promise<unknown>): Promise<void> {
    let settled = false;
    void done.finally(() => (settled = true));
    for (let i = 0; i < 1000 && !settled; i++) await this.run(100);
  }
}

/** Two regions; a write in `us` becomes readable in `eu` exactly `delayMs` after it was made. */
function delayedStore(clock: VirtualClock, delayMs: number): Store {
  const versions = new Map<string, Array<{ at: number; value: string }>>();
  return {
    regions: ['us', 'eu'],
    async write(_region, key, value) {
      const list = versions.get(key) ?? [];
      list.push({ at: clock.now(), value });
      versions.set(key, list);
      return ok({});
    },
    async read(region, key) {
      const visibleFrom = region === 'us' ? 0 : delayMs;
      const list = (versions.get(key) ?? []).filter((v) => v.at + visibleFrom <= clock.now());
      const newest = list.at(-1);
      return ok(newest ? { kind: 'value' as const, value: newest.value } : { kind: 'absent' as const });
    },
    async close() {},
  };
}

/**
 * Runs a probe engine for a minute of virtual time against a store that delays `eu` by DELAY_MS, then aborts
 * it (as Ctrl-C would) and keeps time going until it has summarised.
 */
async function runMinute<S>(engine: (ctx: ProbeContext) => Promise<S>): Promise<S> {
  const clock = new VirtualClock();
  const abort = new AbortController();
  const store = delayedStore(clock, DELAY_MS);
  const run = engine({ store, clock, signal: abort.signal, observe: () => undefined, runId: 'phase-bias' });
  await clock.run(60_000);
  abort.abort();
  await clock.runUntil(run);
  return run;
}

const DELAY_MS = 199.9; // just under 10 polls of 20 ms (raw) and 20 of 10 ms (lag)
/**
 * How far the reported p50 may be from DELAY_MS. The histogram's buckets are 2.048 ms wide at 200 ms (its p50
 * is a bucket's middle), and the dithered estimates scatter uniformly over ±10 ms (raw) or ±5 ms (lag) around
 * the truth, so the median of ~600 of them lands within about ±1.6 ms (4 standard errors) of it. An undithered
 * grid puts every estimate 10 ms (raw) or 5 ms (lag) low: outside.
 */
const P50_TOLERANCE_MS = 3;

describe('the probes against a steady, known delay on a poll-aligned grid', () => {
  it('raw: the p50 visibility lag is the delay, not half a poll off', async () => {
    const summary = await runMinute((ctx) =>
      runRawProbe(ctx, {
        writers: ['us'],
        readers: ['eu'],
        rate: 10,
        concurrency: 50,
        visibilityTimeoutMs: 5_000,
        pollMs: 20,
        operationTimeoutMs: 1_000,
      }),
    );
    const eu = summary.pairs.find((p) => p.reader === 'eu')!;
    expect(eu.checked).toBeGreaterThan(400);
    // Each estimate lies within half a poll of the truth; dithered, they straddle it and the p50 lands on it.
    expect(Math.abs(eu.lagFromAck.p50! - DELAY_MS)).toBeLessThan(P50_TOLERANCE_MS);
    expect(eu.lagFromAck.min!).toBeGreaterThanOrEqual(DELAY_MS - 10);
    expect(eu.lagFromAck.max!).toBeLessThanOrEqual(DELAY_MS + 10);
  });

  it('lag: the p50 heartbeat delay is the delay, not half a poll off', async () => {
    const summary = await runMinute((ctx) =>
      runLagProbe(ctx, {
        writers: ['us'],
        readers: ['eu'],
        intervalMs: 100,
        pollMs: 10,
        operationTimeoutMs: 1_000,
      }),
    );
    const eu = summary.pairs.find((p) => p.reader === 'eu')!;
    expect(eu.heartbeatsSeen).toBeGreaterThan(400);
    expect(Math.abs(eu.delay.p50! - DELAY_MS)).toBeLessThan(P50_TOLERANCE_MS);
  });
});
