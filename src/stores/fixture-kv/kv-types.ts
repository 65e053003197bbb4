import type { Hlc } from './hlc.js';

export type KvMode = 'active-active' | 'primary';
export type KvAck = 'async' | 'sync';
export type KvConflicts = 'lww' | 'siblings';

export interface KvOptions {
  mode: KvMode;
  ack: KvAck;
  /** Active-active only: last-writer-wins on the HLC, or keep concurrent values as siblings. */
  conflicts: KvConflicts;
  /** Primary mode: the region that starts as primary (default: the topology's first region). */
  primary?: string | undefined;
  /** Replication sends what accumulated every this many ms (0: at once). */
  batchMs: number;
  heartbeatMs: number;
  /** A peer connection with no frame for this long is dropped and re-dialled. */
  peerTimeoutMs: number;
  /** Primary mode: replicas elect a new primary after not hearing the primary for this long. */
  failoverAfterMs: number;
  /** Sync acks: how long a write waits for a quorum before answering "indeterminate" (504). */
  syncTimeoutMs: number;
  /** Serve GET /_fixture/truth (ground truth for tests; never used by probes). */
  exposeTruth: boolean;
}

export const DEFAULT_KV_OPTIONS: KvOptions = {
  mode: 'active-active',
  ack: 'async',
  conflicts: 'lww',
  batchMs: 5,
  heartbeatMs: 100,
  peerTimeoutMs: 10_000,
  failoverAfterMs: 3_000,
  syncTimeoutMs: 5_000,
  exposeTruth: false,
};

/** A write's identity: the region that took it and its sequence number there. */
export interface Dot {
  origin: string;
  seq: number;
}

export function dotKey(dot: Dot): string {
  return `${dot.origin}:${dot.seq}`;
}

export interface WriteEntry extends Dot {
  key: string;
  value: string;
  hlc: Hlc;
  /** Primary mode: the term the primary wrote it in. */
  term: number;
  /** Siblings: the writes this one supersedes (what its region held for the key). */
  supersedes: string[];
}

/** Replication frames, one JSON object per line over the upgraded link connection. */
export type Frame =
  | { t: 'hello'; region: string; vv: Record<string, number>; term: number; primary: string | undefined }
  | { t: 'w'; e: WriteEntry }
  | { t: 'applied'; dot: string; origin: string; region: string }
  | {
      t: 'hb';
      region: string;
      at: number;
      term: number;
      primary: string | undefined;
      vv: Record<string, number>;
      /** A new primary's fence: the old primary's writes after this seq are void. */
      fence?: { region: string; seq: number; term: number } | undefined;
    };
