import { Flags } from '@oclif/core';
import { parseDuration } from '../../chaos/faults/duration.js';
import { ProbeCommand, probeFlags } from '../../cli/probe-command.js';
import { renderLag } from '../../cli/presenters/probe-report.js';
import { runLagProbe } from '../../probes/lag-probe.js';

export default class ProbeLag extends ProbeCommand {
  static override summary = 'Heartbeat replication lag per region pair, continuously (pt-heartbeat style).';
  static override description = `Each writer region rewrites a heartbeat key with its timestamp every --interval; every reader region reads it every --poll. Reports the delay of each heartbeat until first seen (with its resolution) and the age of the newest heartbeat seen; the age is also a Prometheus gauge (geoctl_heartbeat_lag_seconds) while it runs. Cheap enough to leave running: runs until Ctrl-C unless --duration is given.`;
  static override examples = [
    '<%= config.bin %> probe lag --metrics-port 9464',
    '<%= config.bin %> probe lag --writer us --region eu,ap --duration 10m',
  ];

  static override flags = {
    ...probeFlags,
    interval: Flags.string({ description: 'heartbeat write interval', default: '100ms' }),
    poll: Flags.string({ description: 'read interval per region', default: '10ms' }),
  };

  async run() {
    const { flags } = await this.parse(ProbeLag);
    const intervalMs = parseDuration(flags.interval, '--interval');
    const pollMs = parseDuration(flags.poll, '--poll');
    return this.runProbe('lag', flags, {
      defaultDurationMs: undefined,
      engine: (ctx, setup) =>
        runLagProbe(ctx, {
          writers: setup.writers,
          readers: setup.readers,
          intervalMs,
          pollMs,
          operationTimeoutMs: setup.timeoutMs,
        }),
      present: renderLag,
      progress: (o) =>
        o.type === 'heartbeat'
          ? `lag: ${o.writer} → ${o.reader} ${Number(o.delayMs).toFixed(1)} ms`
          : undefined,
    });
  }
}
