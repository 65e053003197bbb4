import type { Observation } from '../probes/probe-types.js';
import { Histogram } from '../probes/histogram.js';
import type { ExpectationResult } from '../report/run-results.js';
import { findMetric } from './expectation-metrics.js';
import type { Expectation } from './scenario.js';

interface Accumulator {
  values: Histogram;
  resolution: Histogram;
  count: number;
  hits: number;
  max: number | undefined;
  unconverged: boolean;
}

/**
 * Checks expectations against what the probes observed, as they observe it (bounded memory: one histogram
 * or counter per expectation). Failover and RPO figures come from the failover probe's final summary.
 */
export class ExpectationEvaluator {
  private readonly acc = new Map<Expectation, Accumulator>();
  private readonly finals = new Map<string, number | undefined>();

  constructor(private readonly expectations: readonly Expectation[]) {
    for (const e of expectations) {
      this.acc.set(e, {
        values: new Histogram(),
        resolution: new Histogram(),
        count: 0,
        hits: 0,
        max: undefined,
        unconverged: false,
      });
    }
  }

  /** `o.phase` is the phase the run was in when it was observed; `o.kind` the probe kind. */
  observe(o: Observation & { kind?: unknown; phase?: unknown }): void {
    for (const e of this.expectations) {
      if (e.phase !== undefined && o.phase !== e.phase) continue;
      const a = this.acc.get(e)!;
      const found = findMetric(e.metric)!;
      const [, region, stat] = found.match;
      const metric = e.metric;
      if (o.kind === 'raw' && metric.startsWith('raw.') && o.reader === region) {
        if (stat && o.type === 'visible') {
          a.values.record(Number(o.lagMs));
          a.resolution.record(Number(o.resolutionMs));
        }
        if (metric.endsWith('.never_seen') && o.type === 'never-seen') a.hits += 1;
        if (metric.endsWith('.stale_ratio') && (o.type === 'visible' || o.type === 'never-seen')) {
          a.count += 1;
          if (o.type === 'never-seen' || Number(o.staleReads) > 0) a.hits += 1;
        }
      } else if (
        o.kind === 'lag' &&
        metric.startsWith('lag.') &&
        o.type === 'heartbeat' &&
        o.reader === region
      ) {
        a.values.record(Number(o.delayMs));
        a.resolution.record(Number(o.resolutionMs));
      } else if (
        o.kind === 'divergence' &&
        metric === 'divergence.max_divergent' &&
        o.type === 'divergence'
      ) {
        a.max = Math.max(a.max ?? 0, Number(o.divergent));
      } else if (
        o.kind === 'divergence' &&
        metric === 'divergence.converged_within' &&
        o.type === 'converged'
      ) {
        a.max = Math.max(a.max ?? 0, Number(o.convergedAfterMs));
        a.resolution.record(Number(o.resolutionMs));
      } else if (o.kind === 'conflict' && metric.startsWith('conflicts.') && o.type === 'conflict') {
        a.count += 1;
        const which = metric.slice('conflicts.'.length);
        if (which === 'never_converged' && o.resolution === 'unconverged') a.hits += 1;
        if (which === 'siblings' && o.resolution === 'siblings') a.hits += 1;
        if (which === 'winner' && o.resolution === 'winner') a.hits += 1;
        if (which === 'lost_updates' && Array.isArray(o.lostUpdates)) a.hits += o.lostUpdates.length;
      }
    }
  }

  /** Figures known only at the end: failover seconds (ms), rpo counts, divergence episodes that never converged. */
  final(
    name: 'failover.seconds' | 'rpo.lost_writes' | 'rpo.indeterminate' | 'divergence.unconverged',
    value: number | undefined,
  ): void {
    this.finals.set(name, value);
  }

  results(): ExpectationResult[] {
    return this.expectations.map((e) => this.result(e));
  }

  private result(e: Expectation): ExpectationResult {
    const a = this.acc.get(e)!;
    const { definition, match } = findMetric(e.metric)!;
    const stat = match[2];
    let measured: number | undefined;
    let resolution: number | undefined;
    let why: string | undefined;
    if (e.metric === 'failover.seconds' || e.metric.startsWith('rpo.')) {
      measured = this.finals.get(e.metric);
      if (measured === undefined) why = 'the failover probe found no failover to measure';
    } else if (e.metric === 'divergence.converged_within') {
      if (this.finals.get('divergence.unconverged')) {
        measured = Infinity;
        why = 'a fault ended and the keys never converged before the run ended';
      } else measured = a.max;
      if (measured === undefined) why = 'no geoctl fault ended while the divergence probe watched';
      resolution = a.resolution.quantile(0.5);
    } else if (e.metric === 'divergence.max_divergent') {
      measured = a.max;
      if (measured === undefined) why = 'no divergence check completed';
    } else if (stat) {
      measured =
        stat === 'mean'
          ? a.values.mean
          : stat === 'max'
            ? a.values.max
            : a.values.quantile(Number(stat.slice(1)) / 100);
      resolution = a.resolution.quantile(0.5);
      if (measured === undefined)
        why = `no observations${e.phase ? ` during ${e.phase}` : ''} to compute it from`;
    } else if (e.metric.endsWith('.stale_ratio')) {
      measured = a.count === 0 ? undefined : a.hits / a.count;
      if (measured === undefined) why = 'no writes were checked';
    } else if (e.metric.startsWith('conflicts.')) {
      measured = a.count === 0 ? undefined : a.hits;
      if (measured === undefined) why = 'no conflict round completed';
    } else {
      measured = a.hits;
    }
    const unit = definition.unit;
    const base = {
      text: e.text,
      metric: e.metric,
      operator: e.operator,
      threshold: e.threshold,
      unit,
      phase: e.phase,
      measured: measured === undefined ? undefined : round(measured),
      resolution: resolution === undefined ? undefined : round(resolution),
    };
    if (measured === undefined)
      return { ...base, status: 'indeterminate', message: `could not be measured: ${why}` };
    const pass = compare(measured, e.operator, e.threshold);
    // A duration that passes or fails only within its resolution cannot be decided.
    if (
      resolution !== undefined &&
      unit === 'ms' &&
      Number.isFinite(measured) &&
      Math.abs(measured - e.threshold) < resolution / 2
    ) {
      return {
        ...base,
        status: 'indeterminate',
        message: `measured ${fmt(measured, unit)} is within the resolution (±${fmt(resolution / 2, unit)}) of ${fmt(e.threshold, unit)}`,
      };
    }
    const message = `measured ${fmt(measured, unit)}${resolution !== undefined ? ` (±${fmt(resolution / 2, unit)})` : ''}, expected ${e.operator} ${fmt(e.threshold, unit)}${why ? `: ${why}` : ''}`;
    return { ...base, status: pass ? 'pass' : 'fail', message };
  }
}

function compare(v: number, op: Expectation['operator'], t: number): boolean {
  switch (op) {
    case '<':
      return v < t;
    case '<=':
      return v <= t;
    case '>':
      return v > t;
    case '>=':
      return v >= t;
    case '==':
      return v === t;
    case '!=':
      return v !== t;
  }
}

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : v;
}

function fmt(v: number, unit: ExpectationResult['unit']): string {
  if (!Number.isFinite(v)) return 'never';
  if (unit === 'ms') return v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${v.toFixed(1)}ms`;
  if (unit === 'ratio') return `${(v * 100).toFixed(1)}%`;
  return String(v);
}
