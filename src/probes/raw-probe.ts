import type { ReadValue } from '../stores/store.js';
import { Histogram, type HistogramSummary } from './histogram.js';
import { pace } from './pacer.js';
import { emptyCounts, type OutcomeCounts, type ProbeContext } from './probe-types.js';

export interface RawOptions {
  /** Regions that write, in turn. */
  writers: string[];
  /** Regions whose visibility lag is measured (a writer's own region is checked for read-your-writes). */
  readers: string[];
  rate: number;
  /** Writes in flight at most; also the visibility checks each reader region may have pending at most. */
  concurrency: number;
  /** A write not visible in a region after this long counts as never seen there. */
  visibilityTimeoutMs: number;
  /** Pause between reads while polling for a write. */
  pollMs: number;
  /** Per-operation time limit. */
  operationTimeoutMs: number;
}

export interface RawPairSummary {
  writer: string;
  reader: string;
  /** Writes whose visibility was checked in this region. */
  checked: number;
  /** ms from the write's ack until the value was visible: the midpoint of the interval it is known to lie in. */
  lagFromAck: HistogramSummary;
  /** ms from the write's start. */
  lagFromStart: HistogramSummary;
  /** Width of the interval each visibility time is known to lie in (the measurement's resolution), ms. */
  resolution: HistogramSummary;
  /** Share of checks whose first read after the ack did not see the write. */
  staleAfterAck: number;
  staleReads: number;
  neverSeen: number;
  readErrors: number;
  /** Writes not followed in this region because it already had `concurrency` checks pending. */
  unchecked: number;
}

export interface RawSummary {
  probe: 'raw';
  writes: Record<string, OutcomeCounts & { latency: HistogramSummary }>;
  pairs: RawPairSummary[];
  /** Per writer region: reads in its own region right after an ack that did not see the write. */
  readYourWritesViolations: Record<string, number>;
  started: number;
  late: number;
  elapsedMs: number;
}

interface PairState {
  lagFromAck: Histogram;
  lagFromStart: Histogram;
  resolution: Histogram;
  checked: number;
  staleFirst: number;
  staleReads: number;
  neverSeen: number;
  readErrors: number;
  unchecked: number;
  /** Visibility checks in flight here. */
  pending: number;
}

/**
 * Read-after-write visibility. Each operation writes a unique value in a writer region, then polls every
 * reader region until the value shows or the visibility timeout passes. A read's server-side moment is
 * taken as the middle of its round trip; the value became visible between the last read that missed it
 * (or the ack) and the first that saw it, and the lag is the middle of that interval, with its width
 * reported as the resolution.
 *
 * A write holds a concurrency slot only until it is acknowledged and read back in its own region; the
 * checks in the other regions go on apart, each region with its own bound of `concurrency` pending checks.
 * So a region that stops seeing writes (a partition) fills only its own checks, while the others keep
 * being measured at the full rate; writes it has no room for are counted as unchecked there, not hidden.
 */
