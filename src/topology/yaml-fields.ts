import { isAlias, isMap, isScalar, isSeq, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { splitHostPort } from '../chaos/embedded/net-address.js';
import { didYouMean } from './did-you-mean.js';
import { substituteEnv } from './env-substitution.js';
import { childPath, type ProblemList } from './problems.js';

/** A string value read from the file, with where it came from and how it was written. */
export interface Field {
  /** After `${VAR}` substitution: may hold a secret, so messages use `raw` instead. */
  value: string;
  /** As written in the file. */
  raw: string;
  offset: number;
  path: string;
}

export interface MapEntry {
  key: string;
  keyOffset: number;
  value: unknown;
  path: string;
}

/**
 * Typed reads over the parsed YAML tree. Each read either returns a value or records a problem and returns
 * undefined, so callers carry on and every problem in the file is reported in one run.
 */
export class FieldReader {
  /** Substituted value → the text as written, so problems found later never show a secret. */
  readonly substituted = new Map<string, string>();

  constructor(
    private readonly doc: Document,
    private readonly problems: ProblemList,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  report(offset: number, path: string, message: string): void {
    this.problems.add(offset, path, message);
  }

  /** Where a node starts, or `fallback` for a value the file leaves out (e.g. `key:` with nothing after). */
  offsetOf(node: unknown, fallback: number): number {
    if (isAlias(node) || isScalar(node) || isMap(node) || isSeq(node)) return node.range?.[0] ?? fallback;
    return fallback;
  }

  map(node: unknown, path: string, fallback: number, expected: string): YAMLMap | undefined {
    const target = this.deref(node);
    if (isMap(target)) return target;
    this.report(this.offsetOf(node, fallback), path, `expected ${expected}, got ${describe(target)}`);
    return undefined;
  }

  seq(node: unknown, path: string, fallback: number, expected: string): YAMLSeq | undefined {
    const target = this.deref(node);
    if (isSeq(target)) return target;
    this.report(this.offsetOf(node, fallback), path, `expected ${expected}, got ${describe(target)}`);
    return undefined;
  }

  /** The entries with string keys; other keys are reported, since every key in the format is a name. */
  entries(map: YAMLMap, path: string): MapEntry[] {
    const out: MapEntry[] = [];
    for (const pair of map.items) {
      const keyOffset = this.offsetOf(pair.key, this.offsetOf(map, 0));
      if (isScalar(pair.key) && typeof pair.key.value === 'string') {
        const key = pair.key.value;
        out.push({ key, keyOffset, value: pair.value, path: childPath(path, key) });
      } else {
        this.report(keyOffset, path, `expected a name as key, got ${describe(pair.key)}`);
      }
    }
    return out;
  }

  /** Reports keys outside `allowed` and returns the entries by key. */
  known(map: YAMLMap, path: string, allowed: readonly string[]): Map<string, MapEntry> {
    const byKey = new Map<string, MapEntry>();
    for (const entry of this.entries(map, path)) {
      if (allowed.includes(entry.key)) byKey.set(entry.key, entry);
      else this.reportUnknownKey(entry, allowed);
    }
    return byKey;
  }

  string(node: unknown, path: string, fallback: number, expected: string): Field | undefined {
    const target = this.deref(node);
    const offset = this.offsetOf(node, fallback);
    if (!isScalar(target) || typeof target.value !== 'string') {
      this.report(offset, path, `expected ${expected}, got ${describe(target)}`);
      return undefined;
    }
    const raw = target.value;
    const { value, problems } = substituteEnv(raw, this.env);
    for (const problem of problems) this.report(offset, path, problem);
    return problems.length === 0 ? { value, raw, offset, path } : undefined;
  }

  /** A `host:port` string with a host and a port from 1 to 65535, checked by the embedded server's parser. */
  hostPort(node: unknown, path: string, fallback: number, example: string): Field | undefined {
    const expected = `host:port (e.g. ${example})`;
    const field = this.string(node, path, fallback, expected);
    if (field === undefined) return undefined;
    const parsed = splitHostPort(field.value);
    if (typeof parsed === 'string' && parsed.endsWith('invalid port')) {
      this.report(
        field.offset,
        path,
        `expected a port from 1 to 65535 in host:port, got ${quote(field.raw)}`,
      );
      return undefined;
    }
    if (typeof parsed === 'string' || parsed.host === '' || parsed.port === 0) {
      this.report(field.offset, path, `expected ${expected}, got ${quote(field.raw)}`);
      return undefined;
    }
    return field;
  }

  /**
   * A subtree as plain data (maps, lists, strings with `${VAR}` substituted, numbers, booleans), with the
   * file offset of every dotted path in it, for options that a plug-in (a store adapter) checks itself.
   */
  plain(node: unknown, path: string, fallback: number, offsets: Map<string, number>): unknown {
    const target = this.deref(node);
    const offset = this.offsetOf(node, fallback);
    offsets.set(path, offset);
    if (isMap(target)) {
      const out: Record<string, unknown> = {};
      for (const entry of this.entries(target, path)) {
        offsets.set(`${entry.path}:key`, entry.keyOffset);
        out[entry.key] = this.plain(entry.value, entry.path, entry.keyOffset, offsets);
      }
      return out;
    }
    if (isSeq(target))
      return target.items.map((item, i) => this.plain(item, `${path}.${i}`, offset, offsets));
    if (isScalar(target) && typeof target.value === 'string') {
      const field = this.string(node, path, fallback, 'a string');
      if (field && field.value !== field.raw) this.substituted.set(field.value, field.raw);
      return field?.value;
    }
    return isScalar(target) ? target.value : undefined;
  }

  private reportUnknownKey(entry: MapEntry, allowed: readonly string[]): void {
    const expected = allowed.map((key) => `"${key}"`).join(', ');
    const hint = didYouMean(entry.key, allowed);
    this.report(entry.keyOffset, entry.path, `unknown key${hint}; expected one of ${expected}`);
  }

  /** Follows `*alias` to its anchor; an alias to no anchor reads as a missing value. */
  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }
}

export function quote(text: string): string {
  return JSON.stringify(text);
}

/** How a wrong value is shown after "got": as written, never after substitution. */
export function describe(node: unknown): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (!isScalar(node) || node.value === null || node.value === undefined) return 'nothing';
  if (typeof node.value === 'string') return quote(node.value);
  return String(node.value);
}
