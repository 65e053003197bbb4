import { describeRegions, findRegionExactly } from '../../topology/resolve-region.js';
import type { Region, Topology } from '../../topology/topology.js';
import type { OptionsReader } from '../options-reader.js';

/**
 * What the adapters for primary/replica stores (redis, postgres) share: the `writer` option, host:port
 * parsing, deadlines for one operation, and keeping secrets out of messages.
 */

/** `writer: <region or alias>` → the region's name; the first region when absent. */
export function parseWriter(o: OptionsReader, topology: Pick<Topology, 'regions'>): string {
  const first = topology.regions[0]?.name ?? '';
  const text = o.optionalString('writer');
  if (text === undefined) return first;
  const region = findRegionExactly(topology.regions, text);
  if (region) return region.name;
  o.report('writer', `unknown region "${text}"; known regions: ${describeRegions(topology.regions)}`);
  return first;
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port` → parts; undefined when it is not one. */
export function splitHostPort(address: string): HostPort | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(address.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `us-east at 127.0.0.1:21001 (proxy to 127.0.0.1:6379)`: where a region's client connects. */
export function describeEndpoint(region: Region): string {
  return `${region.name} at ${region.client.listen} (proxy to ${region.client.upstream})`;
}

/** The same address, written the same way: `localhost` is 127.0.0.1, host names ignore case. */
export function sameAddress(a: string, b: string): boolean {
  const x = splitHostPort(a);
  const y = splitHostPort(b);
  if (!x || !y) return a === b;
  const host = (h: string) => (h.toLowerCase() === 'localhost' ? '127.0.0.1' : h.toLowerCase());
  return x.port === y.port && host(x.host) === host(y.host);
}

/** When one operation must be done by (a Date.now() value), and the timeout it came from, for messages. */
export interface Deadline {
  at: number;
  ms: number;
}

export function deadlineIn(ms: number): Deadline {
  return { at: Date.now() + ms, ms };
}

/** The time left, at least 1 ms (a timer of 0 would fire before anything could answer). */
export function remaining(deadline: Deadline): number {
  return Math.max(1, deadline.at - Date.now());
}

export class DeadlineError extends Error {
  readonly code = 'TIMEOUT';
  constructor(readonly afterMs: number) {
    super(`no answer within ${afterMs} ms`);
    this.name = 'DeadlineError';
  }
}

/**
 * `promise`, or a DeadlineError once the deadline passes. What the promise settles to later goes to
 * `late` (e.g. to release a connection nobody waits for any more) and never goes unhandled.
 */
export async function beforeDeadline<T>(
  promise: Promise<T>,
  deadline: Deadline,
  late?: (value: T) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  promise.then(
    (value) => {
      if (timedOut) late?.(value);
    },
    () => undefined,
  );
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            timedOut = true;
            reject(new DeadlineError(deadline.ms));
          },
          Math.max(0, deadline.at - Date.now()),
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Replaces every secret (at least 3 characters, so short ones do not mangle a message) with ***. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets)
    if (secret !== undefined && secret.length >= 3) out = out.replaceAll(secret, '***');
  return out;
}

/** A message for an error of any shape: `CODE: message`, without a stack. */
export function errorText(error: unknown): { code: string | undefined; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : undefined, message: error.message };
  }
  return { code: undefined, message: String(error) };
}
