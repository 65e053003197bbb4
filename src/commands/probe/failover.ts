import { Flags } from '@oclif/core';
import { parseDuration } from '../../chaos/faults/duration.js';
import { ProbeCommand, probeFlags } from '../../cli/probe-command.js';
import { renderFailover } from '../../cli/presenters/probe-report.js';
import { runFailoverProbe } from '../../probes/failover-probe.js';

export default class ProbeFailover extends ProbeCommand {
  static override summary =
    'Failover time and RPO (acknowledged writes lost) from a stream of numbered writes.';
  static override description = `Writes sequence-numbered keys to the write endpoint every --interval; when it refuses or does not answer, tries the next region, so the stream follows a failover. At the end (Ctrl-C or --duration) it waits --settle, reads every acknowledged write back where the stream last succeeded, and reports the longest gap between acknowledged writes (the failover time) and the acknowledged writes that are missing (the RPO), with indeterminate writes apart. --writer sets the order of candidate regions (default: the primary first, then the others).`;
  static override examples = [
    '<%= config.bin %> probe failover',
    '<%= config.bin %> probe failover --interval 5ms --duration 2m --out failover.jsonl',
  ];

  static override flags = {
    ...probeFlags,
    interval: Flags.string({ description: 'pause between writes', default: '10ms' }),
    settle: Flags.string({
      description: 'wait this long for replication before the read-back',
      default: '2s',
    }),
  };

  async run() {
    const { flags } = await this.parse(ProbeFailover);
    const intervalMs = parseDuration(flags.interval, '--interval', { allowZero: true });
    const settleMs = parseDuration(flags.settle, '--settle', { allowZero: true });
    return this.runProbe('failover', flags, {
      defaultDurationMs: undefined,
      engine: (ctx, setup) => {
        const candidates = [
          ...setup.writers,
          ...setup.topology.regions.map((r) => r.name).filter((r) => !setup.writers.includes(r)),
        ];
        return runFailoverProbe(ctx, {
          writers: candidates,
          intervalMs,
          operationTimeoutMs: setup.timeoutMs,
          settleMs,
        });
      },
      present: renderFailover,
      progress: (o) =>
        o.type === 'write' ? `failover: write #${o.seq} in ${o.region}: ${o.outcome}` : undefined,
      finalMetrics: (summary, metrics) => {
        if (summary.failover) metrics.failoverSeconds.set(summary.failover.seconds);
        metrics.rpoLostWrites.set(summary.rpo.lostWrites);
      },
    });
  }
}
