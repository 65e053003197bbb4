import { Histogram, type HistogramSummary } from './histogram.js';
import { emptyCounts, type OutcomeCounts, type ProbeContext } from './probe-types.js';

export interface LagOptions {
  writers: string[];
  readers: string[];
  /** How often each writer updates its heartbeat key. */
  intervalMs: number;
  /** How often each reader reads it. */
  pollMs: number;
  operationTimeoutMs: number;
}

export interface LagPairSummary {
  writer: string;
  reader: string;
  /** Per heartbeat: from its write to the first read in this region that saw it (midpoint estimate), ms. */
  delay: HistogramSummary;
  /** Samples of now − newest heartbeat seen (pt-heartbeat's figure; includes up to one interval of age), ms. */
  age: HistogramSummary;
  /** The last age observed, ms. */
  current: number | undefined;
  /** Width of the interval each delay is known to lie in, ms. */
  resolution: HistogramSummary;
  heartbeatsSeen: number;
  readErrors: number;
}

export interface LagSummary {
  probe: 'lag';
  writes: Record<string, OutcomeCounts>;
  pairs: LagPairSummary[];
  elapsedMs: number;
}

interface Heartbeat {
  seq: number;
  ts: number;
}

/**
 * Heartbeat lag in the style of pt-heartbeat: each writer region rewrites one key with its timestamp at a
 * fixed interval, and every other region reads it. Cheap (one write per interval, one read per poll per
 * pair), so it can run for hours; memory stays fixed.
 */
export async function runLagProbe(
  ctx: ProbeContext,
  options: LagOptions,
  onAge?: (writer: string, reader: string, ageMs: number) => void,
): Promise<LagSummary> {
  const start = ctx.clock.now();
  const writes = new Map(options.writers.map((w) => [w, emptyCounts()]));
  const keyOf = (writer: string): string => `geoctl/heartbeat/${ctx.runId}/${writer}`;

  const writerLoop = async (writer: string): Promise<void> => {
    for (let seq = 1; !ctx.signal.aborted; seq++) {
      // Each heartbeat is moved by up to half a poll either way: with an interval that is a multiple of the
      // poll, an exact grid would meet the readers' polls at the same phase every time, and the midpoint
      // estimate of every delay would be off the same way (up to half a poll) instead of averaging out.
      const dither = (Math.random() - 0.5) * Math.min(options.pollMs, options.intervalMs);
      const due = start + seq * options.intervalMs + dither;
      const ts = ctx.clock.now();
      const outcome = await ctx.store.write(writer, keyOf(writer), JSON.stringify({ seq, ts }), {
        timeoutMs: options.operationTimeoutMs,
      });
      writes.get(writer)![outcome.status] += 1;
      if (outcome.status !== 'ok')
        ctx.observe({
          probe: 'lag',
          type: 'heartbeat-write',
          at: ts,
          writer,
          outcome: outcome.status,
          error: outcome.error,
        });
      const wait = due - ctx.clock.now();
      if (wait > 0) await ctx.clock.sleep(wait, ctx.signal);
    }
  };

  const pairs: Array<{ writer: string; reader: string; state: ReturnType<typeof newPair> }> = [];
  for (const writer of options.writers)
    for (const reader of options.readers)
      if (reader !== writer) pairs.push({ writer, reader, state: newPair() });

  const readerLoop = async ({ writer, reader, state }: (typeof pairs)[number]): Promise<void> => {
    let newest: Heartbeat | undefined;
    let lastMissAt = start;
    while (!ctx.signal.aborted) {
      const t0 = ctx.clock.now();
      const read = await ctx.store.read(reader, keyOf(writer), { timeoutMs: options.operationTimeoutMs });
      const t1 = ctx.clock.now();
      ctx.count?.(reader, 'read', read.status);
      const middle = (t0 + t1) / 2;
      const beat = read.status === 'ok' && read.value.kind === 'value' ? parse(read.value.value) : undefined;
      if (read.status !== 'ok') state.readErrors += 1;
      if (beat && (!newest || beat.seq > newest.seq)) {
        // Seen now, not seen at the previous read: it became visible between the two.
        const lower = Math.max(lastMissAt, beat.ts);
        state.delay.record(Math.max(0, (lower + middle) / 2 - beat.ts));
        state.resolution.record(middle - lower);
        state.seen += 1;
        newest = beat;
        ctx.observe({
          probe: 'lag',
          type: 'heartbeat',
          at: t1,
          writer,
          reader,
          seq: beat.seq,
          delayMs: Math.max(0, (lower + middle) / 2 - beat.ts),
          resolutionMs: middle - lower,
        });
      }
      lastMissAt = middle;
      if (newest) {
        const age = t1 - newest.ts;
        state.age.record(age);
        state.current = age;
        onAge?.(writer, reader, age);
        ctx.sample?.('heartbeat-age', { writer, reader }, age);
      }
      const wait = t0 + options.pollMs - ctx.clock.now();
      if (wait > 0) await ctx.clock.sleep(wait, ctx.signal);
    }
  };

  await Promise.all([...options.writers.map(writerLoop), ...pairs.map(readerLoop)]);
  return {
    probe: 'lag',
    writes: Object.fromEntries(writes),
    pairs: pairs.map(({ writer, reader, state }) => ({
      writer,
      reader,
      delay: state.delay.summary(),
      age: state.age.summary(),
      current: state.current,
      resolution: state.resolution.summary(),
      heartbeatsSeen: state.seen,
      readErrors: state.readErrors,
    })),
    elapsedMs: ctx.clock.now() - start,
  };
}

function newPair() {
  return {
    delay: new Histogram(),
    age: new Histogram(),
    resolution: new Histogram(),
    current: undefined as number | undefined,
    seen: 0,
    readErrors: 0,
  };
}

function parse(text: string): Heartbeat | undefined {
  try {
    const value = JSON.parse(text) as Partial<Heartbeat>;
    return typeof value.seq === 'number' && typeof value.ts === 'number'
      ? { seq: value.seq, ts: value.ts }
      : undefined;
  } catch {
    return undefined;
  }
}
