/**
 * Faults are data (as in Jepsen's nemesis): a request says what the user asked for, a plan says exactly
 * which toxics go on which proxy stream and which proxies are disabled. Plans are built by pure functions
 * (plan-fault.ts) and applied by one service (services/inject-fault.ts).
 */
export type Stream = 'upstream' | 'downstream';
export type PartitionMode = 'blackhole' | 'reset' | 'down';
export const PARTITION_MODES: readonly PartitionMode[] = ['blackhole', 'reset', 'down'];
export type FaultKind = 'partition' | 'isolate' | 'latency' | 'bandwidth';
export const FAULT_KINDS: readonly FaultKind[] = ['partition', 'isolate', 'latency', 'bandwidth'];

export type FaultRequest =
  | { kind: 'partition'; a: string[]; b: string[]; oneway: boolean; mode: PartitionMode }
  | { kind: 'isolate'; region: string; mode: PartitionMode }
  | { kind: 'latency'; a: string[]; b: string[]; oneway: boolean; latencyMs: number; jitterMs: number }
  | { kind: 'bandwidth'; a: string[]; b: string[]; oneway: boolean; kbPerSecond: number };

/** One proxy a fault touches, and in which directions. */
export interface FaultTarget {
  proxy: string;
  /** `eu-west → us-east` for a link (from dials to), `clients → eu-west` for a client endpoint. */
  label: string;
  purpose: 'link' | 'client';
  listen: string;
  streams: Stream[];
}

export interface PlannedToxic {
  proxy: string;
  name: string;
  type: string;
  stream: Stream;
  attributes: Record<string, number>;
}

export interface FaultPlan {
  id: string;
  kind: FaultKind;
  /** One line for people: `partition us-east ↔ eu-west (blackhole)`. */
  summary: string;
  request: FaultRequest;
  createdAt: number;
  expiresAt: number | undefined;
  targets: FaultTarget[];
  toxics: PlannedToxic[];
  /** Proxies to disable (mode down); each also carries a noop marker toxic so the fault is recoverable. */
  disable: string[];
}
