import { Pool, type Dispatcher } from 'undici';
import type { StoreAdapter, StoreContext } from '../adapter.js';
import { isJsonPointer, resolvePointer } from '../json-pointer.js';
import type { OptionsReader } from '../options-reader.js';
import {
  fail,
  indeterminate,
  ok,
  type OperationOptions,
  type Outcome,
  type ReadValue,
  type Store,
  type WriteAck,
} from '../store.js';

export interface HttpStoreOptions {
  scheme: 'http' | 'https';
  read: { method: string; path: string };
  write: { method: string; path: string; body: string };
  /** JSON pointers into the read response: the value, its version, a list of siblings. */
  value: string;
  version: string | undefined;
  siblings: string | undefined;
  /** JSON pointer into the write response for the version, if the store returns one. */
  writeVersion: string | undefined;
  decode: 'none' | 'base64';
  absent: number[];
  /** Statuses after which a write may or may not have been applied. */
  indeterminate: number[];
  headers: Record<string, string>;
  timeoutMs: number;
  connections: number;
}

const KEYS = [
  'type',
  'scheme',
  'read',
  'write',
  'value',
  'version',
  'siblings',
  'writeVersion',
  'decode',
  'absent',
  'indeterminate',
  'headers',
  'timeout',
  'connections',
];

export function parseHttpOptions(
  o: OptionsReader,
  defaults: Partial<HttpStoreOptions> = {},
): HttpStoreOptions {
  o.only('', KEYS);
  o.only('read', ['method', 'path']);
  o.only('write', ['method', 'path', 'body']);
  const pointer = (path: string, fallback: string | undefined): string | undefined => {
    const text = fallback === undefined ? o.optionalString(path) : o.string(path, fallback);
    if (text !== undefined && !isJsonPointer(text))
      o.report(path, `expected a JSON pointer such as /value or /0/Value, got "${text}"`);
    return text;
  };
  const template = (path: string, fallback: string | undefined): string => {
    const text = o.string(path, fallback);
    if (text === undefined) return '';
    if (path.endsWith('path') && !text.startsWith('/'))
      o.report(path, `expected a path starting with /, got "${text}"`);
    return text;
  };
  return {
    scheme: o.oneOf('scheme', ['http', 'https'] as const, defaults.scheme ?? 'http'),
    read: {
      method: o.string('read.method', defaults.read?.method ?? 'GET')!,
      path: template('read.path', defaults.read?.path),
    },
    write: {
      method: o.string('write.method', defaults.write?.method ?? 'PUT')!,
      path: template('write.path', defaults.write?.path),
      body: o.string('write.body', defaults.write?.body ?? '{value}')!,
    },
    value: pointer('value', defaults.value ?? '')!,
    version: pointer('version', defaults.version),
    siblings: pointer('siblings', defaults.siblings),
    writeVersion: pointer('writeVersion', defaults.writeVersion),
    decode: o.oneOf('decode', ['none', 'base64'] as const, defaults.decode ?? 'none'),
    absent: o.integers('absent', defaults.absent ?? [404]),
    indeterminate: o.integers('indeterminate', defaults.indeterminate ?? [500, 502, 504]),
    headers: o.record('headers'),
    timeoutMs: o.durationMs('timeout', defaults.timeoutMs ?? 2_000),
    connections: o.integer('connections', defaults.connections ?? 16, { min: 1, max: 1024 }),
  };
}

export const httpStore: StoreAdapter<HttpStoreOptions> = {
  name: 'http',
  summary: 'any HTTP key-value API (method/path templates, JSON pointers into responses)',
  parse: (o) => parseHttpOptions(o),
  open: async (options, context) => new HttpStore(options, context),
};

/** Errors that mean the request never reached the server: the write cannot have been applied. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** Talks to each region through its client endpoint (the proxy), with one undici pool per region. */
export class HttpStore implements Store {
  readonly regions: string[];
  private readonly pools = new Map<string, { pool: Pool; endpoint: string }>();

  constructor(
    private readonly options: HttpStoreOptions,
    context: StoreContext,
  ) {
    this.regions = context.topology.regions.map((r) => r.name);
    for (const region of context.topology.regions) {
      const origin = `${options.scheme}://${region.client.listen}`;
      this.pools.set(region.name, {
        pool: new Pool(origin, { connections: options.connections, pipelining: 1 }),
        endpoint: region.client.listen,
      });
    }
  }

