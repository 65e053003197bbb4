import { compareHlc, formatHlc } from './hlc.js';
import { dotKey, type KvConflicts, type WriteEntry } from './kv-types.js';

export type KvRead =
  | { kind: 'absent' }
  | { kind: 'value'; value: string; version: string }
  | { kind: 'siblings'; values: Array<{ value: string; version: string }> };

/**
 * One region's copy of the data: every write it applied (the log, kept whole so a peer can catch up from
 * any point and a fence can be undone by replaying), the version vector of what it has from each origin,
 * and the current value(s) per key. Writes from one origin are applied in sequence order; a write that
 * arrives ahead of a gap waits for it.
 */
export class KvState {
  private log: WriteEntry[] = [];
  private readonly vv = new Map<string, number>();
  private readonly pending = new Map<string, Map<number, WriteEntry>>();
  private readonly fences = new Map<string, number>();
  private data = new Map<string, WriteEntry[]>();
  private superseded = new Map<string, Set<string>>();

  constructor(private readonly conflicts: KvConflicts) {}

  versionVector(): Record<string, number> {
    return Object.fromEntries(this.vv);
  }

  has(origin: string): number {
    return this.vv.get(origin) ?? 0;
  }

  get size(): number {
    return this.log.length;
  }

  /** Applies `entry` and any pending ones it unblocks; returns what was applied, in order. */
  apply(entry: WriteEntry): WriteEntry[] {
    const fence = this.fences.get(entry.origin);
    if (fence !== undefined && entry.seq > fence) return [];
    const have = this.has(entry.origin);
    if (entry.seq <= have) return [];
    if (entry.seq > have + 1) {
      let waiting = this.pending.get(entry.origin);
      if (!waiting) this.pending.set(entry.origin, (waiting = new Map()));
      waiting.set(entry.seq, entry);
      return [];
    }
    const applied = [entry];
    this.commit(entry);
    const waiting = this.pending.get(entry.origin);
    for (let next = waiting?.get(entry.seq + 1); next; next = waiting?.get(next.seq + 1)) {
      waiting!.delete(next.seq);
      this.commit(next);
      applied.push(next);
    }
    return applied;
  }

  /** Entries a peer with version vector `theirs` lacks, in the order this region applied them. */
  missingFor(theirs: Record<string, number>): WriteEntry[] {
    return this.log.filter((e) => e.seq > (theirs[e.origin] ?? 0));
  }

  /**
   * Voids every write of `origin` after `afterSeq` (a failed-over primary's unreplicated tail), here and
   * in anything that arrives later. Returns the entries it removed.
   */
  fence(origin: string, afterSeq: number): WriteEntry[] {
    const previous = this.fences.get(origin);
    if (previous !== undefined && previous <= afterSeq) return [];
    this.fences.set(origin, afterSeq);
    this.pending.get(origin)?.clear();
    const removed = this.log.filter((e) => e.origin === origin && e.seq > afterSeq);
    if (removed.length === 0) return [];
    this.vv.set(origin, Math.min(this.has(origin), afterSeq));
    const kept = this.log.filter((e) => !(e.origin === origin && e.seq > afterSeq));
    this.log = [];
    this.data = new Map();
    this.superseded = new Map();
    for (const e of kept) this.commit(e, false);
    return removed;
  }

  read(key: string): KvRead {
    const current = this.data.get(key) ?? [];
    if (current.length === 0) return { kind: 'absent' };
    if (current.length === 1)
      return { kind: 'value', value: current[0]!.value, version: formatHlc(current[0]!.hlc) };
    return { kind: 'siblings', values: current.map((e) => ({ value: e.value, version: formatHlc(e.hlc) })) };
  }

  /** The dots a new local write of `key` supersedes: everything this region holds for it. */
  currentDots(key: string): string[] {
    return (this.data.get(key) ?? []).map(dotKey);
  }

  private commit(entry: WriteEntry, advance = true): void {
    this.log.push(entry);
    if (advance || entry.seq > this.has(entry.origin)) this.vv.set(entry.origin, entry.seq);
    const current = this.data.get(entry.key) ?? [];
    if (this.conflicts === 'lww') {
      const winner = current[0];
      if (!winner || compareHlc(entry.hlc, winner.hlc) > 0) this.data.set(entry.key, [entry]);
      return;
    }
    let gone = this.superseded.get(entry.key);
    if (!gone) this.superseded.set(entry.key, (gone = new Set()));
    for (const dot of entry.supersedes) gone.add(dot);
    const survivors = current.filter((e) => !gone.has(dotKey(e)));
    if (!gone.has(dotKey(entry))) survivors.push(entry);
    this.data.set(entry.key, survivors);
  }
}
