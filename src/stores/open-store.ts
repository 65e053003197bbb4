import { dirname } from 'node:path';
import { GeoctlError } from '../errors.js';
import type { Topology } from '../topology/topology.js';
import { OptionsReader, type OptionProblem } from './options-reader.js';
import { storeAdapters } from './registry.js';
import type { Store } from './store.js';

/** Problems in the topology's `store:` options, by dotted path (empty when they are fine). */
export function checkStoreOptions(topology: Topology): OptionProblem[] {
  if (!topology.store) return [];
  const adapter = storeAdapters.get(topology.store.type);
  if (!adapter) return [{ path: 'store.type', message: `unknown store type ${topology.store.type}` }];
  const reader = new OptionsReader(topology.store.options);
  adapter.parse(reader, { topology });
  return reader.problems;
}

/** Connects to the store the topology describes. */
export async function openStore(topology: Topology, env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  if (!topology.store) {
    throw new GeoctlError(
      'E_CONFIG',
      `${topology.file} has no store: section, so there is nothing to probe`,
      {
        hint: 'Add e.g. `store: { type: fixture }` (the fixture kv store) or `store: { type: redis }`; see the README.',
      },
    );
  }
  if (topology.store.deferredError) throw topology.store.deferredError;
  const adapter = storeAdapters.get(topology.store.type)!;
  const reader = new OptionsReader(topology.store.options);
  const options = adapter.parse(reader, { topology });
  if (reader.problems.length > 0) {
    throw new GeoctlError(
      'E_CONFIG',
      reader.problems.map((p) => `${topology.file} ${p.path}: ${p.message}`).join('\n'),
    );
  }
  return adapter.open(options, { topology, env, baseDir: dirname(topology.file) });
}
