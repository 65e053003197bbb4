import { Histogram } from '../probes/histogram.js';
import type { LoadedRun, RunObservation } from './load-run.js';
import type { ExpectationResult, RunRecord } from './run-results.js';

/**
 * The report model: everything every format shows, computed once from a recorded run by a pure function
 * (no I/O, no clock). Memory is bounded whatever the run's length: percentiles come from log-linear
 * histograms, and time series are bucketed into at most MAX_POINTS buckets. `geoctl report --format json`
 * prints this document; docs/report-schema.json describes it.
 *
 * Times are epoch milliseconds; durations are milliseconds. Every measured figure carries its uncertainty:
 * lag percentiles their measurement resolution (each value is known to lie within an interval of about that
 * width; ± half of it) on top of the histogram's relative error (HISTOGRAM_RELATIVE_ERROR); the failover
 * time its resolution; convergence times theirs; fault times how long the injection took.
 */
export const REPORT_SCHEMA = 'geoctl-report/1';
/** Percentiles come from a log-linear histogram: a value is off by at most this share of itself. */
export const HISTOGRAM_RELATIVE_ERROR = 1 / 128;
/** Time series never have more points than this. */
export const MAX_POINTS = 600;
/** Lists that can grow with the run (lost write sequence numbers) are cut to this many entries. */
export const MAX_LIST = 1_000;

