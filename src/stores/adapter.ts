import type { Topology } from '../topology/topology.js';
import type { OptionsReader } from './options-reader.js';
import type { Store } from './store.js';

export interface StoreContext {
  topology: Topology;
  env: NodeJS.ProcessEnv;
  /** The topology file's directory: relative paths in options (a module) resolve from here. */
  baseDir: string;
}

/**
 * One kind of store geoctl can probe. `parse` checks the topology's `store:` options and records every
 * problem (so they are reported with the rest of the file's); `open` connects. Adding a store is one file
 * exporting an adapter, plus one line in registry.ts.
 */
export interface StoreAdapter<O = unknown> {
  readonly name: string;
  readonly summary: string;
  parse(options: OptionsReader, context: Pick<StoreContext, 'topology'>): O;
  open(options: O, context: StoreContext): Promise<Store>;
}
