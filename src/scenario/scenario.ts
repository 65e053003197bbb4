import type { FaultRequest } from '../chaos/faults/fault.js';

/** A game day: which topology, which probes run for its whole length, a timeline, and expectations. */
export interface Scenario {
  name: string;
  description?: string | undefined;
  file: string;
  /** Absolute path of the topology file (from the scenario, relative to it, or --topology). */
  topology: string | undefined;
  probes: ProbeSpec[];
  timeline: Step[];
  expectations: Expectation[];
}

export const PROBE_KINDS = ['raw', 'lag', 'divergence', 'conflict', 'failover'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export interface ProbeSpec {
  name: string;
  kind: ProbeKind;
  /** Options as written (durations as text), checked at load time; see probe-options.ts. */
  options: Record<string, unknown>;
}

/** Fault arguments with region names as written; resolved against the topology at run time. */
export type FaultSpec =
  | { kind: 'partition'; a: string; b: string; oneway: boolean; mode: 'blackhole' | 'reset' | 'down' }
  | { kind: 'isolate'; region: string; mode: 'blackhole' | 'reset' | 'down' }
  | { kind: 'latency'; a: string; b: string; oneway: boolean; latencyMs: number; jitterMs: number }
  | { kind: 'bandwidth'; a: string; b: string; oneway: boolean; kbPerSecond: number };

export type Step =
  | { kind: 'phase'; name: string; label: string }
  | { kind: 'wait'; ms: number; label: string }
  | { kind: 'fault'; fault: FaultSpec; forMs: number | undefined; label: string }
  | { kind: 'heal'; between?: { a: string; b: string } | undefined; label: string }
  | { kind: 'run'; command: string; timeoutMs: number; label: string };

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Expectation {
  text: string;
  metric: string;
  operator: Operator;
  /** In ms for durations, else a plain number. */
  threshold: number;
  phase?: string | undefined;
}

export type ResolvedFault = FaultRequest;
