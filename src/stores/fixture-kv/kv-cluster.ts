import { GeoctlError } from '../../errors.js';
import type { Topology } from '../../topology/topology.js';
import { TruthRecorder, type GroundTruth } from './ground-truth.js';
import { KvNode } from './kv-node.js';
import { DEFAULT_KV_OPTIONS, type KvOptions } from './kv-types.js';

export interface FixtureKv {
  readonly nodes: ReadonlyMap<string, KvNode>;
  truth(): GroundTruth;
  /** Waits for the ground truth to satisfy `predicate` (tests). */
  until(predicate: (truth: GroundTruth) => boolean, timeoutMs?: number): Promise<GroundTruth>;
  close(): Promise<void>;
}

/**
 * Starts the fixture store for a topology: one node per region at its client upstream address. Links must
 * point at the dialled region's node (`upstream` equal to that region's client upstream), since the node
 * serves clients and replication on one port.
 */
export async function startFixtureKv(
  topology: Topology,
  overrides: Partial<KvOptions> = {},
): Promise<FixtureKv> {
  const options: KvOptions = { ...DEFAULT_KV_OPTIONS, ...overrides };
  checkTopologyFits(topology, options);
  const truth = new TruthRecorder();
  const nodes = new Map<string, KvNode>();
  try {
    for (const region of topology.regions) {
      const node = new KvNode(region.name, topology, options, truth);
      try {
        await node.start();
      } catch (error) {
        throw new GeoctlError(
          (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'E_ADDRESS_IN_USE' : 'E_BIND',
          `the fixture store cannot listen for region ${region.name} on ${region.client.upstream}: ${(error as Error).message}`,
          {
            hint: 'Another fixture (or the store itself) may already be running there; stop it or change the upstream addresses in the topology.',
          },
        );
      }
      nodes.set(region.name, node);
    }
  } catch (error) {
    await Promise.all([...nodes.values()].map((n) => n.close()));
    throw error;
  }
  return {
    nodes,
    truth: () => truth.snapshot(),
    until: (predicate, timeoutMs) => truth.until(predicate, timeoutMs),
    close: async () => {
      await Promise.all([...nodes.values()].map((n) => n.close()));
    },
  };
}

function checkTopologyFits(topology: Topology, options: KvOptions): void {
  const problems: string[] = [];
  for (const link of topology.links) {
    const to = topology.regions.find((r) => r.name === link.to)!;
    if (link.upstream !== to.client.upstream) {
      problems.push(
        `link ${link.from} → ${link.to}: upstream is ${link.upstream}, but the fixture serves ${link.to} on its client upstream ${to.client.upstream}`,
      );
    }
  }
  if (
    options.mode === 'primary' &&
    options.primary !== undefined &&
    !topology.regions.some((r) => r.name === options.primary)
  ) {
    problems.push(
      `--primary ${options.primary} is not a region of the topology (${topology.regions.map((r) => r.name).join(', ')})`,
    );
  }
  if (problems.length > 0) {
    throw new GeoctlError(
      'E_CONFIG',
      `${topology.file} does not fit the fixture store:\n${problems.join('\n')}`,
      {
        hint: "Point each link's upstream at the dialled region's client upstream address.",
        details: { problems },
      },
    );
  }
}
