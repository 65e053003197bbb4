import { GeoctlError } from '../../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;

/**
 * `120ms`, `1.5s`, `2m`, `1h30m` → milliseconds (Go's time.ParseDuration units that make sense here).
 * A bare number is refused: "30" could mean seconds or milliseconds, and guessing wrong is a bad fault.
 */
export function parseDuration(text: string, what: string, options: { allowZero?: boolean } = {}): number {
  const input = text.trim();
  let total = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let match = PART.exec(input); match; match = PART.exec(input)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = PART.lastIndex;
  }
  if (input === '' || consumed !== input.length) {
    throw new GeoctlError('E_INVALID_VALUE', `${what}: "${text}" is not a duration`, {
      hint: 'Expected a number with a unit: ms, s, m or h, e.g. 120ms, 30s, 1m30s.',
      details: { value: text },
    });
  }
  if (total === 0 && !options.allowZero) {
    throw new GeoctlError('E_INVALID_VALUE', `${what}: "${text}" must be greater than zero`, {
      hint: 'Expected a positive duration such as 30s.',
      details: { value: text },
    });
  }
  return Math.round(total * 1000) / 1000;
}

/** 1500 → "1.5s", 90000 → "1m30s", 120 → "120ms": the shortest exact form for output. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1))}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return (
    [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', seconds ? `${seconds}s` : ''].join('') || '0s'
  );
}
