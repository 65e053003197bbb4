import { Args, Flags } from '@oclif/core';
import { heal, type HealResult } from '../chaos/services/heal.js';
import { GeoctlCommand } from '../cli/base-command.js';
import { renderHeal } from '../cli/presenters/heal-report.js';
import { overallVerdict } from '../cli/presenters/verification-table.js';
import { waitForShutdownSignal } from '../cli/signals.js';
import { openTopology } from '../cli/topology-context.js';
import { topologyFlags } from '../cli/topology-flags.js';
import { ExitCode, GeoctlError } from '../errors.js';
import { resolveRegionGroup } from '../topology/resolve-region.js';

export default class Heal extends GeoctlCommand {
  static override summary = 'Remove the faults geoctl injected.';
  static override description = `Without arguments, removes every fault geoctl injected on the Toxiproxy server (found by the names of its toxics, so this works after geoctl was killed or its state directory lost), and re-enables proxies a "down" fault disabled. With two regions (or groups), only the links between them; with --fault, one fault. Toxics geoctl did not create are left alone; --all resets the whole server (every toxic removed, every proxy enabled).

Afterwards a probe connection through each healed proxy shows traffic flows again.`;

  static override examples = [
    '<%= config.bin %> heal',
    '<%= config.bin %> heal us-east eu-west',
    '<%= config.bin %> heal --fault k3f9a2x1',
    '<%= config.bin %> heal --all',
  ];

  static override args = {
    a: Args.string({ description: 'region or comma-separated regions on one side' }),
    b: Args.string({ description: 'region or comma-separated regions on the other side' }),
  };

  static override flags = {
    ...topologyFlags,
    fault: Flags.string({ description: 'heal only this fault (its id, as printed when injected)' }),
    all: Flags.boolean({
      description: 'reset the whole Toxiproxy server, including toxics geoctl did not create',
      default: false,
      exclusive: ['fault'],
    }),
    verify: Flags.boolean({
      description: 'check with a probe connection that traffic flows again',
      default: true,
      allowNo: true,
    }),
    at: Flags.integer({
      hidden: true,
      description: 'wait until this time (Unix ms), then heal (background healer)',
    }),
  };

  async run(): Promise<HealResult & { verdict: string }> {
    const { args, flags } = await this.parse(Heal);
    if ((args.a === undefined) !== (args.b === undefined)) {
      throw new GeoctlError('E_USAGE', 'heal takes two regions (or groups), or none', {
        hint: 'e.g. `geoctl heal us-east eu-west`, or `geoctl heal` for every geoctl fault.',
      });
    }
    if (flags.all && args.a !== undefined) {
      throw new GeoctlError('E_USAGE', '--all resets the whole server; it cannot be limited to two regions', {
        hint: 'Use `geoctl heal A B` for the links between two regions.',
      });
    }
    const ctx = await openTopology(flags);
    const between =
      args.a !== undefined && args.b !== undefined
        ? {
            a: resolveRegionGroup(ctx.topology, args.a).map((r) => r.name),
            b: resolveRegionGroup(ctx.topology, args.b).map((r) => r.name),
          }
        : undefined;
    if (flags.at !== undefined) await waitUntil(flags.at);
    if (!ctx.target.url) {
      const empty: HealResult = {
        url: '',
        resetAll: false,
        removed: [],
        reenabled: [],
        faults: [],
        foreignLeft: 0,
        verification: [],
      };
      this.note('Nothing to heal: the embedded Toxiproxy server is not running (its faults went with it).');
      return { ...empty, verdict: 'skipped' };
    }
    const result = await heal(
      ctx.driver(),
      ctx.topology,
      { faultId: flags.fault, between, all: flags.all },
      { verify: flags.verify },
    );
    for (const id of result.faults)
      await ctx.journal.append({ event: 'healed', id, at: Date.now(), how: flags.at ? 'healer' : 'heal' });
    const verdict = overallVerdict(result.verification);
    if (!this.jsonEnabled()) this.log(await renderHeal(result));
    if (verdict === 'failed') process.exitCode = ExitCode.expectationFailed;
    return { ...result, verdict };
  }
}

/** The background healer's wait; SIGTERM or SIGINT end it early (and the heal still happens). */
async function waitUntil(at: number): Promise<void> {
  const shutdown = waitForShutdownSignal();
  let timer: NodeJS.Timeout | undefined;
  const due = new Promise<void>((resolve) => {
    const arm = (): void => {
      const left = at - Date.now();
      if (left <= 0) return resolve();
      timer = setTimeout(arm, Math.min(left, 2 ** 30));
    };
    arm();
  });
  try {
    await Promise.race([due, shutdown.promise]);
  } finally {
    clearTimeout(timer);
    shutdown.cancel();
  }
}
