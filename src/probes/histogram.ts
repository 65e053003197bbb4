/**
 * A log-linear histogram in the manner of HdrHistogram: values below 2^7 units are exact, above that
 * every power of two is split into 64 linear steps, so any recorded value is off by less than 1/64 (1.6%)
 * and memory is fixed (about 2,000 buckets up to an hour in microseconds) however long a probe runs.
 * Units are microseconds; the API takes and returns milliseconds.
 */
const SUB_BUCKET_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 128
const HALF = SUB_BUCKETS >> 1; // 64
const MAX_MICROS = 2 ** 42; // ~50 days

export class Histogram {
  private counts: Float64Array;
  private total = 0;
  private minUs = Infinity;
  private maxUs = -Infinity;
  private sumUs = 0;

  constructor() {
    this.counts = new Float64Array(bucketIndex(MAX_MICROS) + 1);
  }

  record(valueMs: number): void {
    const us = Math.min(MAX_MICROS, Math.max(0, Math.round(valueMs * 1000)));
    this.counts[bucketIndex(us)]! += 1;
    this.total += 1;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  get count(): number {
    return this.total;
  }

  /** The value at quantile q (0..1), as the middle of its bucket, clamped to the recorded range. */
  quantile(q: number): number | undefined {
    if (this.total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const [low, high] = bucketRange(i);
        return Math.min(this.maxUs, Math.max(this.minUs, (low + high) / 2)) / 1000;
      }
    }
    return this.maxUs / 1000;
  }

  get min(): number | undefined {
    return this.total === 0 ? undefined : this.minUs / 1000;
  }

  get max(): number | undefined {
    return this.total === 0 ? undefined : this.maxUs / 1000;
  }

  get mean(): number | undefined {
    return this.total === 0 ? undefined : this.sumUs / this.total / 1000;
  }

  summary(): HistogramSummary {
    return {
      count: this.total,
      min: round(this.min),
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p99: round(this.quantile(0.99)),
      max: round(this.max),
      mean: round(this.mean),
    };
  }

  /** Cumulative counts at the given upper bounds (ms), for Prometheus-style buckets. */
  cumulative(boundsMs: readonly number[]): number[] {
    return boundsMs.map((bound) => {
      const limit = Math.round(bound * 1000);
      let n = 0;
      for (let i = 0; i < this.counts.length; i++) {
        const [low] = bucketRange(i);
        if (low > limit) break;
        n += this.counts[i]!;
      }
      return n;
    });
  }
}

export interface HistogramSummary {
  count: number;
  min: number | undefined;
  p50: number | undefined;
  p90: number | undefined;
  p99: number | undefined;
  max: number | undefined;
  mean: number | undefined;
}

function bucketIndex(us: number): number {
  if (us < SUB_BUCKETS) return us;
  const exponent = Math.floor(Math.log2(us)) - SUB_BUCKET_BITS + 1; // us >> exponent is in [64, 128)
  return SUB_BUCKETS + (exponent - 1) * HALF + (Math.floor(us / 2 ** exponent) - HALF);
}

function bucketRange(index: number): [number, number] {
  if (index < SUB_BUCKETS) return [index, index];
  const exponent = Math.floor((index - SUB_BUCKETS) / HALF) + 1;
  const sub = ((index - SUB_BUCKETS) % HALF) + HALF;
  const low = sub * 2 ** exponent;
  return [low, low + 2 ** exponent - 1];
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 1000) / 1000;
}
