import { expect } from 'vitest';

/**
 * Ground truth for "a replica cut off falls behind, and catches up after the heal": replication positions
 * read from the servers themselves (PostgreSQL LSNs, Redis offsets), sampled while a game day runs. Each
 * sample saw the servers somewhere between `start` and `at`.
 */
export interface PositionSample {
  start: number;
  at: number;
  /** Where the primary's stream is. */
  primary: bigint;
  /** How far the cut-off replica, and an untouched one, have processed it. */
  cut: bigint;
  other: bigint;
}

export interface CatchUp {
  /** The cut-off replica's position during the partition, and the primary's when the heal began. */
  frozen: bigint;
  behindAtHeal: bigint;
  /** The last sample that still saw the replica frozen after the heal, the first that saw it move again,
   * and the first that saw it at the primary's position of the heal. */
  lastFrozen: PositionSample;
  resumed: PositionSample;
  caughtUp: PositionSample;
}

/** Checks that the replica stood still through the partition (from 0.5 s in) while the primary and the
 * untouched replica moved on, and that it resumed and caught up after the heal began. */
export function fellBehindAndCaughtUp(
  samples: PositionSample[],
  injectedAt: number,
  healStart: number,
): CatchUp {
  const cut = samples.filter((s) => s.at > injectedAt + 500 && s.at < healStart);
  expect(cut.length).toBeGreaterThan(40);
  expect(cut.at(-1)!.cut).toBe(cut[0]!.cut);
  expect(cut.at(-1)!.primary > cut[0]!.primary).toBe(true);
  expect(cut.at(-1)!.other >= cut[0]!.primary).toBe(true);
  const frozen = cut.at(-1)!.cut;
  const behindAtHeal = samples.filter((s) => s.at <= healStart).at(-1)!.primary;
  const resumedIndex = samples.findIndex((s) => s.at > healStart && s.cut > frozen);
  expect(resumedIndex, 'the replica never moved again').toBeGreaterThan(0);
  const caughtUp = samples.find((s) => s.at > healStart && s.cut >= behindAtHeal);
  expect(caughtUp, 'the replica never caught up').toBeDefined();
  return {
    frozen,
    behindAtHeal,
    lastFrozen: samples[resumedIndex - 1]!,
    resumed: samples[resumedIndex]!,
    caughtUp: caughtUp!,
  };
}

/**
 * From a raw probe's observations: when the writes acknowledged between `from` and `to` became visible in
 * `reader` (ack + lag), the earliest and the latest, and the widest resolution among them.
 */
export function visibilityOfWritesBetween(
  observations: Array<Record<string, unknown>>,
  reader: string,
  from: number,
  to: number,
): { count: number; first: number; last: number; resolution: number } {
  const ackedAt = new Map<string, number>();
  for (const o of observations)
    if (o.probe === 'raw' && o.type === 'write' && o.outcome === 'ok')
      ackedAt.set(o.key as string, o.at as number);
  const visible = observations
    .filter((o) => o.probe === 'raw' && o.type === 'visible' && o.reader === reader)
    .map((o) => ({
      acked: ackedAt.get(o.key as string)!,
      lagMs: o.lagMs as number,
      resolution: o.resolutionMs as number,
    }))
    .filter((v) => v.acked > from && v.acked < to);
  return {
    count: visible.length,
    first: Math.min(...visible.map((v) => v.acked + v.lagMs)),
    last: Math.max(...visible.map((v) => v.acked + v.lagMs)),
    resolution: Math.max(...visible.map((v) => v.resolution)),
  };
}

/** geoctl's view agrees with the servers': the writes became visible after the last sample that still saw
 * the replica frozen began, and by the first that saw it caught up, within the probe's resolution. */
export function expectVisibleWhenCaughtUp(
  seen: { first: number; last: number; resolution: number },
  catchUp: CatchUp,
  healStart: number,
): void {
  expect(seen.first).toBeGreaterThanOrEqual(healStart);
  expect(seen.first).toBeGreaterThanOrEqual(catchUp.lastFrozen.start - seen.resolution);
  expect(seen.last).toBeLessThanOrEqual(catchUp.caughtUp.at + seen.resolution);
}

/** Samples `read` every `everyMs` (after the previous read returned) until stop() resolves. */
export function samplePositions(
  read: () => Promise<Pick<PositionSample, 'primary' | 'cut' | 'other'>>,
  everyMs = 50,
): { samples: PositionSample[]; stop(): Promise<void> } {
  const samples: PositionSample[] = [];
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const start = Date.now();
      const positions = await read();
      samples.push({ start, at: Date.now(), ...positions });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    samples,
    async stop() {
      sampling = false;
      await loop;
    },
  };
}

/** When the run's partition began, and when its heal step began (the bound for "after the heal"). */
export function partitionWindow(record: {
  faults: Array<{ kind: string; injectedAt: number; healedAt?: number | undefined }>;
  steps: Array<{ kind: string; at: number }>;
}): { injectedAt: number; healStart: number; healedAt: number } {
  const fault = record.faults.find((f) => f.kind === 'partition')!;
  // The heal step starts removing toxics at `at`; the fault's healedAt is when the last was gone (the
  // link's own toxic may go first), so the step's start is the lower bound for anything after the heal.
  const healStart = record.steps.find((s) => s.kind === 'heal')!.at;
  expect(fault.healedAt!).toBeGreaterThanOrEqual(healStart);
  return { injectedAt: fault.injectedAt, healStart, healedAt: fault.healedAt! };
}

/**
 * The whole check for a partition game day with a replica cut off: it fell behind and caught up per the
 * servers' own positions, and the writes acknowledged during the partition (from 0.5 s in) became visible
 * in `reader`, per geoctl, exactly when the servers say it caught up.
 */
export function partitionCatchUp(
  samples: PositionSample[],
  record: Parameters<typeof partitionWindow>[0],
  observations: Array<Record<string, unknown>>,
  reader: string,
): {
  window: ReturnType<typeof partitionWindow>;
  catchUp: CatchUp;
  seen: ReturnType<typeof visibilityOfWritesBetween>;
} {
  const window = partitionWindow(record);
  const catchUp = fellBehindAndCaughtUp(samples, window.injectedAt, window.healStart);
  const seen = visibilityOfWritesBetween(observations, reader, window.injectedAt + 500, window.healStart);
  expect(seen.count).toBeGreaterThan(30);
  expectVisibleWhenCaughtUp(seen, catchUp, window.healStart);
  return { window, catchUp, seen };
}
