import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/chaos/faults/duration.js';
import { parseRate } from '../../../src/chaos/faults/rate.js';
import { GeoctlError } from '../../../src/errors.js';

describe('parseDuration', () => {
  it.each([
    ['120ms', 120],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text, '--for')).toBe(ms);
  });

  it.each(['30', '10parsecs', '', 's', '1s2', '-1s', '1.s'])(
    'refuses %j, naming the flag and the value',
    (text) => {
      expect(() => parseDuration(text, '--for')).toThrowError(GeoctlError);
      try {
        parseDuration(text, '--for');
      } catch (error) {
        expect((error as GeoctlError).code).toBe('E_INVALID_VALUE');
        expect((error as GeoctlError).message).toContain('--for');
        expect((error as GeoctlError).message).toContain(`"${text}"`);
        expect((error as GeoctlError).exitCode).toBe(2);
      }
    },
  );

  it('refuses zero unless allowed', () => {
    expect(() => parseDuration('0s', '--for')).toThrow(/greater than zero/);
    expect(parseDuration('0ms', '--jitter', { allowZero: true })).toBe(0);
  });

  it('formats durations in their shortest exact form', () => {
    expect(formatDuration(120)).toBe('120ms');
    expect(formatDuration(1_500)).toBe('1.5s');
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_600_000)).toBe('1h');
  });
});

describe('parseRate', () => {
  it.each([
    ['512KB/s', 512],
    ['1MB/s', 1_000],
    ['1MiB/s', 1_049],
    ['10Mbit/s', 1_250],
    ['8kbit/s', 1],
    ['2000B/s', 2],
  ])('%s is %d KB/s (Toxiproxy units of 1000 B/s)', (text, kb) => {
    expect(parseRate(text, 'rate').kbPerSecond).toBe(kb);
  });

  it('keeps case: Mb/s is not MB/s', () => {
    expect(() => parseRate('10Mb/s', 'rate')).toThrow(/not a rate/);
  });

  it.each(['fast', '512', '512KB', '0KB/s', '100B/s'])('refuses %j', (text) => {
    expect(() => parseRate(text, 'rate')).toThrowError(GeoctlError);
  });
});
