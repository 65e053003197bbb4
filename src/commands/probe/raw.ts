import { Flags } from '@oclif/core';
import { parseDuration } from '../../chaos/faults/duration.js';
import { ProbeCommand, probeFlags } from '../../cli/probe-command.js';
import { renderRaw } from '../../cli/presenters/probe-report.js';
import { runRawProbe } from '../../probes/raw-probe.js';

export default class ProbeRaw extends ProbeCommand {
  static override summary = 'Read-after-write visibility lag per region pair.';
  static override description = `Writes a unique value in the writer region(s), then reads it in each reader region until it shows or --visibility-timeout passes. Per writer → reader pair: the lag from the write's ack and from its start (p50/p90/p99/max), with the resolution of each figure, the share of reads stale right after the ack, and writes never seen; per writer, read-your-writes violations in its own region.`;
  static override examples = [
    '<%= config.bin %> probe raw --region eu',
    '<%= config.bin %> probe raw --writer us-east --rate 200 --duration 1m --out raw.jsonl --metrics-port 9464',
  ];

  static override flags = {
    ...probeFlags,
    rate: Flags.integer({ description: 'writes per second', default: 20, min: 1 }),
    concurrency: Flags.integer({
      description: 'writes in flight at most, and visibility checks pending per reader region at most',
      default: 64,
      min: 1,
    }),
    'visibility-timeout': Flags.string({
      description: 'give up on a write not visible after this long',
      default: '10s',
    }),
    poll: Flags.string({
      description: 'pause between reads while waiting for a write to show',
      default: '2ms',
    }),
  };

  async run() {
    const { flags } = await this.parse(ProbeRaw);
    const visibilityTimeoutMs = parseDuration(flags['visibility-timeout'], '--visibility-timeout');
    const pollMs = parseDuration(flags.poll, '--poll', { allowZero: true });
    return this.runProbe('raw', flags, {
      defaultDurationMs: 30_000,
      engine: (ctx, setup) =>
        runRawProbe(ctx, {
          writers: setup.writers,
          readers: setup.readers,
          rate: flags.rate,
          concurrency: flags.concurrency,
          visibilityTimeoutMs,
          pollMs,
          operationTimeoutMs: setup.timeoutMs,
        }),
      present: renderRaw,
      progress: (o) =>
        o.type === 'visible'
          ? `raw: ${o.writer} → ${o.reader} lag ${Number(o.lagMs).toFixed(1)} ms`
          : undefined,
    });
  }
}
