import { Args, Flags } from '@oclif/core';
import { PARTITION_MODES, type PartitionMode } from '../chaos/faults/fault.js';
import { FaultCommand, type FaultCommandResult } from '../cli/fault-command.js';
import { faultFlags, topologyFlags } from '../cli/topology-flags.js';
import { resolveRegion } from '../topology/resolve-region.js';

export default class Isolate extends FaultCommand {
  static override summary =
    'Cut a region off from every other region and from its clients (a regional outage).';
  static override description = `Cuts every replication link to or from the region and its client endpoint. Modes as for \`geoctl partition\`: blackhole (default), reset, down.`;

  static override examples = [
    '<%= config.bin %> isolate eu-west',
    '<%= config.bin %> isolate ap --mode down --for 2m',
  ];

  static override args = {
    region: Args.string({ description: 'region (name, alias or unique prefix)', required: true }),
  };

  static override flags = {
    ...topologyFlags,
    mode: Flags.string({ description: 'how to cut', options: [...PARTITION_MODES], default: 'blackhole' }),
    ...faultFlags,
  };

  async run(): Promise<FaultCommandResult> {
    const { args, flags } = await this.parse(Isolate);
    return this.inject(flags, ({ topology }) => ({
      kind: 'isolate',
      region: resolveRegion(topology, args.region).name,
      mode: flags.mode as PartitionMode,
    }));
  }
}
