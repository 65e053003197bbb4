import { Flags } from '@oclif/core';
import { parseDuration } from '../../chaos/faults/duration.js';
import { GeoctlError } from '../../errors.js';
import { ProbeCommand, probeFlags } from '../../cli/probe-command.js';
import { renderConflict } from '../../cli/presenters/probe-report.js';
import { runConflictProbe } from '../../probes/conflict-probe.js';

export default class ProbeConflict extends ProbeCommand {
  static override summary =
    'Concurrent writes to the same keys from several regions, classified once they converge.';
  static override description = `Each round writes one new key from every writer region at the same moment, then reads it everywhere until the regions agree: one winner (which region; the other acknowledged writes are lost updates), siblings kept, or never converged within --converge-timeout. Needs at least two writer regions (default: every region).`;
  static override examples = [
    '<%= config.bin %> probe conflict --writer us,eu --duration 1m',
    '<%= config.bin %> probe conflict --rate 5 --converge-timeout 30s',
  ];

  static override flags = {
    ...probeFlags,
    rate: Flags.integer({ description: 'conflicting rounds started per second', default: 5, min: 1 }),
    concurrency: Flags.integer({ description: 'rounds in flight at most', default: 64, min: 1 }),
    'converge-timeout': Flags.string({
      description: 'a key not agreed on after this long never converged',
      default: '30s',
    }),
    poll: Flags.string({ description: 'pause between reads while waiting for agreement', default: '10ms' }),
  };

  async run() {
    const { flags } = await this.parse(ProbeConflict);
    const convergeTimeoutMs = parseDuration(flags['converge-timeout'], '--converge-timeout');
    const pollMs = parseDuration(flags.poll, '--poll', { allowZero: true });
    return this.runProbe('conflict', flags, {
      defaultDurationMs: 30_000,
      allWritersByDefault: true,
      engine: (ctx, setup) => {
        if (setup.writers.length < 2) {
          throw new GeoctlError(
            'E_USAGE',
            `a conflict needs at least two writer regions; got ${setup.writers.join(', ')}`,
            {
              hint: 'Name them with --writer, e.g. --writer us-east,eu-west.',
            },
          );
        }
        return runConflictProbe(ctx, {
          writers: setup.writers,
          readers: setup.readers,
          rate: flags.rate,
          concurrency: flags.concurrency,
          convergeTimeoutMs,
          pollMs,
          operationTimeoutMs: setup.timeoutMs,
        });
      },
      present: renderConflict,
      progress: (o) =>
        o.type === 'conflict'
          ? `conflict: ${o.key}: ${o.resolution}${o.winner ? ` (${o.winner} won)` : ''}`
          : undefined,
    });
  }
}
