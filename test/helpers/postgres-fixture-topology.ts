import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { freePorts } from './free-ports.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

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
  const text = await readFile(join(root, 'fixtures/postgres-streaming/topology.yaml'), 'utf8');
  const fixed = [...new Set([...text.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]!))];
  const free = await freePorts(fixed.length);
  const map = new Map(fixed.map((port, i) => [port, String(free[i])]));
  const copy = text.replace(/127\.0\.0\.1:(\d+)/g, (_, port: string) => `127.0.0.1:${map.get(port)}`);
  const file = join(dir, 'topology.yaml');
  await writeFile(file, copy);
  const doc = parse(copy) as {
    store: { password: string };
    regions: Record<PgRegion, { client: { upstream: string } }>;
  };
  const serverPort = Object.fromEntries(
    PG_REGIONS.map((r) => [r, Number(doc.regions[r].client.upstream.split(':')[1])]),
  ) as Record<PgRegion, number>;
  return { file, serverPort, password: doc.store.password };
}
