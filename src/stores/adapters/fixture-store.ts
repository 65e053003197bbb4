import type { StoreAdapter } from '../adapter.js';
import { HttpStore, parseHttpOptions, type HttpStoreOptions } from './http-store.js';

/** geoctl's own fixture kv store: the http adapter with its API filled in. */
export const fixtureStore: StoreAdapter<HttpStoreOptions> = {
  name: 'fixture',
  summary: "geoctl's fixture key-value store (`geoctl fixture kv`)",
  parse: (o) =>
    parseHttpOptions(o, {
      read: { method: 'GET', path: '/kv/{key}' },
      write: { method: 'PUT', path: '/kv/{key}', body: '{value}' },
      value: '/value',
      version: '/version',
      siblings: '/siblings',
      writeVersion: '/version',
      absent: [404],
      indeterminate: [500, 502, 504],
    }),
  open: async (options, context) =>
    new FixtureStore(
      options,
      context.topology.regions.map((r) => ({ region: r.name, listen: r.client.listen })),
      context,
    ),
};

/** The fixture's own status endpoint says which region is primary (primary mode) or none (active-active). */
class FixtureStore extends HttpStore {
  constructor(
    options: HttpStoreOptions,
    private readonly endpoints: Array<{ region: string; listen: string }>,
    context: ConstructorParameters<typeof HttpStore>[1],
  ) {
    super(options, context);
  }

  async primaryRegion(): Promise<string | undefined> {
    for (const { listen } of this.endpoints) {
      try {
        const res = await fetch(`http://${listen}/_fixture/status`, { signal: AbortSignal.timeout(1_000) });
        const status = (await res.json()) as { mode?: string; primary?: string };
        return status.mode === 'primary' ? status.primary : undefined;
      } catch {
        // that region is cut off; ask the next
      }
    }
    return undefined;
  }
}
