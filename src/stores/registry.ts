import type { StoreAdapter } from './adapter.js';
import { fixtureStore } from './adapters/fixture-store.js';
import { httpStore } from './adapters/http-store.js';
import { moduleStore } from './adapters/module-store.js';
import { postgresStore } from './adapters/postgres-store.js';
import { redisStore } from './adapters/redis-store.js';

/** Every store adapter, by the name `store.type` uses. Adding one: one file, one line here. */
export const storeAdapters: ReadonlyMap<string, StoreAdapter<never>> = new Map(
  ([fixtureStore, httpStore, moduleStore, redisStore, postgresStore] as Array<StoreAdapter<never>>).map(
    (a) => [a.name, a],
  ),
);
