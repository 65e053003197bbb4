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
  open: async (options, context) => new HttpStore(options, context),
};
