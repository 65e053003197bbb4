import { parse } from 'yaml';
import { copyWithFreePorts } from './free-port-topology.js';

export type PgRegion = 'us-east' | 'eu-west' | 'ap-south';
export const PG_REGIONS: PgRegion[] = ['us-east', 'eu-west', 'ap-south'];

export interface PostgresWiring {
  file: string;
  /** Each region's server port (client.upstream). */
  serverPort: Record<PgRegion, number>;
  password: string;
}

/** A copy of fixtures/postgres-streaming/topology.yaml in `dir` with every 127.0.0.1 port swapped for a free one. */
export async function wirePostgresTopology(dir: string): Promise<PostgresWiring> {
  const { file, text: copy } = await copyWithFreePorts('fixtures/postgres-streaming/topology.yaml', dir);
  const doc = parse(copy) as {
    store: { password: string };
    regions: Record<PgRegion, { client: { upstream: string } }>;
  };
  const serverPort = Object.fromEntries(
    PG_REGIONS.map((r) => [r, Number(doc.regions[r].client.upstream.split(':')[1])]),
  ) as Record<PgRegion, number>;
  return { file, serverPort, password: doc.store.password };
}
