/**
 * How figures read in every report format: milliseconds with sensible precision, shares as percentages,
 * times as offsets from the run's start, and long lists of sequence numbers as ranges.
 */

/** 0.42 → "0.42", 12.3 → "12.3", 812 → "812"; undefined → "-". */
export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

/** A duration for people: "812 ms", "2.31 s", "3 min 05 s". */
export function duration(valueMs: number | undefined): string {
  if (valueMs === undefined || !Number.isFinite(valueMs)) return '-';
  if (Math.abs(valueMs) < 1000) return `${ms(valueMs)} ms`;
  if (Math.abs(valueMs) < 120_000) return `${(valueMs / 1000).toFixed(2)} s`;
  const s = Math.round(valueMs / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** 0.125 → "12.5%". */
export function pct(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${(value * 100).toFixed(1)}%`;
}

/** An instant as an offset from the run's start: "+12.3s". */
export function offset(at: number | undefined, start: number): string {
  return at === undefined ? '-' : `+${((at - start) / 1000).toFixed(1)}s`;
}

/** A count, or "-" when unknown. */
export function count(value: number | undefined): string {
  return value === undefined ? '-' : String(value);
}

/** A measured value in its unit: ms as a duration, counts as numbers, ratios as percentages. */
export function measure(value: number | undefined, unit: 'ms' | 'count' | 'ratio'): string {
  if (value === undefined) return '-';
  if (unit === 'ms') return duration(value);
  if (unit === 'ratio') return pct(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** 1,2,3,7,8 → "1–3, 7–8"; past `max` ranges: "…, and N more". Expects ascending numbers. */
export function seqRanges(seqs: readonly number[], max = 8): string {
  const ranges: string[] = [];
  for (let i = 0; i < seqs.length;) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    ranges.push(i === j ? String(seqs[i]) : `${seqs[i]}–${seqs[j]}`);
    i = j + 1;
  }
  return ranges.length > max ? `${ranges.slice(0, max).join(', ')}, …` : ranges.join(', ');
}
