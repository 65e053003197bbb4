import { Flags } from '@oclif/core';
import { parseDuration } from '../../chaos/faults/duration.js';
import { faultToxics } from '../../chaos/services/geoctl-toxics.js';
import { resolveTarget } from '../../chaos/services/toxiproxy-target.js';
import { ToxiproxyDriver } from '../../chaos/toxiproxy-driver.js';
import { ProbeCommand, probeFlags } from '../../cli/probe-command.js';
import { renderDivergence } from '../../cli/presenters/probe-report.js';
import { runDivergenceProbe } from '../../probes/divergence-probe.js';
import { stateDir } from '../../state/state-dir.js';

export default class ProbeDivergence extends ProbeCommand {
  static override summary =
    'How many keys differ between regions over time, and how long they take to converge after a fault.';
  static override description = `Writes a fixed set of --keys in the writer regions at --rate; every --check it reads every key in every reader region and counts the keys that differ. It watches the topology's Toxiproxy for geoctl faults: when the last one ends, it follows the keys written before that moment until they agree everywhere, and reports that convergence time with its resolution.`;
  static override examples = [
    '<%= config.bin %> probe divergence --duration 2m',
    '<%= config.bin %> probe divergence --keys 500 --rate 100 --check 250ms',
  ];

  static override flags = {
    ...probeFlags,
    keys: Flags.integer({ description: 'size of the key set', default: 100, min: 1, max: 100_000 }),
    rate: Flags.integer({ description: 'writes per second', default: 50, min: 1 }),
    check: Flags.string({ description: 'compare all keys this often', default: '200ms' }),
  };

  async run() {
    const { flags } = await this.parse(ProbeDivergence);
    const checkIntervalMs = parseDuration(flags.check, '--check');
    return this.runProbe('divergence', flags, {
      defaultDurationMs: 30_000,
      allWritersByDefault: true,
      engine: async (ctx, setup) => {
        const target = await resolveTarget(setup.topology, { stateDir: stateDir() }).catch(() => undefined);
        const driver = target?.url ? new ToxiproxyDriver(target.url, { timeoutMs: 1_000 }) : undefined;
        return runDivergenceProbe(ctx, {
          writers: setup.writers,
          readers: setup.readers,
          keys: flags.keys,
          rate: flags.rate,
          checkIntervalMs,
          operationTimeoutMs: setup.timeoutMs,
          activeFaults: driver ? async () => faultToxics(await driver.listProxies()).length : undefined,
        });
      },
      present: renderDivergence,
      progress: (o) => (o.type === 'divergence' ? `divergence: ${o.divergent} keys differ` : undefined),
    });
  }
}
