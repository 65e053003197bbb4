import { duration, measure, ms, pct } from '../figures.js';
import type { ExpectationReport, RunSummary, Stat } from '../summary.js';

/** Wording shared by the formats, so a figure reads the same in a terminal, a PR and a JUnit message. */

export const STATUS_LABEL = { pass: 'PASS', fail: 'FAIL', indeterminate: 'INDETERMINATE' } as const;

/** Failed first, then undecided, then passed; the scenario's order within each. */
export function expectationsByConcern(summary: RunSummary): ExpectationReport[] {
  const rank = { fail: 0, indeterminate: 1, pass: 2 } as const;
  return [...summary.expectations].sort((a, b) => rank[a.status] - rank[b.status]);
}

export function measuredText(e: ExpectationReport): string {
  if (e.measured === null)
    return e.status === 'fail' && e.metric === 'divergence.converged_within' ? 'never' : '-';
  return measure(e.measured, e.unit);
}

export function thresholdText(e: ExpectationReport): string {
  return `${e.operator} ${measure(e.threshold, e.unit)}`;
}

/** "±0.84 ms" for a duration with a resolution; "" otherwise. */
export function resolutionText(e: ExpectationReport): string {
  return e.resolution === null || e.unit !== 'ms' ? '' : `±${duration(e.resolution / 2)}`;
}

export function pairLabel(p: { writer: string; reader: string }): string {
  return `${p.writer} → ${p.reader}`;
}

/** "12.9 / 15.2 / 18.0 / 22.1" as p50 / p90 / p99 / max in ms. */
export function percentiles(s: Stat): string[] {
  return [ms(s.p50 ?? undefined), ms(s.p90 ?? undefined), ms(s.p99 ?? undefined), ms(s.max ?? undefined)];
}

export function resolutionMs(value: number | null): string {
  return value === null ? '-' : `±${ms(value / 2)}`;
}

export function ratio(value: number | null): string {
  return pct(value ?? undefined);
}

export function at(summary: RunSummary, epochMs: number | null): string {
  return epochMs === null ? '-' : `+${((epochMs - summary.startedAt) / 1000).toFixed(1)}s`;
}

export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** "failover 513 ms (±79.2 ms), us-east → eu-west" or why there is none. */
export function failoverText(f: RunSummary['failover'][number]): string {
  if (!f.failover) return f.note ?? 'no failover found (no gap across which writes moved)';
  const d = f.failover;
  return `${duration(d.durationMs)} (±${duration(d.resolutionMs)}), ${d.from.region} → ${d.to.region}${d.switchedRegion ? '' : ' (same node)'}`;
}

/** "105 acknowledged writes lost over 1.02 s (seq 405–509); 1 indeterminate (0 applied)". */
export function rpoText(f: RunSummary['failover'][number]): string {
  const r = f.rpo;
  const lost =
    r.lostWrites === null
      ? 'lost writes unknown (no read-back)'
      : r.lostWrites === 0
        ? 'no acknowledged write lost'
        : `${r.lostWrites} acknowledged write${r.lostWrites === 1 ? '' : 's'} lost over ${duration(r.spanMs ?? 0)} (seq ${r.lostSeqRanges})`;
  const indeterminate = `${r.indeterminate} indeterminate${r.indeterminateApplied === null ? '' : ` (${r.indeterminateApplied} applied)`}`;
  const unreadable = r.unreadable ? `; ${r.unreadable} unreadable in the read-back` : '';
  return `${lost}; ${indeterminate}${unreadable}`;
}

export function convergenceText(e: RunSummary['divergence'][number]['episodes'][number]): string {
  return e.convergedAfterMs === null
    ? 'never converged'
    : `${duration(e.convergedAfterMs)} (±${duration(e.resolutionMs / 2)})`;
}

/** Never seen, and the writes a saturated region could not follow (which are in no other figure). */
export function neverSeenText(p: { neverSeen: number; unchecked: number }): string {
  return p.unchecked > 0 ? `${p.neverSeen} (+${p.unchecked} unchecked)` : String(p.neverSeen);
}

/** Shortens text for a cell; whole text stays in the JSON report. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One row per writer → reader pair and probe: count, p50/p90/p99/max, resolution, stale reads, never seen. */
export function lagTableRows(s: RunSummary): string[][] {
  return [
    ...s.visibility.pairs.map((p) => [
      pairLabel(p),
      'visibility',
      String(p.lag.count),
      ...percentiles(p.lag),
      resolutionMs(p.resolutionMs),
      `${p.staleReads} (${ratio(p.staleRatio)})`,
      neverSeenText(p),
    ]),
    ...s.heartbeat.pairs.map((p) => [
      pairLabel(p),
      'heartbeat',
      String(p.lag.count),
      ...percentiles(p.lag),
      resolutionMs(p.resolutionMs),
      '-',
      '-',
    ]),
  ];
}

/** One row per pair, probe and phase: count and p50/p90/p99/max. */
export function lagByPhaseRows(s: RunSummary): string[][] {
  const byPhase = (
    probe: string,
    p: RunSummary['visibility']['pairs'][number] | RunSummary['heartbeat']['pairs'][number],
  ) => p.byPhase.map((ph) => [pairLabel(p), probe, ph.phase, String(ph.lag.count), ...percentiles(ph.lag)]);
  return [
    ...s.visibility.pairs.flatMap((p) => byPhase('visibility', p)),
    ...s.heartbeat.pairs.flatMap((p) => byPhase('heartbeat', p)),
  ];
}

/** One row per conflict probe: rounds, how each resolved, lost updates, convergence p50. */
export function conflictRows(s: RunSummary): string[][] {
  return s.conflicts.map((c) => [
    c.probe,
    String(c.rounds),
    String(c.byResolution.winner),
    String(c.byResolution.siblings),
    String(c.byResolution.unconverged),
    String(c.lostUpdates),
    duration(c.convergedAfter.p50 ?? undefined),
  ]);
}

/** One row per failover probe: writes ok/fail/indeterminate (joined by `separator`), failover time, RPO. */
export function failoverRows(s: RunSummary, separator = ' / '): string[][] {
  return s.failover.map((f) => [
    f.probe,
    [f.writes.ok, f.writes.fail, f.writes.indeterminate].join(separator),
    failoverText(f),
    rpoText(f),
  ]);
}
