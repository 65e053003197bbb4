import { describe, expect, it } from 'vitest';
import { percentile, percentileInterval } from '../../bench/lib.mjs';

// The benchmark's p99 figures are reported with this interval (docs/benchmarks.md), so it is checked against
// what it claims: the textbook ranks, and coverage of a known percentile over many samples.

const ranks = (n: number) => Float64Array.from({ length: n }, (_, i) => i + 1);

/** Small deterministic generator (mulberry32), so the coverage check is the same on every run. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('percentileInterval', () => {
  it('gives the textbook order statistics for a median (n = 100: the 40th and 61st values)', () => {
    expect(percentileInterval(ranks(100), 50)).toEqual({ confidence: 0.95, lower: 40, upper: 61 });
  });

  it('brackets a p99 with the values around rank 990 of 1,000 and has no upper bound when n is too small', () => {
    const wide = percentileInterval(ranks(1000), 99);
    expect(wide.lower).toBe(983);
    expect(wide.upper).toBe(997);
    expect(percentile(ranks(1000), 99)).toBeGreaterThanOrEqual(wide.lower);
    expect(percentile(ranks(1000), 99)).toBeLessThanOrEqual(wide.upper);
    expect(Number.isNaN(percentileInterval(ranks(300), 99).upper)).toBe(true);
  });

  it('covers the true p99 of a known distribution in at least 95 % of samples, and not in nearly all', () => {
    const next = uniform(42);
    const trials = 2000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const sample = Float64Array.from({ length: 500 }, next).sort();
      const { lower, upper } = percentileInterval(sample, 99);
      if (lower <= 0.99 && 0.99 <= upper) covered++;
    }
    // Discrete ranks make it conservative (about 98.6 % at n = 500); a bound that were always wide would not be.
    expect(covered / trials).toBeGreaterThanOrEqual(0.95);
    expect(covered / trials).toBeLessThan(0.999);
  });
});