  async write(
    region: string,
    key: string,
    value: string,
    op: OperationOptions = {},
  ): Promise<Outcome<WriteAck>> {
    const { method, path, body } = this.options.write;
    const response = await this.send(
      region,
      method,
      fill(path, key, value, true),
      fill(body, key, value, false),
      op,
    );
    if ('error' in response)
      return NOT_SENT.has(response.code ?? '')
        ? fail(response.error, response.code)
        : indeterminate(response.error, response.code);
    const { status, text } = response;
    if (status >= 200 && status < 300) {
      const version =
        this.options.writeVersion === undefined
          ? undefined
          : asString(resolvePointer(parseJson(text), this.options.writeVersion));
      return ok({ version });
    }
    const error = `${region}: HTTP ${status} from ${method} ${fill(path, key, value, true)}${snippet(text)}`;
    return this.options.indeterminate.includes(status)
      ? indeterminate(error, `HTTP_${status}`)
      : fail(error, `HTTP_${status}`);
  }

  async read(region: string, key: string, op: OperationOptions = {}): Promise<Outcome<ReadValue>> {
    const { method, path } = this.options.read;
    const response = await this.send(region, method, fill(path, key, '', true), undefined, op);
    if ('error' in response) return fail(response.error, response.code);
    const { status, text } = response;
    if (this.options.absent.includes(status)) return ok({ kind: 'absent' });
    if (status === 300 || (status >= 200 && status < 300)) {
      const document = parseJson(text);
      if (this.options.siblings !== undefined) {
        const list = resolvePointer(document, this.options.siblings);
        if (Array.isArray(list)) {
          const values = list.map((item) =>
            this.decode(
              asString(typeof item === 'object' && item !== null ? resolvePointer(item, '/value') : item) ??
                '',
            ),
          );
          return ok({ kind: 'siblings', values });
        }
      }
      const value = asString(resolvePointer(document === undefined ? text : document, this.options.value));
      if (value === undefined)
        return fail(
          `${region}: the response has nothing at ${this.options.value || 'the root'}${snippet(text)}`,
          'BAD_RESPONSE',
        );
      const version =
        this.options.version === undefined
          ? undefined
          : asString(resolvePointer(document, this.options.version));
      return ok({ kind: 'value', value: this.decode(value), version });
    }
    return fail(
      `${region}: HTTP ${status} from ${method} ${fill(path, key, '', true)}${snippet(text)}`,
      `HTTP_${status}`,
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map(({ pool }) => pool.destroy()));
  }

  private decode(value: string): string {
    return this.options.decode === 'base64' ? Buffer.from(value, 'base64').toString('utf8') : value;
  }

  private async send(
    region: string,
    method: string,
    path: string,
    body: string | undefined,
    op: OperationOptions,
  ): Promise<{ status: number; text: string } | { error: string; code: string | undefined }> {
    const target = this.pools.get(region);
    if (!target) return { error: `unknown region ${region}`, code: 'UNKNOWN_REGION' };
    const timeoutMs = op.timeoutMs ?? this.options.timeoutMs;
    try {
      const res = await target.pool.request({
        method: method as Dispatcher.HttpMethod,
        path,
        body,
        headers: this.options.headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: res.statusCode, text: await res.body.text() };
    } catch (error) {
      const err = error as Error & { code?: string; cause?: { code?: string } };
      const code = err.name === 'TimeoutError' ? 'TIMEOUT' : (err.code ?? err.cause?.code);
      const reason =
        code === 'TIMEOUT' ? `no answer within ${timeoutMs} ms` : `${code ?? err.name}: ${err.message}`;
      return { error: `${region} (${target.endpoint}): ${reason}`, code };
    }
  }
}

/** `{key}` and `{value}` in a template; in a path both are percent-encoded. */
function fill(template: string, key: string, value: string, inPath: boolean): string {
  const enc = inPath ? encodeURIComponent : (s: string) => s;
  return template
    .replaceAll('{key}', enc(key))
    .replaceAll('{value}', enc(value))
    .replaceAll('{valueJson}', JSON.stringify(value));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function snippet(text: string): string {
  const t = text.trim();
  return t === '' ? '' : `: ${t.length > 200 ? `${t.slice(0, 200)}…` : t}`;
}

export type { StoreContext };
