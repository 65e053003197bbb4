import { parseDuration } from '../chaos/faults/duration.js';
import { findMetric, METRICS } from './expectation-metrics.js';
import type { Expectation, Operator } from './scenario.js';

const GRAMMAR =
  /^\s*([a-z0-9_.-]+)\s*(<=|>=|==|!=|<|>)\s*([0-9.]+(?:ms|s|m|h|%)?)\s*(?:(during)\s+([a-z0-9_-]+)|after\s+heal)?\s*$/;

/**
 * `raw.eu-west.p99 < 800ms during baseline`, `failover.seconds < 30`, `rpo.lost_writes == 0`,
 * `divergence.converged_within < 10s after heal`. Returns the expectation or a message saying what is wrong.
 */
export function parseExpectation(text: string): Expectation | string {
  const m = GRAMMAR.exec(text);
  if (!m) {
    return `expected "<metric> <op> <value> [during <phase>]", e.g. "raw.eu-west.p99 < 800ms during baseline", got ${JSON.stringify(text)}`;
  }
  const [, metric, operator, value, , phase] = m as unknown as [
    string,
    string,
    Operator,
    string,
    string | undefined,
    string | undefined,
  ];
  const found = findMetric(metric);
  if (!found) {
    return `unknown metric "${metric}"; expected one of ${METRICS.map((d) => d.example).join(', ')} (with your region names)`;
  }
  const { definition } = found;
  let threshold: number;
  if (definition.unit === 'ms') {
    if (/^[0-9.]+$/.test(value)) threshold = Number(value) * (definition.plainNumberIsSeconds ? 1000 : 1);
    else {
      try {
        threshold = parseDuration(value, metric, { allowZero: true });
      } catch {
        return `${metric} is a duration: expected e.g. 800ms or 10s, got ${JSON.stringify(value)}`;
      }
    }
  } else if (definition.unit === 'ratio') {
    threshold = value.endsWith('%') ? Number(value.slice(0, -1)) / 100 : Number(value);
  } else {
    if (!/^\d+$/.test(value))
      return `${metric} is a count: expected a whole number, got ${JSON.stringify(value)}`;
    threshold = Number(value);
  }
  if (!Number.isFinite(threshold)) return `${JSON.stringify(value)} is not a number`;
  return { text: text.trim(), metric, operator, threshold, ...(phase ? { phase } : {}) };
}
