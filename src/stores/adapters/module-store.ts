import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GeoctlError } from '../../errors.js';
import type { StoreAdapter, StoreContext } from '../adapter.js';
import type { OperationOptions, Outcome, ReadValue, Store, WriteAck } from '../store.js';

export interface ModuleStoreOptions {
  module: string;
  options: Record<string, unknown>;
}

/** What a user's adapter module's default export receives. */
export interface ModuleStoreContext {
  regions: Array<{ name: string; endpoint: string; host: string; port: number }>;
  options: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
}

export const moduleStore: StoreAdapter<ModuleStoreOptions> = {
  name: 'module',
  summary: 'your own adapter: an ES module whose default export returns a Store',
  parse(o) {
    o.only('', ['type', 'module', 'options']);
    const module = o.string('module') ?? '';
    const options = o.at('options');
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
      o.report('options', 'expected a map');
    return { module, options: (options as Record<string, unknown> | undefined) ?? {} };
  },
  async open(options, context) {
    const file = isAbsolute(options.module) ? options.module : resolve(context.baseDir, options.module);
    let factory: unknown;
    try {
      factory = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    } catch (error) {
      throw new GeoctlError('E_CONFIG', `cannot load the store module ${file}: ${(error as Error).message}`, {
        hint: 'store.module must be an ES module (.js or .mjs) whose default export is a function returning a Store.',
      });
    }
    if (typeof factory !== 'function') {
      throw new GeoctlError('E_CONFIG', `the store module ${file} has no default export function`, {
        hint: 'Write `export default async function ({ regions, options, env }) { return { write, read, close } }`.',
      });
    }
    const store = (await (factory as (c: ModuleStoreContext) => unknown)(
      moduleContext(options, context),
    )) as Partial<Store>;
    for (const method of ['write', 'read', 'close'] as const) {
      if (typeof store?.[method] !== 'function') {
        throw new GeoctlError(
          'E_CONFIG',
          `the store module ${file} returned an object without a ${method}() method`,
          {
            hint: 'A store has write(region, key, value), read(region, key) and close().',
          },
        );
      }
    }
    return new CheckedStore(
      store as Store,
      file,
      context.topology.regions.map((r) => r.name),
    );
  },
};

function moduleContext(options: ModuleStoreOptions, context: StoreContext): ModuleStoreContext {
  return {
    regions: context.topology.regions.map((r) => {
      const colon = r.client.listen.lastIndexOf(':');
      return {
        name: r.name,
        endpoint: r.client.listen,
        host: r.client.listen.slice(0, colon).replace(/^\[|\]$/g, ''),
        port: Number(r.client.listen.slice(colon + 1)),
      };
    }),
    options: options.options,
    env: context.env,
  };
}

/**
 * Guards geoctl's figures against a buggy user adapter: an exception becomes a fail (read) or an
 * indeterminate (write: it may have been sent), and a malformed result is reported as such.
 */
class CheckedStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly file: string,
    readonly regions: string[],
  ) {}

  async write(region: string, key: string, value: string, op?: OperationOptions): Promise<Outcome<WriteAck>> {
    try {
      return this.check(
        await this.inner.write(region, key, value, op),
        'write',
        (v) => typeof v === 'object',
      );
    } catch (error) {
      return {
        status: 'indeterminate',
        error: `${region}: the adapter threw: ${(error as Error).message}`,
        code: 'ADAPTER_THREW',
      };
    }
  }

  async read(region: string, key: string, op?: OperationOptions): Promise<Outcome<ReadValue>> {
    try {
      return this.check(await this.inner.read(region, key, op), 'read', (v) => {
        const r = v as ReadValue;
        return (
          r?.kind === 'absent' ||
          (r?.kind === 'value' && typeof r.value === 'string') ||
          (r?.kind === 'siblings' && Array.isArray(r.values))
        );
      });
    } catch (error) {
      return {
        status: 'fail',
        error: `${region}: the adapter threw: ${(error as Error).message}`,
        code: 'ADAPTER_THREW',
      };
    }
  }

  close(): Promise<void> {
    return Promise.resolve(this.inner.close());
  }

  private check<T>(outcome: Outcome<T>, op: string, valid: (value: unknown) => boolean): Outcome<T> {
    if (outcome?.status === 'ok' && valid(outcome.value)) return outcome;
    if (
      (outcome?.status === 'fail' || outcome?.status === 'indeterminate') &&
      typeof outcome.error === 'string'
    )
      return outcome;
    const status = op === 'write' ? 'indeterminate' : 'fail';
    return {
      status,
      error: `${this.file}: ${op}() returned ${JSON.stringify(outcome)?.slice(0, 200)}, not an outcome`,
      code: 'BAD_OUTCOME',
    };
  }
}
