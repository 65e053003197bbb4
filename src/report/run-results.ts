/**
 * What `geoctl run` writes into its --out directory, and everything a report is built from (so any format
 * can be produced later from a recorded run):
 *
 *   run.json            RunRecord below
 *   observations.jsonl  every probe observation, one JSON object per line, in the order observed; each has
 *                       `probe` (its name in the scenario), `kind` (raw, lag, divergence, conflict,
 *                       failover), `type`, `at` (epoch ms) and the probe's own fields (see src/probes/*).
 *
 * Observation types by probe kind (fields beyond probe/kind/type/at):
 *   raw        write {writer, key, outcome, latencyMs}; visible {writer, reader, key, lagMs, lagFromStartMs,
 *              resolutionMs, staleReads}; never-seen {writer, reader, key, timeoutMs}; ryw-violation {writer, key}
 *   lag        heartbeat {writer, reader, seq, delayMs, resolutionMs}; heartbeat-write {writer, outcome, error}
 *   divergence divergence {divergent, faults}; converged {faultEndedAt, convergedAfterMs, resolutionMs, peakDivergent}
 *   conflict   conflict {key, resolution: winner|siblings|unconverged|no-conflict, winner?, lostUpdates[], convergedAfterMs?}
 *   failover   write {seq, region, outcome, latencyMs}; lost {seq, region, landedIn, sentAt, ackedAt}
 */
export const RUN_RECORD_VERSION = 1;

export interface RunRecord {
  version: typeof RUN_RECORD_VERSION;
  scenario: { name: string; file: string; description?: string | undefined };
  topology: string;
  toxiproxy: string;
  startedAt: number;
  endedAt: number;
  /** Named stretches of the timeline (`phase:` steps); the last one ends when the run ends. */
  phases: Array<{ name: string; start: number; end: number }>;
  /** Every fault the run injected, with when it was healed (and how). */
  faults: Array<{
    id: string;
    summary: string;
    kind: string;
    injectedAt: number;
    healedAt?: number | undefined;
    healedBy?: string | undefined;
    proxies: string[];
  }>;
  /** The timeline as it happened. */
  steps: Array<{
    at: number;
    endedAt: number;
    kind: string;
    label: string;
    outcome: 'ok' | 'failed' | 'skipped';
    detail?: string | undefined;
  }>;
  /** Each probe's final summary (the engines' summary documents), by the probe's name in the scenario. */
  probes: Record<
    string,
    { kind: string; options: Record<string, unknown>; summary?: unknown; error?: string | undefined }
  >;
  expectations: ExpectationResult[];
  /** How the run ended. */
  outcome: {
    status: 'passed' | 'failed' | 'indeterminate' | 'error' | 'interrupted';
    exitCode: number;
    message: string;
    /** Faults still active when the run ended, and whether they were healed before exiting. */
    healedOnExit: string[];
    leftBehind: string[];
  };
}

export interface ExpectationResult {
  /** As written in the scenario, e.g. `raw.eu-west.p99 < 800ms during baseline`. */
  text: string;
  metric: string;
  operator: '<' | '<=' | '>' | '>=' | '==' | '!=';
  /** Threshold in the metric's unit (ms for durations, a plain number otherwise). */
  threshold: number;
  unit: 'ms' | 'count' | 'ratio';
  phase?: string | undefined;
  /** What was measured (undefined when there was nothing to measure). */
  measured?: number | undefined;
  /** Resolution of the measured value, same unit, where it has one. */
  resolution?: number | undefined;
  status: 'pass' | 'fail' | 'indeterminate';
  /** One sentence: why it passed, failed or could not be decided. */
  message: string;
}