export interface Stat {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export interface PhaseStat {
  phase: string;
  lag: Stat;
  /** Median width of the interval each value is known to lie in, ms (values are ± half of it). */
  resolutionMs: number | null;
}

export interface VisibilityPair {
  probe: string;
  writer: string;
  reader: string;
  /** Writes whose visibility was checked in the reader region. */
  checked: number;
  /** From the write's ack until it was visible in the reader region, ms. */
  lag: Stat;
  resolutionMs: number | null;
  /** Reads that did not see a write yet (all polls), and checks whose first read was stale. */
  staleReads: number;
  staleChecks: number;
  /** Share of checks with a stale read or never seen (as `raw.<region>.stale_ratio`). */
  staleRatio: number | null;
  neverSeen: number;
  /** Writes not followed in the reader region: it already had the probe's concurrency of checks pending. */
  unchecked: number;
  byPhase: PhaseStat[];
}

export interface HeartbeatPair {
  probe: string;
  writer: string;
  reader: string;
  heartbeats: number;
  /** From a heartbeat's write until the reader region first saw it, ms. */
  lag: Stat;
  resolutionMs: number | null;
  failedHeartbeatWrites: number;
  byPhase: PhaseStat[];
}

export interface WriterCounts {
  probe: string;
  writer: string;
  ok: number;
  fail: number;
  indeterminate: number;
  readYourWritesViolations: number;
}

export interface ConflictReport {
  probe: string;
  rounds: number;
  byResolution: { winner: number; siblings: number; unconverged: number; 'no-conflict': number };
  /** Acknowledged concurrent updates that did not survive resolution. */
  lostUpdates: number;
  convergedAfter: Stat;
}

export interface FailoverReport {
  probe: string;
  writes: { ok: number; fail: number; indeterminate: number };
  /** The longest stretch without an acknowledged write across which writes moved; null if none was found. */
  failover: {
    durationMs: number;
    /** The gap is known to ± this much (the write interval plus the slowest write's round trip). */
    resolutionMs: number;
    from: { at: number; seq: number; region: string };
    to: { at: number; seq: number; region: string };
    switchedRegion: boolean;
  } | null;
  rpo: {
    /** Acknowledged writes missing afterwards; null when the probe did not finish its read-back. */
    lostWrites: number | null;
    /** From the first to the last lost write's ack, ms. */
    spanMs: number | null;
    firstLostAt: number | null;
    lastLostAt: number | null;
    /** The lost writes' sequence numbers as ranges ("405–509"), and the first MAX_LIST of them. */
    lostSeqRanges: string;
    lostSeqs: number[];
    lostSeqsTruncated: boolean;
    /** Writes whose outcome was unknown (never counted as lost or kept), and how many were applied. */
    indeterminate: number;
    indeterminateApplied: number | null;
    checkedIn: string | null;
    /** Reads in the read-back that failed: their writes are counted neither lost nor kept. */
    unreadable: number | null;
  };
  /** Set when the probe had no final summary (it failed or the run was cut short). */
  note: string | null;
}

export interface DivergenceReport {
  probe: string;
  checks: number;
  maxDivergent: number | null;
  /** Median time between checks: a divergence count holds for about this long, ms. */
  checkIntervalMs: number | null;
  episodes: Array<{
    faultEndedAt: number;
    /** null: the keys never converged before the run ended. */
    convergedAfterMs: number | null;
    resolutionMs: number;
    peakDivergent: number;
  }>;
  unconverged: number;
}

export interface SeriesPoint {
  /** Start of the bucket, ms after the run started. */
  t: number;
}

export interface Series {
  /** Width of every bucket, ms. */
  bucketMs: number;
  /** Per pair: the mean and max lag of the observations in each bucket (empty buckets are left out). */
  lag: Array<{
    probe: string;
    source: 'visibility' | 'heartbeat';
    writer: string;
    reader: string;
    points: Array<SeriesPoint & { mean: number; max: number; n: number }>;
  }>;
  /** Per failover probe: writes per bucket by outcome, and acknowledged writes later found lost. */
  availability: Array<{
    probe: string;
    points: Array<SeriesPoint & { ok: number; fail: number; indeterminate: number; lost: number }>;
  }>;
  /** Per divergence probe: the largest count of divergent keys in each bucket. */
  divergence: Array<{ probe: string; points: Array<SeriesPoint & { divergent: number }> }>;
}

/** An expectation as `geoctl run` judged it; measured is null when there was nothing to measure. */
export type ExpectationReport = Omit<ExpectationResult, 'measured' | 'resolution' | 'phase'> & {
  phase: string | null;
  measured: number | null;
  resolution: number | null;
};

export interface RunSummary {
  schema: typeof REPORT_SCHEMA;
  scenario: { name: string; file: string; description: string | null };
  topology: string;
  toxiproxy: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  outcome: RunRecord['outcome'];
  expectations: ExpectationReport[];
  counts: { pass: number; fail: number; indeterminate: number };
  phases: Array<{ name: string; start: number; end: number; durationMs: number }>;
  faults: Array<{
    id: string;
    kind: string;
    summary: string;
    injectedAt: number;
    healedAt: number | null;
    healedBy: string | null;
    durationMs: number | null;
    /** How long the injection took: the fault took effect within this window before injectedAt, ms. */
    injectUncertaintyMs: number | null;
    proxies: string[];
  }>;
  steps: RunRecord['steps'];
  probes: Array<{ name: string; kind: string; error: string | null }>;
  visibility: { pairs: VisibilityPair[]; writers: WriterCounts[] };
  heartbeat: { pairs: HeartbeatPair[] };
  conflicts: ConflictReport[];
  failover: FailoverReport[];
  divergence: DivergenceReport[];
  series: Series;
  precision: { histogramRelativeError: number; maxPoints: number };
  observations: { count: number; tornLastLine: boolean };
}

/** Builds the report model from a recorded run. Pure: same run, same document. */
export function summarizeRun(run: LoadedRun): RunSummary {
  const { record } = run;
  const start = record.startedAt;
  const durationMs = Math.max(0, record.endedAt - start);
  const bucketMs = bucketWidth(durationMs);
  const buckets = Math.max(1, Math.min(MAX_POINTS, Math.ceil(durationMs / bucketMs)));
  const bucketOf = (at: number): number =>
    Math.min(buckets - 1, Math.max(0, Math.floor((at - start) / bucketMs)));
  const phaseNames = record.phases.map((p) => p.name);
  const kindOf = (o: RunObservation): string | undefined => o.kind ?? record.probes[o.probe]?.kind;

  const visibility = new Map<string, PairAcc & VisibilityExtra>();
  const heartbeat = new Map<string, PairAcc>();
  const heartbeatFailures = new Map<string, number>();
  const writers = new Map<string, WriterCounts>();
  const conflicts = new Map<string, ConflictAcc>();
  const failoverAcc = new Map<string, FailoverAcc>();
  const divergence = new Map<string, DivergenceAcc>();

  for (const o of run.observations) {
    const kind = kindOf(o);
    if (kind === 'raw') {
      const writer = String(o.writer);
      if (o.type === 'write' || o.type === 'ryw-violation') {
        const w = getOr(writers, `${o.probe}>${writer}`, () => ({
          probe: o.probe,
          writer,
          ok: 0,
          fail: 0,
          indeterminate: 0,
          readYourWritesViolations: 0,
        }));
        if (o.type === 'ryw-violation') w.readYourWritesViolations += 1;
        else if (o.outcome === 'ok' || o.outcome === 'fail' || o.outcome === 'indeterminate')
          w[o.outcome] += 1;
        continue;
      }
      if (o.type !== 'visible' && o.type !== 'never-seen' && o.type !== 'unchecked') continue;
      const reader = String(o.reader);
      const pair = getOr(visibility, `${o.probe}>${writer}>${reader}`, () => ({
        ...newPair(o.probe, writer, reader, buckets),
        checked: 0,
        staleReads: 0,
        staleChecks: 0,
        neverSeen: 0,
        unchecked: 0,
      }));
      if (o.type === 'unchecked') {
        pair.unchecked += 1;
        continue;
      }
      pair.checked += 1;
      if (o.type === 'never-seen') {
        pair.neverSeen += 1;
        pair.staleChecks += 1;
        continue;
      }
      const stale = num(o.staleReads) ?? 0;
      pair.staleReads += stale;
      if (stale > 0) pair.staleChecks += 1;
      recordLag(pair, o, num(o.lagMs), num(o.resolutionMs), bucketOf);
    } else if (kind === 'lag') {
      if (o.type === 'heartbeat-write') {
        const key = `${o.probe}>${String(o.writer)}`;
        heartbeatFailures.set(key, (heartbeatFailures.get(key) ?? 0) + 1);
        continue;
      }
      if (o.type !== 'heartbeat') continue;
      const writer = String(o.writer);
      const reader = String(o.reader);
      const pair = getOr(heartbeat, `${o.probe}>${writer}>${reader}`, () =>
        newPair(o.probe, writer, reader, buckets),
      );
      recordLag(pair, o, num(o.delayMs), num(o.resolutionMs), bucketOf);
    } else if (kind === 'conflict' && o.type === 'conflict') {
      const c = getOr(conflicts, o.probe, () => ({
        rounds: 0,
        byResolution: { winner: 0, siblings: 0, unconverged: 0, 'no-conflict': 0 },
        lostUpdates: 0,
        converged: new Histogram(),
      }));
      c.rounds += 1;
      const resolution = String(o.resolution);
      if (resolution in c.byResolution) c.byResolution[resolution as keyof typeof c.byResolution] += 1;
      if (Array.isArray(o.lostUpdates)) c.lostUpdates += o.lostUpdates.length;
      const after = num(o.convergedAfterMs);
      if (after !== undefined) c.converged.record(after);
    } else if (kind === 'failover') {
      const f = getOr(failoverAcc, o.probe, () => newFailoverAcc(buckets));
      if (
        o.type === 'write' &&
        (o.outcome === 'ok' || o.outcome === 'fail' || o.outcome === 'indeterminate')
      ) {
        f.writes[o.outcome] += 1;
        f[o.outcome][bucketOf(o.at)]! += 1;
      } else if (o.type === 'lost') {
        const ackedAt = num(o.ackedAt) ?? o.at;
        f.lost[bucketOf(ackedAt)]! += 1;
        f.lostCount += 1;
        if (f.lostSeqs.length < MAX_LIST) f.lostSeqs.push(Number(o.seq));
        f.firstLostAt = Math.min(f.firstLostAt ?? ackedAt, ackedAt);
        f.lastLostAt = Math.max(f.lastLostAt ?? ackedAt, ackedAt);
      }
    } else if (kind === 'divergence') {
      const d = getOr(divergence, o.probe, () => ({
        checks: 0,
        max: undefined as number | undefined,
        perBucket: new Float64Array(buckets).fill(-1),
        gaps: new Histogram(),
        lastCheck: undefined as number | undefined,
        converged: [] as DivergenceReport['episodes'],
      }));
      if (o.type === 'divergence') {
        const divergent = num(o.divergent) ?? 0;
        d.checks += 1;
        d.max = Math.max(d.max ?? 0, divergent);
        const b = bucketOf(o.at);
        d.perBucket[b] = Math.max(d.perBucket[b]!, divergent);
        if (d.lastCheck !== undefined) d.gaps.record(o.at - d.lastCheck);
        d.lastCheck = o.at;
      } else if (o.type === 'converged') {
        d.converged.push({
          faultEndedAt: num(o.faultEndedAt) ?? o.at,
          convergedAfterMs: num(o.convergedAfterMs) ?? null,
          resolutionMs: num(o.resolutionMs) ?? 0,
          peakDivergent: num(o.peakDivergent) ?? 0,
        });
      }
    }
  }

  const failover = failoverReports(record, failoverAcc);
  // The failover time is known to ± the probe's resolution; the record's expectation does not carry it.
  const failoverResolution =
    failover.length === 1 && failover[0]!.failover ? failover[0]!.failover.resolutionMs * 2 : null;
  // Lost writes that only the probe's summary lists (no `lost` observations) still show in the series.
  for (const [probe, p] of Object.entries(record.probes)) {
    const lost = (p.summary as FailoverSummaryLike | undefined)?.rpo?.lost;
    if (p.kind !== 'failover' || !lost || lost.length === 0) continue;
    const f = getOr(failoverAcc, probe, () => newFailoverAcc(buckets));
    if (f.lostCount > 0) continue;
    for (const l of lost) f.lost[bucketOf(l.ackedAt)]! += 1;
  }
  const expectations = record.expectations.map((e) => ({
    ...e,
    phase: e.phase ?? null,
    measured: e.measured ?? null,
    resolution: e.resolution ?? (e.metric === 'failover.seconds' ? failoverResolution : null),
  }));
  const counts = { pass: 0, fail: 0, indeterminate: 0 };
  for (const e of expectations) counts[e.status] += 1;

  const stepsOfKind = record.steps.filter((s) => s.kind === 'fault');
  return {
    schema: REPORT_SCHEMA,
    scenario: {
      name: record.scenario.name,
      file: record.scenario.file,
      description: record.scenario.description ?? null,
    },
    topology: record.topology,
    toxiproxy: withoutCredentials(record.toxiproxy),
    startedAt: start,
    endedAt: record.endedAt,
    durationMs,
    outcome: record.outcome,
    expectations,
    counts,
    phases: record.phases.map((p) => ({ ...p, durationMs: p.end - p.start })),
    faults: record.faults.map((f) => {
      const step = stepsOfKind.filter((s) => s.at <= f.injectedAt).at(-1);
      return {
        id: f.id,
        kind: f.kind,
        summary: f.summary,
        injectedAt: f.injectedAt,
        healedAt: f.healedAt ?? null,
        healedBy: f.healedBy ?? null,
        durationMs: f.healedAt === undefined ? null : f.healedAt - f.injectedAt,
        injectUncertaintyMs: step ? round(f.injectedAt - step.at) : null,
        proxies: f.proxies,
      };
    }),
    steps: record.steps,
    probes: Object.entries(record.probes).map(([name, p]) => ({
      name,
      kind: p.kind,
      error: p.error ?? null,
    })),
    visibility: {
      pairs: [...visibility.values()].map((p) => ({
        probe: p.probe,
        writer: p.writer,
        reader: p.reader,
        checked: p.checked,
        lag: stat(p.values),
        resolutionMs: q50(p.resolution),
        staleReads: p.staleReads,
        staleChecks: p.staleChecks,
        staleRatio: p.checked === 0 ? null : round(p.staleChecks / p.checked),
        neverSeen: p.neverSeen,
        unchecked: p.unchecked,
        byPhase: byPhase(p, phaseNames),
      })),
      writers: [...writers.values()],
    },
    heartbeat: {
      pairs: [...heartbeat.values()].map((p) => ({
        probe: p.probe,
        writer: p.writer,
        reader: p.reader,
        heartbeats: p.values.count,
        lag: stat(p.values),
        resolutionMs: q50(p.resolution),
        failedHeartbeatWrites: heartbeatFailures.get(`${p.probe}>${p.writer}`) ?? 0,
        byPhase: byPhase(p, phaseNames),
      })),
    },
    conflicts: [...conflicts].map(([probe, c]) => ({
      probe,
      rounds: c.rounds,
      byResolution: c.byResolution,
      lostUpdates: c.lostUpdates,
      convergedAfter: stat(c.converged),
    })),
    failover,
    divergence: [...divergence].map(([probe, d]) => divergenceReport(record, probe, d)),
    series: {
      bucketMs,
      lag: [
        ...[...visibility.values()].map((p) => lagSeries(p, 'visibility', bucketMs)),
        ...[...heartbeat.values()].map((p) => lagSeries(p, 'heartbeat', bucketMs)),
      ],
      availability: [...failoverAcc].map(([probe, f]) => ({
        probe,
        points: indices(buckets)
          .filter((i) => f.ok[i]! + f.fail[i]! + f.indeterminate[i]! + f.lost[i]! > 0)
          .map((i) => ({
            t: i * bucketMs,
            ok: f.ok[i]!,
            fail: f.fail[i]!,
            indeterminate: f.indeterminate[i]!,
            lost: f.lost[i]!,
          })),
      })),
      divergence: [...divergence].map(([probe, d]) => ({
        probe,
        points: indices(buckets)
          .filter((i) => d.perBucket[i]! >= 0)
          .map((i) => ({ t: i * bucketMs, divergent: d.perBucket[i]! })),
      })),
    },
    precision: { histogramRelativeError: HISTOGRAM_RELATIVE_ERROR, maxPoints: MAX_POINTS },
    observations: { count: run.observations.length, tornLastLine: run.tornLastLine },
  };
}

interface PairAcc {
  probe: string;
  writer: string;
  reader: string;
  values: Histogram;
  resolution: Histogram;
  phases: Map<string, { values: Histogram; resolution: Histogram }>;
  sum: Float64Array;
  max: Float64Array;
  n: Float64Array;
}

interface VisibilityExtra {
  checked: number;
  staleReads: number;
  staleChecks: number;
  neverSeen: number;
  unchecked: number;
}

interface ConflictAcc {
  rounds: number;
  byResolution: ConflictReport['byResolution'];
  lostUpdates: number;
  converged: Histogram;
}

interface FailoverAcc {
  writes: { ok: number; fail: number; indeterminate: number };
  ok: Float64Array;
  fail: Float64Array;
  indeterminate: Float64Array;
  lost: Float64Array;
  lostSeqs: number[];
  lostCount: number;
  firstLostAt: number | undefined;
  lastLostAt: number | undefined;
}

interface DivergenceAcc {
  checks: number;
  max: number | undefined;
  perBucket: Float64Array;
  gaps: Histogram;
  lastCheck: number | undefined;
  converged: DivergenceReport['episodes'];
}

function newFailoverAcc(buckets: number): FailoverAcc {
  return {
    writes: { ok: 0, fail: 0, indeterminate: 0 },
    ok: new Float64Array(buckets),
    fail: new Float64Array(buckets),
    indeterminate: new Float64Array(buckets),
    lost: new Float64Array(buckets),
    lostSeqs: [],
    lostCount: 0,
    firstLostAt: undefined,
    lastLostAt: undefined,
  };
}

function newPair(probe: string, writer: string, reader: string, buckets: number): PairAcc {
  return {
    probe,
    writer,
    reader,
    values: new Histogram(),
    resolution: new Histogram(),
    phases: new Map(),
    sum: new Float64Array(buckets),
    max: new Float64Array(buckets),
    n: new Float64Array(buckets),
  };
}

function recordLag(
  pair: PairAcc,
  o: RunObservation,
  value: number | undefined,
  resolution: number | undefined,
  bucketOf: (at: number) => number,
): void {
  if (value === undefined) return;
  pair.values.record(value);
  if (resolution !== undefined) pair.resolution.record(resolution);
  if (typeof o.phase === 'string') {
    const p = getOr(pair.phases, o.phase, () => ({ values: new Histogram(), resolution: new Histogram() }));
    p.values.record(value);
    if (resolution !== undefined) p.resolution.record(resolution);
  }
  const b = bucketOf(o.at);
  pair.sum[b]! += value;
  pair.n[b]! += 1;
  pair.max[b] = Math.max(pair.max[b]!, value);
}

function byPhase(pair: PairAcc, phaseNames: string[]): PhaseStat[] {
  return phaseNames
    .filter((name) => pair.phases.has(name))
    .map((name) => {
      const p = pair.phases.get(name)!;
      return { phase: name, lag: stat(p.values), resolutionMs: q50(p.resolution) };
    });
}

function lagSeries(
  pair: PairAcc,
  source: 'visibility' | 'heartbeat',
  bucketMs: number,
): Series['lag'][number] {
  return {
    probe: pair.probe,
    source,
    writer: pair.writer,
    reader: pair.reader,
    points: indices(pair.n.length)
      .filter((i) => pair.n[i]! > 0)
      .map((i) => ({
        t: i * bucketMs,
        mean: round(pair.sum[i]! / pair.n[i]!),
        max: round(pair.max[i]!),
        n: pair.n[i]!,
      })),
  };
}

function failoverReports(record: RunRecord, acc: Map<string, FailoverAcc>): FailoverReport[] {
  const names = new Set([
    ...acc.keys(),
    ...Object.entries(record.probes)
      .filter(([, p]) => p.kind === 'failover')
      .map(([name]) => name),
  ]);
  return [...names].map((probe) => {
    const f = acc.get(probe);
    const summary = record.probes[probe]?.summary as FailoverSummaryLike | undefined;
    const lostSeqs = summary?.rpo?.lost
      ? summary.rpo.lost.slice(0, MAX_LIST).map((l) => l.seq)
      : (f?.lostSeqs ?? []);
    const lostCount = summary?.rpo?.lostWrites ?? f?.lostCount ?? 0;
    const firstLostAt = summary?.rpo?.lost?.[0]?.ackedAt ?? f?.firstLostAt;
    const lastLostAt = summary?.rpo?.lost?.at(-1)?.ackedAt ?? f?.lastLostAt;
    const fo = summary?.failover;
    const writes = summary?.writes ?? f?.writes ?? { ok: 0, fail: 0, indeterminate: 0 };
    return {
      probe,
      writes,
      failover: fo
        ? {
            durationMs: round(fo.seconds * 1000),
            resolutionMs: round(fo.resolutionMs),
            from: { at: fo.lastBefore.ackedAt, seq: fo.lastBefore.seq, region: fo.lastBefore.landedIn },
            to: { at: fo.firstAfter.ackedAt, seq: fo.firstAfter.seq, region: fo.firstAfter.landedIn },
            switchedRegion: fo.switchedRegion,
          }
        : null,
      rpo: {
        lostWrites: summary?.rpo ? summary.rpo.lostWrites : null,
        spanMs:
          summary?.rpo?.spanMs ??
          (firstLostAt !== undefined && lastLostAt !== undefined ? round(lastLostAt - firstLostAt) : null),
        firstLostAt: firstLostAt ?? null,
        lastLostAt: lastLostAt ?? null,
        lostSeqRanges: seqRangesOf(lostSeqs, lostCount),
        lostSeqs,
        lostSeqsTruncated: lostCount > lostSeqs.length,
        indeterminate: summary?.rpo?.indeterminate ?? writes.indeterminate,
        indeterminateApplied: summary?.rpo?.indeterminateApplied ?? null,
        checkedIn: summary?.rpo?.checkedIn ?? null,
        unreadable: summary?.rpo?.unreadable ?? null,
      },
      note: summary
        ? null
        : (record.probes[probe]?.error ??
          'the probe did not finish (the run was cut short): the failover time and the read-back are unknown'),
    };
  });
}

interface FailoverSummaryLike {
  writes?: { ok: number; fail: number; indeterminate: number };
  failover?: {
    seconds: number;
    resolutionMs: number;
    switchedRegion: boolean;
    lastBefore: { seq: number; landedIn: string; ackedAt: number };
    firstAfter: { seq: number; landedIn: string; ackedAt: number };
  };
  rpo?: {
    lostWrites: number;
    lost?: Array<{ seq: number; ackedAt: number }>;
    spanMs?: number;
    indeterminate: number;
    indeterminateApplied: number;
    checkedIn?: string;
    unreadable: number;
  };
}

function divergenceReport(record: RunRecord, probe: string, d: DivergenceAcc): DivergenceReport {
  const summary = record.probes[probe]?.summary as
    | {
        episodes?: Array<{
          faultEndedAt: number;
          convergedAfterMs?: number;
          resolutionMs: number;
          peakDivergent: number;
        }>;
      }
    | undefined;
  const episodes = summary?.episodes
    ? summary.episodes.map((e) => ({
        faultEndedAt: e.faultEndedAt,
        convergedAfterMs: e.convergedAfterMs === undefined ? null : round(e.convergedAfterMs),
        resolutionMs: round(e.resolutionMs),
        peakDivergent: e.peakDivergent,
      }))
    : d.converged.map((e) => ({
        ...e,
        convergedAfterMs: e.convergedAfterMs === null ? null : round(e.convergedAfterMs),
        resolutionMs: round(e.resolutionMs),
      }));
  return {
    probe,
    checks: d.checks,
    maxDivergent: d.max ?? null,
    checkIntervalMs: q50(d.gaps),
    episodes,
    unconverged: episodes.filter((e) => e.convergedAfterMs === null).length,
  };
}

/** 1, 2, 2.5, 5 × 10^k ms, at least 100 ms, so that the run fits in MAX_POINTS buckets. */
export function bucketWidth(durationMs: number): number {
  const wanted = Math.max(100, durationMs / MAX_POINTS);
  for (let p = 100; ; p *= 10) for (const m of [1, 2, 2.5, 5]) if (m * p >= wanted) return m * p;
}

function stat(h: Histogram): Stat {
  const s = h.summary();
  return {
    count: s.count,
    p50: s.p50 ?? null,
    p90: s.p90 ?? null,
    p99: s.p99 ?? null,
    max: s.max ?? null,
    mean: s.mean ?? null,
  };
}

function q50(h: Histogram): number | null {
  const v = h.quantile(0.5);
  return v === undefined ? null : round(v);
}

function seqRangesOf(seqs: number[], total: number): string {
  const ranges: string[] = [];
  for (let i = 0; i < seqs.length;) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    ranges.push(i === j ? String(seqs[i]) : `${seqs[i]}–${seqs[j]}`);
    i = j + 1;
  }
  const shown = ranges.slice(0, 50).join(', ');
  return ranges.length > 50 || total > seqs.length ? `${shown}, …` : shown;
}

/** A URL without user:password@ (the run record should hold none, but a report must never show one). */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function indices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
