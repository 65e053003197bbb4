import { EventEmitter } from 'node:events';
import { dotKey, type Dot } from './kv-types.js';

/**
 * What really happened, recorded by the fixture's nodes as it happens (all regions share one clock, as
 * they run in one process). Tests compare what the probes measured with this; probes never read it.
 */
export interface TruthWrite {
  id: string;
  key: string;
  value: string;
  origin: string;
  /** When the node accepted the request (ms, Date.now()). */
  startedAt: number;
  /** When the client was told "ok"; undefined if it never was. */
  ackedAt?: number | undefined;
  /** Per region: when the write was applied there. */
  applied: Record<string, number>;
  /** Per region: when a fence discarded it there. */
  discarded: Record<string, number>;
}

export interface TruthFailover {
  at: number;
  from: string | undefined;
  to: string;
  term: number;
  /** The old primary's last write the new primary had (its writes after this are void). */
  fencedAfterSeq: number;
}

export interface GroundTruth {
  writes: TruthWrite[];
  failovers: TruthFailover[];
  /** Acknowledged writes a failover discarded: lost from every region that had applied them. */
  lostAcked: TruthWrite[];
}

export class TruthRecorder extends EventEmitter {
  private readonly writes = new Map<string, TruthWrite>();
  private readonly failovers: TruthFailover[] = [];

  constructor(private readonly now: () => number = Date.now) {
    super();
    this.setMaxListeners(0);
  }

  /** Resolves once `predicate` holds for the truth (checked now and after every recorded event). */
  until(predicate: (truth: GroundTruth) => boolean, timeoutMs = 10_000): Promise<GroundTruth> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const snapshot = this.snapshot();
        if (!predicate(snapshot)) return;
        cleanup();
        resolve(snapshot);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`ground truth did not reach the expected state within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('change', check);
      };
      this.on('change', check);
      check();
    });
  }

  started(dot: Dot, key: string, value: string): void {
    const id = dotKey(dot);
    this.writes.set(id, {
      id,
      key,
      value,
      origin: dot.origin,
      startedAt: this.now(),
      applied: {},
      discarded: {},
    });
  }

  acked(id: string): void {
    const write = this.writes.get(id);
    if (write && write.ackedAt === undefined) write.ackedAt = this.now();
    this.emit('change');
  }

  applied(id: string, region: string): void {
    const write = this.writes.get(id);
    if (write && write.applied[region] === undefined) write.applied[region] = this.now();
    this.emit('change');
  }

  discarded(id: string, region: string): void {
    const write = this.writes.get(id);
    if (write && write.discarded[region] === undefined) write.discarded[region] = this.now();
    this.emit('change');
  }

  failover(event: Omit<TruthFailover, 'at'>): void {
    this.failovers.push({ at: this.now(), ...event });
    this.emit('change');
  }

  snapshot(): GroundTruth {
    const writes = [...this.writes.values()].map((w) => ({
      ...w,
      applied: { ...w.applied },
      discarded: { ...w.discarded },
    }));
    return {
      writes,
      failovers: this.failovers.map((f) => ({ ...f })),
      lostAcked: writes.filter(
        (w) =>
          w.ackedAt !== undefined &&
          Object.keys(w.discarded).length > 0 &&
          Object.keys(w.applied).every((region) => w.discarded[region] !== undefined),
      ),
    };
  }
}
