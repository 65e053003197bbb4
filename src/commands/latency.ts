import { Args, Flags } from '@oclif/core';
import { parseDuration } from '../chaos/faults/duration.js';
import { FaultCommand, type FaultCommandResult } from '../cli/fault-command.js';
import { faultFlags, topologyFlags } from '../cli/topology-flags.js';
import { resolveRegionGroup } from '../topology/resolve-region.js';

export default class Latency extends FaultCommand {
  static override summary = 'Add latency to the replication links between two regions.';
  static override description = `The delay is added in each direction (so a round trip across the link grows by twice the value), or only to traffic from A toward B with --oneway. --jitter varies each delay uniformly by ± that much.`;

  static override examples = [
    '<%= config.bin %> latency us-east ap-south 180ms --jitter 20ms',
    '<%= config.bin %> latency eu us 120ms --oneway --for 5m',
  ];

  static override args = {
    a: Args.string({ description: 'region or comma-separated regions on one side', required: true }),
    b: Args.string({ description: 'region or comma-separated regions on the other side', required: true }),
    latency: Args.string({ description: 'delay added per direction, e.g. 120ms or 1.5s', required: true }),
  };

  static override flags = {
    ...topologyFlags,
    jitter: Flags.string({ description: 'random variation, ± this much (e.g. 20ms)', default: '0ms' }),
    oneway: Flags.boolean({ description: 'delay only traffic sent from A toward B', default: false }),
    ...faultFlags,
  };

  async run(): Promise<FaultCommandResult> {
    const { args, flags } = await this.parse(Latency);
    const latencyMs = Math.round(parseDuration(args.latency, 'latency'));
    const jitterMs = Math.round(parseDuration(flags.jitter, '--jitter', { allowZero: true }));
    return this.inject(flags, ({ topology }) => ({
      kind: 'latency',
      a: resolveRegionGroup(topology, args.a).map((r) => r.name),
      b: resolveRegionGroup(topology, args.b).map((r) => r.name),
      oneway: flags.oneway,
      latencyMs,
      jitterMs,
    }));
  }
}
