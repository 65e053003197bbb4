import type { ReadValue } from '../stores/store.js';
import { Histogram, type HistogramSummary } from './histogram.js';
import { pace } from './pacer.js';
import type { ProbeContext } from './probe-types.js';

export interface DivergenceOptions {
  writers: string[];
  readers: string[];
  /** Size of the key set written and compared. */
  keys: number;
  /** Writes per second, spread over the keys and the writer regions. */
  rate: number;
  /** How often every key is read in every region and compared. */
  checkIntervalMs: number;
  operationTimeoutMs: number;
  /** How many geoctl faults are active now (from Toxiproxy), if known: marks when a fault ends. */
  activeFaults?: (() => Promise<number | undefined>) | undefined;
}

export interface ConvergenceEpisode {
  /** When the faults were seen gone (the middle of the two checks around it), epoch ms. */
  faultEndedAt: number;
  /** From the fault's end until every key written before it read the same in every region, ms. */
  convergedAfterMs: number | undefined;
  /** ± this much: the check interval plus one check's duration. */
  resolutionMs: number;
  peakDivergent: number;
}

export interface DivergenceSummary {
  probe: 'divergence';
  checks: number;
  divergent: HistogramSummary;
  /** (epoch ms, divergent keys) at each check, thinned to at most 600 points. */
  timeline: Array<[number, number]>;
  episodes: ConvergenceEpisode[];
  writes: { ok: number; fail: number; indeterminate: number };
  unreadable: number;
  elapsedMs: number;
}

const MAX_TIMELINE = 600;

/**
 * Divergence and convergence. A fixed set of keys is written in several regions; every check reads all of
 * them everywhere and counts keys that differ. When a geoctl fault ends, the keys written before its end
 * are followed until they agree everywhere: that is the convergence time (writes after the end do not
 * count, so ongoing traffic cannot hide or fake it). Memory is fixed by the key count.
 */
export async function runDivergenceProbe(
  ctx: ProbeContext,
  options: DivergenceOptions,
): Promise<DivergenceSummary> {
  const start = ctx.clock.now();
  const key = (i: number): string => `geoctl/divergence/${ctx.runId}/${i}`;
  const lastWrite = new Float64Array(options.keys).fill(-1);
  const writes = { ok: 0, fail: 0, indeterminate: 0 };
  const divergentHist = new Histogram();
  let timeline: Array<[number, number]> = [];
  let stride = 1;
  let checks = 0;
  let unreadable = 0;
  const episodes: ConvergenceEpisode[] = [];
  let open: { episode: ConvergenceEpisode; endedAt: number } | undefined;

  const writing = pace(
    { rate: options.rate, concurrency: 16, clock: ctx.clock, signal: ctx.signal },
    async (index) => {
      const i = Math.floor(Math.random() * options.keys);
      const writer = options.writers[index % options.writers.length]!;
      const outcome = await ctx.store.write(writer, key(i), `${ctx.runId}:${index}:${writer}`, {
        timeoutMs: options.operationTimeoutMs,
      });
      writes[outcome.status] += 1;
      ctx.count?.(writer, 'write', outcome.status);
      // An indeterminate write may still land: treat it as written now, so it cannot fake convergence.
      if (outcome.status !== 'fail') lastWrite[i] = ctx.clock.now();
    },
  );

  const checking = (async () => {
    let faultsBefore: number | undefined;
    let previousCheckAt = start;
    while (!ctx.signal.aborted) {
      const checkStart = ctx.clock.now();
      const faults = await options.activeFaults?.().catch(() => undefined);
      if (faults === 0 && faultsBefore !== undefined && faultsBefore > 0) {
        const endedAt = (previousCheckAt + checkStart) / 2;
        open = {
          endedAt,
          episode: { faultEndedAt: endedAt, convergedAfterMs: undefined, resolutionMs: 0, peakDivergent: 0 },
        };
        episodes.push(open.episode);
      }
      if (faults !== undefined) faultsBefore = faults;
      let divergent = 0;
      let pendingDivergent = 0;
      for (let base = 0; base < options.keys; base += 16) {
        const batch = Array.from({ length: Math.min(16, options.keys - base) }, (_, j) => base + j);
        await Promise.all(
          batch.map(async (i) => {
            const reads = await Promise.all(
              options.readers.map((r) =>
                ctx.store.read(r, key(i), { timeoutMs: options.operationTimeoutMs }),
              ),
            );
            if (reads.some((r) => r.status !== 'ok')) {
              unreadable += 1;
              return;
            }
            const values = reads.map((r) => (r.status === 'ok' ? canonical(r.value) : ''));
            if (values.some((v) => v !== values[0])) {
              divergent += 1;
              if (open && lastWrite[i]! < open.endedAt) pendingDivergent += 1;
            }
          }),
        );
      }
      const checkEnd = ctx.clock.now();
      checks += 1;
      divergentHist.record(divergent);
      if (checks % stride === 0) timeline.push([checkEnd, divergent]);
      if (timeline.length > MAX_TIMELINE) {
        timeline = timeline.filter((_, j) => j % 2 === 0);
        stride *= 2;
      }
      ctx.observe({ probe: 'divergence', type: 'divergence', at: checkEnd, divergent, faults });
      if (open) {
        open.episode.peakDivergent = Math.max(open.episode.peakDivergent, pendingDivergent);
        if (pendingDivergent === 0) {
          open.episode.convergedAfterMs = Math.max(0, (checkStart + checkEnd) / 2 - open.endedAt);
          open.episode.resolutionMs = options.checkIntervalMs + (checkEnd - checkStart);
          ctx.observe({ probe: 'divergence', type: 'converged', at: checkEnd, ...open.episode });
          open = undefined;
        }
      }
      previousCheckAt = checkStart;
      const wait = checkStart + options.checkIntervalMs - ctx.clock.now();
      if (wait > 0) await ctx.clock.sleep(wait, ctx.signal);
    }
  })();

  await Promise.all([writing, checking]);
  return {
    probe: 'divergence',
    checks,
    divergent: divergentHist.summary(),
    timeline,
    episodes,
    writes,
    unreadable,
    elapsedMs: ctx.clock.now() - start,
  };
}

function canonical(value: ReadValue): string {
  if (value.kind === 'absent') return 'absent';
  if (value.kind === 'value') return `v:${value.value}`;
  return `s:${[...value.values].sort().join('\u0000')}`;
}
