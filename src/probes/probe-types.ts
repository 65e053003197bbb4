import type { Store } from '../stores/store.js';
import type { Clock } from './clock.js';

/** Everything a probe engine needs; engines know nothing of flags, oclif, output or metrics. */
export interface ProbeContext {
  store: Store;
  clock: Clock;
  /** Aborted on Ctrl-C or when --duration is up: the engine stops starting work and summarises. */
  signal: AbortSignal;
  /** Each observation as it happens (for --out, metrics and live progress). */
  observe(observation: Observation): void;
  /** Distinguishes this run's keys from any other's. */
  runId: string;
  /** Counts an operation (for metrics) without recording it as an observation. */
  count?(region: string, operation: 'read' | 'write', outcome: 'ok' | 'fail' | 'indeterminate'): void;
  /** A gauge sample (for metrics and live progress) that is not worth a line in --out. */
  sample?(name: string, labels: Record<string, string>, value: number): void;
}

export interface Observation {
  probe: string;
  type: string;
  /** Epoch ms when it was observed. */
  at: number;
  [field: string]: unknown;
}

export type OutcomeCounts = { ok: number; fail: number; indeterminate: number };

export function emptyCounts(): OutcomeCounts {
  return { ok: 0, fail: 0, indeterminate: 0 };
}
