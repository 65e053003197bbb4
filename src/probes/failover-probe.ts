import type { ProbeContext } from './probe-types.js';

export interface FailoverOptions {
  /** Where writes go, in order of preference: the first is the write endpoint; on failure the next is tried. */
  writers: string[];
  /** Pause between writes (each write starts after the previous one ended, so the stream never piles up). */
  intervalMs: number;
  operationTimeoutMs: number;
  /** After the run, wait this long for replication to settle before reading back what was acknowledged. */
  settleMs: number;
}

interface Ack {
  seq: number;
  /** The region the write was sent to. */
  region: string;
  /** Where it landed, when the store routes writes itself (Redis via Sentinel): a region or host:port. */
  landedIn: string;
  /** When the client sent it and when it got the ack (epoch ms). */
  sentAt: number;
  ackedAt: number;
}

export interface FailoverSummary {
  probe: 'failover';
  writes: { ok: number; fail: number; indeterminate: number };
  /** The longest stretch without an acknowledged write across which the writes moved to another node (else the longest of all). */
  failover:
    | {
        seconds: number;
        lastBefore: Ack;
        firstAfter: Ack;
        /** The gap is known to ±(write interval + the write's round trip). */
        resolutionMs: number;
        switchedRegion: boolean;
      }
    | undefined;
  rpo: {
    /** Acknowledged writes missing afterwards. */
    lostWrites: number;
    lost: Ack[];
    /** From the first to the last lost write's ack, ms (0 for one, undefined for none). */
    spanMs: number | undefined;
    /** Writes whose outcome was unknown, and how many of them turned out to be applied. */
    indeterminate: number;
    indeterminateApplied: number;
    /** Where the read-back was done. */
    checkedIn: string | undefined;
    /** Reads during the read-back that failed (their writes are counted neither lost nor kept). */
    unreadable: number;
  };
  elapsedMs: number;
}

/**
 * Failover time and RPO. A stream of sequence-numbered writes goes to the write endpoint; when it refuses
 * (a fail outcome, e.g. "not the primary" or READONLY) or does not answer, the next candidate region is
 * tried, so the stream finds the new primary. Afterwards every acknowledged write is read back where the
 * stream last succeeded: those missing were lost (the RPO). Indeterminate writes are reported apart.
 */
export async function runFailoverProbe(
  ctx: ProbeContext,
  options: FailoverOptions,
): Promise<FailoverSummary> {
  const start = ctx.clock.now();
  const acks: Ack[] = [];
  const indeterminate: Array<{ seq: number; region: string }> = [];
  const counts = { ok: 0, fail: 0, indeterminate: 0 };
  let writerIndex = 0;
  let latencyMax = 0;
  const keyOf = (seq: number): string => `geoctl/failover/${ctx.runId}/${seq}`;

  for (let seq = 1; !ctx.signal.aborted; seq++) {
    const region = options.writers[writerIndex % options.writers.length]!;
    const sentAt = ctx.clock.now();
    const outcome = await ctx.store.write(region, keyOf(seq), String(seq), {
      timeoutMs: options.operationTimeoutMs,
    });
    const ackedAt = ctx.clock.now();
    counts[outcome.status] += 1;
    if (outcome.status === 'ok') {
      acks.push({ seq, region, landedIn: outcome.value.via ?? region, sentAt, ackedAt });
      latencyMax = Math.max(latencyMax, ackedAt - sentAt);
    } else {
      if (outcome.status === 'indeterminate') indeterminate.push({ seq, region });
      writerIndex += 1;
    }
    ctx.observe({
      probe: 'failover',
      type: 'write',
      at: ackedAt,
      seq,
      region,
      outcome: outcome.status,
      latencyMs: ackedAt - sentAt,
      ...(outcome.status === 'ok' ? {} : { error: outcome.error }),
    });
    const wait = sentAt + options.intervalMs - ctx.clock.now();
    if (wait > 0) await ctx.clock.sleep(wait, ctx.signal);
  }

  // The failover is the longest gap across which the writes' landing place changed; with no change (the
  // same node came back, or a store that hides its routing), the longest gap of all.
  let failover: FailoverSummary['failover'];
  for (const requireSwitch of [true, false]) {
    for (let i = 1; i < acks.length; i++) {
      const switched = acks[i]!.landedIn !== acks[i - 1]!.landedIn;
      if (requireSwitch && !switched) continue;
      const gap = acks[i]!.ackedAt - acks[i - 1]!.ackedAt;
      if (!failover || gap > failover.seconds * 1000) {
        failover = {
          seconds: gap / 1000,
          lastBefore: acks[i - 1]!,
          firstAfter: acks[i]!,
          resolutionMs: options.intervalMs + latencyMax,
          switchedRegion: switched,
        };
      }
    }
    if (failover) break;
  }
  if (failover) failover.seconds = Math.round(failover.seconds * 1e6) / 1e6;

  // Read back on the primary as it is now (a store that routes writes knows it), else where the stream last
  // succeeded: that region took the writes after the failover.
  await ctx.clock.sleep(options.settleMs);
  const checkedIn = (await ctx.store.primaryRegion?.().catch(() => undefined)) ?? acks.at(-1)?.region;
  const lost: Ack[] = [];
  let unreadable = 0;
  let indeterminateApplied = 0;
  if (checkedIn !== undefined) {
    for (const ack of acks) {
      const read = await ctx.store.read(checkedIn, keyOf(ack.seq), { timeoutMs: options.operationTimeoutMs });
      if (read.status !== 'ok') unreadable += 1;
      else if (read.value.kind === 'absent') {
        lost.push(ack);
        ctx.observe({ probe: 'failover', type: 'lost', at: ctx.clock.now(), ...ack });
      }
    }
    for (const write of indeterminate) {
      const read = await ctx.store.read(checkedIn, keyOf(write.seq), {
        timeoutMs: options.operationTimeoutMs,
      });
      if (read.status === 'ok' && read.value.kind !== 'absent') indeterminateApplied += 1;
    }
  }
  return {
    probe: 'failover',
    writes: counts,
    failover,
    rpo: {
      lostWrites: lost.length,
      lost,
      spanMs: lost.length === 0 ? undefined : lost.at(-1)!.ackedAt - lost[0]!.ackedAt,
      indeterminate: indeterminate.length,
      indeterminateApplied,
      checkedIn,
      unreadable,
    },
    elapsedMs: ctx.clock.now() - start,
  };
}
