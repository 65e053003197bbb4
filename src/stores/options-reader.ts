import { parseDuration } from '../chaos/faults/duration.js';
import { GeoctlError } from '../errors.js';

/** A problem in a store's options, at a dotted path under `store` (e.g. `store.read.path`). */
export interface OptionProblem {
  path: string;
  message: string;
  /** The problem is the key itself (unknown key), not its value. */
  atKey?: boolean;
}

/**
 * Typed reads of an adapter's options (plain data from the topology's `store:` map). Each read returns a
 * value or records a problem, so every mistake is reported at once, like the rest of the topology.
 */
export class OptionsReader {
  readonly problems: OptionProblem[] = [];

  constructor(
    private readonly root: Record<string, unknown>,
    private readonly base = 'store',
  ) {}

  report(path: string, message: string, atKey = false): void {
    this.problems.push({
      path: path === '' ? this.base : `${this.base}.${path}`,
      message,
      ...(atKey ? { atKey } : {}),
    });
  }

  /** Reports keys other than `allowed` under `path` ('' = the root). */
  only(path: string, allowed: readonly string[]): void {
    const value = this.at(path);
    if (!isRecord(value)) return;
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.report(
          path === '' ? key : `${path}.${key}`,
          `unknown key; expected one of ${allowed.map((k) => `"${k}"`).join(', ')}`,
          true,
        );
      }
    }
  }

  string(path: string, fallback?: string): string | undefined {
    const value = this.at(path);
    if (value === undefined || value === null) {
      if (fallback === undefined)
        this.report(path, 'missing; expected a string (e.g. "/kv/{key}" for a path)');
      return fallback;
    }
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    this.report(path, `expected a string, got ${describe(value)}`);
    return fallback;
  }

  optionalString(path: string): string | undefined {
    const value = this.at(path);
    return value === undefined || value === null ? undefined : this.string(path);
  }

  integer(path: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const value = this.at(path);
    if (value === undefined || value === null) return fallback;
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (
      typeof n !== 'number' ||
      !Number.isInteger(n) ||
      n < (range.min ?? -Infinity) ||
      n > (range.max ?? Infinity)
    ) {
      this.report(
        path,
        `expected an integer${range.min !== undefined ? ` from ${range.min}` : ''}${range.max !== undefined ? ` to ${range.max}` : ''}, got ${describe(value)}`,
      );
      return fallback;
    }
    return n;
  }

  durationMs(path: string, fallback: number): number {
    const value = this.at(path);
    if (value === undefined || value === null) return fallback;
    try {
      return parseDuration(String(value), path);
    } catch (error) {
      this.report(
        path,
        error instanceof GeoctlError
          ? `expected a duration such as 2s or 500ms, got ${describe(value)}`
          : String(error),
      );
      return fallback;
    }
  }

  oneOf<T extends string>(path: string, choices: readonly T[], fallback: T): T {
    const value = this.string(path, fallback);
    if (value !== undefined && (choices as readonly string[]).includes(value)) return value as T;
    this.report(path, `expected one of ${choices.join(', ')}, got ${describe(value)}`);
    return fallback;
  }

  integers(path: string, fallback: number[]): number[] {
    const value = this.at(path);
    if (value === undefined || value === null) return fallback;
    const list = Array.isArray(value) ? value : [value];
    if (!list.every((v) => typeof v === 'number' && Number.isInteger(v))) {
      this.report(path, `expected a list of HTTP status codes (e.g. [404]), got ${describe(value)}`);
      return fallback;
    }
    return list as number[];
  }

  record(path: string): Record<string, string> {
    const value = this.at(path);
    if (value === undefined || value === null) return {};
    if (!isRecord(value)) {
      this.report(path, `expected a map, got ${describe(value)}`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const k of Object.keys(value)) out[k] = this.string(`${path}.${k}`) ?? '';
    return out;
  }

  /** The raw value at a dotted path. */
  at(path: string): unknown {
    if (path === '') return this.root;
    let current: unknown = this.root;
    for (const part of path.split('.')) {
      if (!isRecord(current)) return undefined;
      current = current[part];
    }
    return current;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a map';
  return JSON.stringify(value);
}
