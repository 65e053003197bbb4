import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/probes/histogram.js';

describe('Histogram', () => {
  it('is exact below 128 µs and within 1/64 above, at every quantile of a known distribution', () => {
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 1; i <= 10_000; i++) values.push(i * 0.037); // 0.037 .. 370 ms
    for (const v of values) h.record(v);
    values.sort((a, b) => a - b);
    for (const q of [0.01, 0.5, 0.9, 0.99, 0.999]) {
      const truth = values[Math.ceil(q * values.length) - 1]!;
      expect(Math.abs(h.quantile(q)! - truth)).toBeLessThanOrEqual(truth / 64 + 0.001);
    }
    expect(h.count).toBe(10_000);
    expect(h.min).toBeCloseTo(0.037, 3);
    expect(h.max).toBeCloseTo(370, 3);
    expect(h.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 2);
  });

  it('keeps its size fixed however many values it records', () => {
    const h = new Histogram();
    const before = (h as unknown as { counts: Float64Array }).counts.length;
    for (let i = 0; i < 100_000; i++) h.record(Math.random() * 3_600_000);
    expect((h as unknown as { counts: Float64Array }).counts.length).toBe(before);
    expect(before).toBeLessThan(4_000);
  });

  it('gives cumulative counts at bucket bounds and nothing for an empty histogram', () => {
    const h = new Histogram();
    expect(h.quantile(0.5)).toBeUndefined();
    for (const v of [1, 2, 3, 10, 100, 1000]) h.record(v);
    expect(h.cumulative([0.5, 2, 10, 5000])).toEqual([0, 2, 4, 6]);
  });
});
