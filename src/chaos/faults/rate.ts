import { GeoctlError } from '../../errors.js';

/** Bytes per second for each accepted unit; KB/MB/GB are decimal, as Toxiproxy's KB/s is 1000 B/s. */
const BYTES_PER_SECOND: Record<string, number> = {
  'B/s': 1,
  'KB/s': 1e3,
  'kB/s': 1e3,
  'MB/s': 1e6,
  'GB/s': 1e9,
  'KiB/s': 1024,
  'MiB/s': 1024 ** 2,
  'GiB/s': 1024 ** 3,
  'kbit/s': 125,
  'Kbit/s': 125,
  'Mbit/s': 125_000,
  'Gbit/s': 125_000_000,
};

const RATE = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+\/s)$/;

/**
 * `512KB/s`, `10Mbit/s`, `1MiB/s` → Toxiproxy's bandwidth `rate`, in KB/s (1000 B/s), an integer of at
 * least 1 because the server works in whole KB/s.
 */
export function parseRate(text: string, what: string): { kbPerSecond: number; bytesPerSecond: number } {
  const match = RATE.exec(text.trim());
  // Case matters: Mb/s and MB/s differ by a factor of eight, so an unknown spelling is an error, not a guess.
  const unit = match && match[2]! in BYTES_PER_SECOND ? match[2]! : undefined;
  if (!match || !unit) {
    throw new GeoctlError('E_INVALID_VALUE', `${what}: "${text}" is not a rate`, {
      hint: `Expected a number with a unit: ${Object.keys(BYTES_PER_SECOND).join(', ')}, e.g. 512KB/s or 10Mbit/s.`,
      details: { value: text },
    });
  }
  const bytesPerSecond = Number(match[1]) * BYTES_PER_SECOND[unit]!;
  const kbPerSecond = Math.round(bytesPerSecond / 1000);
  if (kbPerSecond < 1) {
    throw new GeoctlError(
      'E_INVALID_VALUE',
      `${what}: "${text}" is below 1KB/s, the smallest rate Toxiproxy can apply`,
      {
        hint: 'Expected at least 1KB/s (Toxiproxy limits bandwidth in whole KB/s; 0 would stall the link, use `partition` for that).',
        details: { value: text },
      },
    );
  }
  return { kbPerSecond, bytesPerSecond: kbPerSecond * 1000 };
}
