import type { HistogramSummary } from '../../probes/histogram.js';
import type { FailoverSummary } from '../../probes/failover-probe.js';
import type { LagSummary } from '../../probes/lag-probe.js';
import type { SessionResult } from '../../probes/probe-session.js';
import type { RawSummary } from '../../probes/raw-probe.js';
import type { ConflictSummary } from '../../probes/conflict-probe.js';
import type { DivergenceSummary } from '../../probes/divergence-probe.js';
import { ms, pct, seqRanges } from '../../report/figures.js';
import { neverSeenText } from '../../report/formats/common.js';
import { table } from './table.js';

const hist = (h: HistogramSummary): string[] => [ms(h.p50), ms(h.p90), ms(h.p99), ms(h.max)];

function footer(result: SessionResult<unknown>): string {
  const parts = [
    `run ${result.runId}, ${(result.durationMs / 1000).toFixed(1)} s${result.interrupted ? ' (stopped by a signal)' : ''}`,
  ];
  if (result.out) parts.push(`observations in ${result.out}`);
  if (result.pushed) parts.push(`metrics pushed to ${result.pushed}`);
  return parts.join('; ');
}

export async function renderRaw(result: SessionResult<RawSummary>): Promise<string> {
  const s = result.summary;
  const rows = s.pairs.map((p) => [
    `${p.writer} → ${p.reader}`,
    String(p.checked),
    ...hist(p.lagFromAck),
    ms(p.lagFromStart.p50),
    `±${ms((p.resolution.p50 ?? 0) / 2)}`,
    pct(p.staleAfterAck),
    neverSeenText(p),
  ]);
  const writes = Object.entries(s.writes).map(
    ([region, w]) =>
      `${region}: ${w.ok} ok, ${w.fail} failed, ${w.indeterminate} indeterminate, write p50 ${ms(w.latency.p50)} ms; read-your-writes violations ${s.readYourWritesViolations[region] ?? 0}`,
  );
  return [
    'Read-after-write visibility lag, ms (from the ack; p50 from the write start in "start p50")',
    await table(
      [
        'writer → reader',
        'writes',
        'p50',
        'p90',
        'p99',
        'max',
        'start p50',
        'resolution',
        'stale after ack',
        'never seen',
      ],
      rows,
    ),
    ...writes,
    s.pairs.some((p) => p.unchecked > 0)
      ? `"unchecked": writes not followed in a region that already had ${'--concurrency'} visibility checks pending (it stopped seeing writes); the other regions were measured at the full rate.`
      : '',
    s.late > 0 ? `The probe fell behind its rate ${s.late} times (all ${'--concurrency'} slots busy).` : '',
    footer(result),
  ]
    .filter((l) => l !== '')
    .join('\n');
}

export async function renderLag(result: SessionResult<LagSummary>): Promise<string> {
  const s = result.summary;
  const rows = s.pairs.map((p) => [
    `${p.writer} → ${p.reader}`,
    String(p.heartbeatsSeen),
    ...hist(p.delay),
    `±${ms((p.resolution.p50 ?? 0) / 2)}`,
    ms(p.age.p50),
    ms(p.current),
    String(p.readErrors),
  ]);
  return [
    'Heartbeat lag, ms: delay from each heartbeat write to its first sighting; age = now − newest seen (pt-heartbeat)',
    await table(
      [
        'writer → reader',
        'heartbeats',
        'p50',
        'p90',
        'p99',
        'max',
        'resolution',
        'age p50',
        'age now',
        'read errors',
      ],
      rows,
    ),
    footer(result),
  ].join('\n');
}

export async function renderFailover(result: SessionResult<FailoverSummary>): Promise<string> {
  const s = result.summary;
  const lines = [
    `Writes: ${s.writes.ok} ok, ${s.writes.fail} failed, ${s.writes.indeterminate} indeterminate.`,
  ];
  if (s.failover) {
    const f = s.failover;
    lines.push(
      `Failover: ${f.seconds.toFixed(3)} s without an acknowledged write (±${ms(f.resolutionMs)} ms), from write #${f.lastBefore.seq} in ${f.lastBefore.landedIn} to write #${f.firstAfter.seq} in ${f.firstAfter.landedIn}${f.switchedRegion ? '' : ' (same region: no failover, just an interruption)'}.`,
    );
  } else lines.push('Failover: not enough acknowledged writes to tell.');
  const r = s.rpo;
  const rows = [
    ['acknowledged writes lost', String(r.lostWrites)],
    ['span of the lost writes', r.spanMs === undefined ? '-' : `${ms(r.spanMs)} ms`],
    ['lost write numbers', r.lost.length === 0 ? '-' : seqRanges(r.lost.map((l) => l.seq))],
    ['indeterminate writes', `${r.indeterminate} (${r.indeterminateApplied} found applied)`],
    ['checked in', r.checkedIn ?? '-'],
    ['unreadable during the check', String(r.unreadable)],
  ];
  lines.push(await table(['RPO', ''], rows), footer(result));
  return lines.join('\n');
}

export async function renderDivergence(result: SessionResult<DivergenceSummary>): Promise<string> {
  const s = result.summary;
  const lines = [
    `Divergent keys over ${s.checks} checks: p50 ${s.divergent.p50 ?? '-'}, p90 ${s.divergent.p90 ?? '-'}, max ${s.divergent.max ?? '-'}; writes ${s.writes.ok} ok, ${s.writes.fail} failed, ${s.writes.indeterminate} indeterminate; ${s.unreadable} key checks unreadable.`,
  ];
  if (s.episodes.length === 0)
    lines.push(
      'No geoctl fault ended during the run (or its Toxiproxy was not reachable): no convergence time.',
    );
  else {
    const rows = s.episodes.map((e) => [
      new Date(e.faultEndedAt).toISOString(),
      String(e.peakDivergent),
      e.convergedAfterMs === undefined ? 'not converged' : `${ms(e.convergedAfterMs)} ms`,
      `±${ms(e.resolutionMs)} ms`,
    ]);
    lines.push(await table(['fault ended', 'peak divergent', 'converged after', 'resolution'], rows));
  }
  lines.push(footer(result));
  return lines.join('\n');
}

export async function renderConflict(result: SessionResult<ConflictSummary>): Promise<string> {
  const s = result.summary;
  const rows = Object.keys(s.wins).map((region) => [
    region,
    String(s.wins[region] ?? 0),
    String(s.lostUpdates[region] ?? 0),
  ]);
  return [
    `Conflict rounds: ${s.rounds}: ${s.byResolution.winner} with one winner, ${s.byResolution.siblings} kept as siblings, ${s.byResolution.unconverged} never converged, ${s.byResolution['no-conflict']} without a conflict (fewer than two writes acknowledged).`,
    await table(['region', 'writes that won', 'lost updates'], rows),
    `Convergence after the last ack: p50 ${ms(s.convergence.p50)} ms, max ${ms(s.convergence.max)} ms.`,
    footer(result),
  ].join('\n');
}
