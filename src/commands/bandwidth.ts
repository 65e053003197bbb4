import { Args, Flags } from '@oclif/core';
import { parseRate } from '../chaos/faults/rate.js';
import { FaultCommand, type FaultCommandResult } from '../cli/fault-command.js';
import { faultFlags, topologyFlags } from '../cli/topology-flags.js';
import { resolveRegionGroup } from '../topology/resolve-region.js';

export default class Bandwidth extends FaultCommand {
  static override summary = 'Limit the bandwidth of the replication links between two regions.';
  static override description = `The limit applies to each direction of each link (or only from A toward B with --oneway). Units: B/s, KB/s, MB/s, GB/s (decimal), KiB/s, MiB/s, GiB/s, kbit/s, Mbit/s, Gbit/s; Toxiproxy applies whole KB/s (1000 B/s).`;

  static override examples = [
    '<%= config.bin %> bandwidth us-east eu-west 512KB/s',
    '<%= config.bin %> bandwidth us ap 10Mbit/s --oneway --for 10m',
  ];

  static override args = {
    a: Args.string({ description: 'region or comma-separated regions on one side', required: true }),
    b: Args.string({ description: 'region or comma-separated regions on the other side', required: true }),
    rate: Args.string({ description: 'rate per direction, e.g. 512KB/s or 10Mbit/s', required: true }),
  };

  static override flags = {
    ...topologyFlags,
    oneway: Flags.boolean({ description: 'limit only traffic sent from A toward B', default: false }),
    ...faultFlags,
  };

  async run(): Promise<FaultCommandResult> {
    const { args, flags } = await this.parse(Bandwidth);
    const { kbPerSecond } = parseRate(args.rate, 'rate');
    return this.inject(flags, ({ topology }) => ({
      kind: 'bandwidth',
      a: resolveRegionGroup(topology, args.a).map((r) => r.name),
      b: resolveRegionGroup(topology, args.b).map((r) => r.name),
      oneway: flags.oneway,
      kbPerSecond,
    }));
  }
}
