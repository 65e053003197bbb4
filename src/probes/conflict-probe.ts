import type { ReadValue } from '../stores/store.js';
import { pace } from './pacer.js';
import type { ProbeContext } from './probe-types.js';

export interface ConflictOptions {
  /** Regions that write the same key at the same moment (at least two). */
  writers: string[];
  /** Regions whose reads decide whether the key converged (default: every region). */
  readers: string[];
  /** Conflicting rounds started per second (one key each). */
  rate: number;
  concurrency: number;
  /** How long a key may take to look the same everywhere before it counts as never converged. */
  convergeTimeoutMs: number;
  pollMs: number;
  operationTimeoutMs: number;
}

export type ConflictResolution = 'winner' | 'siblings' | 'unconverged' | 'no-conflict';

export interface ConflictKey {
  key: string;
  resolution: ConflictResolution;
  /** For 'winner': the region whose write every region shows. */
  winner?: string | undefined;
  /** Writes acknowledged but overwritten by the winner (lost updates), by region. */
  lostUpdates: string[];
  /** Writes whose outcome was not ok (not part of the conflict). */
  notAcknowledged: string[];
  /** From the last ack to the moment every region agreed, ms. */
  convergedAfterMs?: number | undefined;
}

export interface ConflictSummary {
  probe: 'conflict';
  rounds: number;
  byResolution: Record<ConflictResolution, number>;
  /** Per region: how often its write won, and how often it was lost. */
  wins: Record<string, number>;
  lostUpdates: Record<string, number>;
  /** Up to the first 1000 keys, for the report and --out (every key is in --out as it resolves). */
  keys: ConflictKey[];
  convergence: { p50: number | undefined; max: number | undefined };
  elapsedMs: number;
}

const KEPT_KEYS = 1000;

/**
 * Concurrent writes to one key from every writer region at the same moment, then reads everywhere until
 * the regions agree: one value (a winner; the other acknowledged writes are lost updates), every value as
 * siblings, or disagreement past the timeout (never converged). Memory: counters plus at most 1000 keys.
 */
export async function runConflictProbe(
  ctx: ProbeContext,
  options: ConflictOptions,
): Promise<ConflictSummary> {
  const byResolution: Record<ConflictResolution, number> = {
    winner: 0,
    siblings: 0,
    unconverged: 0,
    'no-conflict': 0,
  };
  const wins: Record<string, number> = Object.fromEntries(options.writers.map((w) => [w, 0]));
  const lost: Record<string, number> = Object.fromEntries(options.writers.map((w) => [w, 0]));
  const keys: ConflictKey[] = [];
  const convergence: number[] = [];
  let convergenceMax: number | undefined;
  const start = ctx.clock.now();
  const pacing = await pace(
    { rate: options.rate, concurrency: options.concurrency, clock: ctx.clock, signal: ctx.signal },
    async (index) => {
      const key = `geoctl/conflict/${ctx.runId}/${index}`;
      const valueOf = (region: string): string => `${ctx.runId}:${index}:${region}`;
      const outcomes = await Promise.all(
        options.writers.map((region) =>
          ctx.store.write(region, key, valueOf(region), { timeoutMs: options.operationTimeoutMs }),
        ),
      );
      const lastAck = ctx.clock.now();
      const acked = options.writers.filter((_, i) => outcomes[i]!.status === 'ok');
      const notAcknowledged = options.writers.filter((_, i) => outcomes[i]!.status !== 'ok');
      const result: ConflictKey = { key, resolution: 'no-conflict', lostUpdates: [], notAcknowledged };
      if (acked.length >= 2) {
        const settled = await untilAgreed(ctx, options, key, lastAck);
        const regionOf = (value: string): string | undefined => acked.find((r) => valueOf(r) === value);
        if (!settled) result.resolution = 'unconverged';
        else {
          result.convergedAfterMs = settled.atMs;
          if (settled.value.kind === 'siblings' && settled.value.values.length > 1) {
            result.resolution = 'siblings';
          } else if (settled.value.kind === 'value') {
            result.resolution = 'winner';
            result.winner = regionOf(settled.value.value);
            result.lostUpdates = acked.filter((r) => r !== result.winner);
          } else result.resolution = 'unconverged';
        }
      }
      byResolution[result.resolution] += 1;
      if (result.winner) wins[result.winner] = (wins[result.winner] ?? 0) + 1;
      for (const r of result.lostUpdates) lost[r] = (lost[r] ?? 0) + 1;
      if (result.convergedAfterMs !== undefined) {
        if (convergence.length < 10_000) convergence.push(result.convergedAfterMs);
        convergenceMax = Math.max(convergenceMax ?? 0, result.convergedAfterMs);
      }
      if (keys.length < KEPT_KEYS) keys.push(result);
      ctx.observe({ probe: 'conflict', type: 'conflict', at: ctx.clock.now(), ...result });
    },
  );
  convergence.sort((a, b) => a - b);
  return {
    probe: 'conflict',
    rounds: pacing.started,
    byResolution,
    wins,
    lostUpdates: lost,
    keys,
    convergence: { p50: convergence[Math.floor((convergence.length - 1) / 2)], max: convergenceMax },
    elapsedMs: ctx.clock.now() - start,
  };
}

/** Reads the key in every reader region until all show the same thing; undefined after the timeout. */
async function untilAgreed(
  ctx: ProbeContext,
  options: ConflictOptions,
  key: string,
  since: number,
): Promise<{ value: ReadValue; atMs: number } | undefined> {
  const deadline = since + options.convergeTimeoutMs;
  for (;;) {
    const reads = await Promise.all(
      options.readers.map((r) => ctx.store.read(r, key, { timeoutMs: options.operationTimeoutMs })),
    );
    const now = ctx.clock.now();
    if (reads.every((r) => r.status === 'ok')) {
      const values = reads.map((r) => (r.status === 'ok' ? canonical(r.value) : ''));
      if (values.every((v) => v === values[0]) && reads[0]!.status === 'ok')
        return { value: reads[0]!.value, atMs: now - since };
    }
    if (now >= deadline) return undefined;
    await ctx.clock.sleep(options.pollMs);
  }
}

function canonical(value: ReadValue): string {
  if (value.kind === 'absent') return 'absent';
  if (value.kind === 'value') return `v:${value.value}`;
  return `s:${[...value.values].sort().join('\u0000')}`;
}