export async function runRawProbe(ctx: ProbeContext, options: RawOptions): Promise<RawSummary> {
  const pairs = new Map<string, PairState>();
  const writes = new Map<string, OutcomeCounts & { latency: Histogram }>();
  const ryw: Record<string, number> = {};
  for (const w of options.writers) {
    writes.set(w, { ...emptyCounts(), latency: new Histogram() });
    ryw[w] = 0;
    for (const r of options.readers) if (r !== w) pairs.set(`${w}>${r}`, newPair());
  }

  // Checks in other regions outlive the write's slot; a crash in one stops the pacer through the next write.
  const checks = new Set<Promise<void>>();
  let crashed: { error: unknown } | undefined;
  const crash = new AbortController();
  const settleChecks = async (): Promise<void> => {
    await Promise.all([...checks]);
    if (crashed) throw crashed.error;
  };
  const pacing = await pace(
    { rate: options.rate, concurrency: options.concurrency, clock: ctx.clock, signal: ctx.signal },
    async (index) => {
      if (crashed) throw crashed.error;
      const writer = options.writers[index % options.writers.length]!;
      const key = `geoctl/raw/${ctx.runId}/${index}`;
      const value = `${ctx.runId}:${index}`;
      const t0 = ctx.clock.now();
      const outcome = await ctx.store.write(writer, key, value, { timeoutMs: options.operationTimeoutMs });
      const t1 = ctx.clock.now();
      const counts = writes.get(writer)!;
      counts[outcome.status] += 1;
      counts.latency.record(t1 - t0);
      ctx.observe({
        probe: 'raw',
        type: 'write',
        at: t1,
        writer,
        key,
        outcome: outcome.status,
        latencyMs: t1 - t0,
        ...(outcome.status === 'ok' ? {} : { error: outcome.error }),
      });
      if (outcome.status !== 'ok') return;
      for (const reader of options.readers) {
        if (reader === writer) continue;
        const pair = pairs.get(`${writer}>${reader}`)!;
        if (pair.pending >= options.concurrency) {
          pair.unchecked += 1;
          ctx.observe({ probe: 'raw', type: 'unchecked', at: t1, writer, reader, key });
          continue;
        }
        pair.pending += 1;
        const check: Promise<void> = checkVisibility(reader, pair, key, value, t0, t1, writer)
          .catch((error: unknown) => {
            crashed ??= { error };
            crash.abort();
          })
          .finally(() => {
            pair.pending -= 1;
            checks.delete(check);
          });
        checks.add(check);
      }
      // Read-your-writes in the writer's own region, within the write's slot.
      const own = await pollUntilVisible(ctx, options, writer, key, value, t1);
      if (own.staleReads > 0 || !own.visible) {
        ryw[writer] = (ryw[writer] ?? 0) + 1;
        ctx.observe({
          probe: 'raw',
          type: 'ryw-violation',
          at: ctx.clock.now(),
          writer,
          key,
          staleReads: own.staleReads,
        });
      }
    },
  ).catch(async (error: unknown) => {
    // The probe crashed: stop following writes (each check ends after its current read) and rethrow.
    crash.abort();
    await Promise.all([...checks]);
    throw error;
  });
  await settleChecks();

  async function checkVisibility(
    reader: string,
    pair: PairState,
    key: string,
    value: string,
    t0: number,
    t1: number,
    writer: string,
  ): Promise<void> {
    const seen = await pollUntilVisible(ctx, options, reader, key, value, t1, crash.signal);
    if (crash.signal.aborted) return;
    pair.checked += 1;
    pair.staleReads += seen.staleReads;
    pair.readErrors += seen.readErrors;
    if (seen.staleReads > 0) pair.staleFirst += 1;
    if (!seen.visible) {
      pair.neverSeen += 1;
      ctx.observe({
        probe: 'raw',
        type: 'never-seen',
        at: ctx.clock.now(),
        writer,
        reader,
        key,
        timeoutMs: options.visibilityTimeoutMs,
      });
      return;
    }
    const visibleAt = (seen.lower + seen.upper) / 2;
    const lagMs = Math.max(0, visibleAt - t1);
    pair.lagFromAck.record(lagMs);
    pair.lagFromStart.record(Math.max(0, visibleAt - t0));
    pair.resolution.record(seen.upper - seen.lower);
    ctx.observe({
      probe: 'raw',
      type: 'visible',
      at: ctx.clock.now(),
      writer,
      reader,
      key,
      lagMs,
      lagFromStartMs: visibleAt - t0,
      resolutionMs: seen.upper - seen.lower,
      staleReads: seen.staleReads,
    });
  }

  return {
    probe: 'raw',
    writes: Object.fromEntries(
      [...writes].map(([w, c]) => [
        w,
        { ok: c.ok, fail: c.fail, indeterminate: c.indeterminate, latency: c.latency.summary() },
      ]),
    ),
    pairs: [...pairs].map(([id, p]) => {
      const [writer, reader] = id.split('>') as [string, string];
      return {
        writer,
        reader,
        checked: p.checked,
        lagFromAck: p.lagFromAck.summary(),
        lagFromStart: p.lagFromStart.summary(),
        resolution: p.resolution.summary(),
        staleAfterAck: p.checked === 0 ? 0 : p.staleFirst / p.checked,
        staleReads: p.staleReads,
        neverSeen: p.neverSeen,
        readErrors: p.readErrors,
        unchecked: p.unchecked,
      };
    }),
    readYourWritesViolations: ryw,
    ...pacing,
  };
}

function newPair(): PairState {
  return {
    lagFromAck: new Histogram(),
    lagFromStart: new Histogram(),
    resolution: new Histogram(),
    checked: 0,
    staleFirst: 0,
    staleReads: 0,
    neverSeen: 0,
    readErrors: 0,
    unchecked: 0,
    pending: 0,
  };
}

/** Polls until the value shows. `lower`/`upper` bound when it became visible (server-side estimates). */
async function pollUntilVisible(
  ctx: ProbeContext,
  options: RawOptions,
  region: string,
  key: string,
  value: string,
  ackAt: number,
  stop?: AbortSignal,
): Promise<{ visible: boolean; lower: number; upper: number; staleReads: number; readErrors: number }> {
  let lower = ackAt;
  let staleReads = 0;
  let readErrors = 0;
  const deadline = ackAt + options.visibilityTimeoutMs;
  // The first wait is a random part of a poll, so the polls meet a write's arrival at a random phase: on a
  // grid anchored at the ack, a steady replication delay would fall at the same point between two polls
  // for every write, and the midpoint estimate of every lag would be off the same way (up to half a poll).
  let wait = Math.random() * options.pollMs;
  for (;;) {
    const start = ctx.clock.now();
    const read = await ctx.store.read(region, key, { timeoutMs: options.operationTimeoutMs });
    const end = ctx.clock.now();
    ctx.count?.(region, 'read', read.status);
    const middle = (start + end) / 2;
    if (read.status === 'ok' && contains(read.value, value))
      return { visible: true, lower, upper: Math.max(lower, middle), staleReads, readErrors };
    if (read.status === 'ok') {
      staleReads += 1;
      lower = Math.max(lower, middle);
    } else readErrors += 1;
    // Stop on the deadline even mid-run; a Ctrl-C lets reads in flight finish their write's check.
    if (end >= deadline || stop?.aborted)
      return { visible: false, lower, upper: end, staleReads, readErrors };
    await ctx.clock.sleep(Math.min(wait, deadline - end), stop);
    wait = options.pollMs;
  }
}

function contains(read: ReadValue, value: string): boolean {
  if (read.kind === 'value') return read.value === value;
  if (read.kind === 'siblings') return read.values.includes(value);
  return false;
}
