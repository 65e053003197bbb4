import { Args, Flags } from '@oclif/core';
import { PARTITION_MODES, type PartitionMode } from '../chaos/faults/fault.js';
import { FaultCommand, type FaultCommandResult } from '../cli/fault-command.js';
import { faultFlags, topologyFlags } from '../cli/topology-flags.js';
import { resolveRegionGroup } from '../topology/resolve-region.js';

export default class Partition extends FaultCommand {
  static override summary = 'Cut the replication links between two regions (or two groups of regions).';
  static override description = `Every link between a region of A and a region of B is cut, whichever side dials. Regions are named by name, alias or unique prefix; a group is a comma-separated list (us-east,eu-west).

Modes: blackhole (default: data is dropped and connections hang, as in a real network partition), reset (connections are reset on their next byte), down (the link proxies are disabled: connections close and new ones are refused).

--oneway cuts only traffic sent from A toward B. After injecting, geoctl opens a probe connection through each cut link to show traffic really stops (see \`protocol:\` in the topology).`;

  static override examples = [
    '<%= config.bin %> partition us-east eu-west',
    '<%= config.bin %> partition us-east,eu-west ap-south --for 30s',
    '<%= config.bin %> partition eu us --oneway --mode reset',
  ];

  static override args = {
    a: Args.string({ description: 'region or comma-separated regions on one side', required: true }),
    b: Args.string({ description: 'region or comma-separated regions on the other side', required: true }),
  };

  static override flags = {
    ...topologyFlags,
    oneway: Flags.boolean({ description: 'cut only traffic sent from A toward B', default: false }),
    mode: Flags.string({ description: 'how to cut', options: [...PARTITION_MODES], default: 'blackhole' }),
    ...faultFlags,
  };

  async run(): Promise<FaultCommandResult> {
    const { args, flags } = await this.parse(Partition);
    return this.inject(flags, ({ topology }) => ({
      kind: 'partition',
      a: resolveRegionGroup(topology, args.a).map((r) => r.name),
      b: resolveRegionGroup(topology, args.b).map((r) => r.name),
      oneway: flags.oneway,
      mode: flags.mode as PartitionMode,
    }));
  }
}
