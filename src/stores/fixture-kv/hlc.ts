/**
 * A hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a counter, so timestamps follow
 * causality (a write is always later than anything its region had seen) while staying close to real time.
 * Ties between regions break on the region name, giving last-writer-wins one total order.
 */
export interface Hlc {
  wall: number;
  logical: number;
  region: string;
}

export class HybridClock {
  private wall = 0;
  private logical = 0;

  constructor(
    private readonly region: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A timestamp for a local event. */
  tick(): Hlc {
    const physical = this.now();
    if (physical > this.wall) {
      this.wall = physical;
      this.logical = 0;
    } else {
      this.logical += 1;
    }
    return { wall: this.wall, logical: this.logical, region: this.region };
  }

  /** Merges a timestamp received from another region. */
  observe(remote: Hlc): void {
    const physical = this.now();
    const wall = Math.max(this.wall, remote.wall, physical);
    if (wall === this.wall && wall === remote.wall) this.logical = Math.max(this.logical, remote.logical) + 1;
    else if (wall === this.wall) this.logical += 1;
    else if (wall === remote.wall) this.logical = remote.logical + 1;
    else this.logical = 0;
    this.wall = wall;
  }
}

export function compareHlc(a: Hlc, b: Hlc): number {
  return a.wall - b.wall || a.logical - b.logical || (a.region < b.region ? -1 : a.region > b.region ? 1 : 0);
}

export function formatHlc(h: Hlc): string {
  return `${h.wall}.${h.logical}@${h.region}`;
}
