import type { ProbeKind } from './scenario.js';

/**
 * Every figure an expectation can name, with its unit and the probe kind that produces it. `<region>` is a
 * region name (the reader region for lag figures).
 */
export interface MetricDefinition {
  pattern: RegExp;
  example: string;
  unit: 'ms' | 'count' | 'ratio';
  probe: ProbeKind;
  /** Plain numbers in thresholds mean seconds (failover.seconds) rather than the unit. */
  plainNumberIsSeconds?: boolean;
}

export const METRICS: readonly MetricDefinition[] = [
  {
    pattern: /^raw\.([a-z0-9_-]+)\.(p50|p90|p99|max|mean)$/,
    example: 'raw.eu-west.p99',
    unit: 'ms',
    probe: 'raw',
  },
  {
    pattern: /^raw\.([a-z0-9_-]+)\.stale_ratio$/,
    example: 'raw.eu-west.stale_ratio',
    unit: 'ratio',
    probe: 'raw',
  },
  {
    pattern: /^raw\.([a-z0-9_-]+)\.never_seen$/,
    example: 'raw.eu-west.never_seen',
    unit: 'count',
    probe: 'raw',
  },
  {
    pattern: /^lag\.([a-z0-9_-]+)\.(p50|p90|p99|max|mean)$/,
    example: 'lag.eu-west.p99',
    unit: 'ms',
    probe: 'lag',
  },
  {
    pattern: /^failover\.seconds$/,
    example: 'failover.seconds',
    unit: 'ms',
    probe: 'failover',
    plainNumberIsSeconds: true,
  },
  {
    pattern: /^rpo\.(lost_writes|indeterminate)$/,
    example: 'rpo.lost_writes',
    unit: 'count',
    probe: 'failover',
  },
  {
    pattern: /^divergence\.converged_within$/,
    example: 'divergence.converged_within',
    unit: 'ms',
    probe: 'divergence',
  },
  {
    pattern: /^divergence\.max_divergent$/,
    example: 'divergence.max_divergent',
    unit: 'count',
    probe: 'divergence',
  },
  {
    pattern: /^conflicts\.(never_converged|siblings|winner|lost_updates)$/,
    example: 'conflicts.never_converged',
    unit: 'count',
    probe: 'conflict',
  },
];

export function findMetric(
  name: string,
): { definition: MetricDefinition; match: RegExpExecArray } | undefined {
  for (const definition of METRICS) {
    const match = definition.pattern.exec(name);
    if (match) return { definition, match };
  }
  return undefined;
}
