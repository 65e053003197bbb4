// Types for the part of bench/lib.mjs that the unit tests import.
export function percentile(sorted: ArrayLike<number>, p: number): number;
export function percentileInterval(
  sorted: ArrayLike<number>,
  p: number,
  confidence?: number,
): { confidence: number; lower: number; upper: number };
