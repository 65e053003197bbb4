import { parse } from 'yaml';
import { copyWithFreePorts } from './free-port-topology.js';

export type Region = 'us-east' | 'eu-west' | 'ap-south';
export const REGIONS: Region[] = ['us-east', 'eu-west', 'ap-south'];

export interface SentinelWiring {
  file: string;
  /** Each region's node port (client.upstream) and client proxy (client.listen). */
  nodePort: Record<Region, number>;
  clientListen: Record<Region, string>;
  /** `from>to` → the link proxy's listen address. */
  link: Map<string, string>;
  sentinelPorts: number[];
}

/** A copy of fixtures/redis-sentinel/topology.yaml in `dir` with every 127.0.0.1 port swapped for a free one. */
export async function wireSentinelTopology(dir: string): Promise<SentinelWiring> {
  const { file, text: copy } = await copyWithFreePorts('fixtures/redis-sentinel/topology.yaml', dir);
  const doc = parse(copy) as {
    store: { sentinel: { addresses: string[] } };
    regions: Record<Region, { client: { listen: string; upstream: string } }>;
    links: Array<{ from: string; to: string; listen: string }>;
  };
  const portOf = (address: string): number => Number(address.split(':')[1]);
  const pick = <T>(f: (r: Region) => T) =>
    Object.fromEntries(REGIONS.map((r) => [r, f(r)])) as Record<Region, T>;
  return {
    file,
    nodePort: pick((r) => portOf(doc.regions[r].client.upstream)),
    clientListen: pick((r) => doc.regions[r].client.listen),
    link: new Map(doc.links.map((l) => [`${l.from}>${l.to}`, l.listen])),
    sentinelPorts: doc.store.sentinel.addresses.map(portOf),
  };
}
