import { Flags } from '@oclif/core';
import { deploy, type DeployResult } from '../chaos/services/deploy.js';
import { GeoctlCommand } from '../cli/base-command.js';
import { table } from '../cli/presenters/table.js';
import { expiredWarning } from '../cli/run-fault.js';
import { faultViews } from '../chaos/services/status.js';
import { openTopology, type TopologyContext } from '../cli/topology-context.js';
import { topologyFlags } from '../cli/topology-flags.js';

export default class Deploy extends GeoctlCommand {
  /** Faults past their expiry that are still on the server: said on every command that looks. */
  private async warnExpired(ctx: TopologyContext): Promise<void> {
    const now = Date.now();
    const proxies = await ctx.driver().listProxies();
    const summaries = await ctx.journal.summaries();
    for (const fault of faultViews(proxies, summaries, now).filter((f) => f.expired))
      this.note(expiredWarning(fault, now));
  }

  static override summary = 'Create or fix the Toxiproxy proxies the topology describes.';
  static override description = `One proxy per region's client endpoint (geoctl.client.<region>) and one per replication link (geoctl.link.<from>.<to>). Missing proxies are created, those whose listen or upstream differ are updated, the rest left alone; each is reported as created, updated or unchanged. Safe to re-run, e.g. after the Toxiproxy server restarted.

With \`toxiproxy: embedded\`, deploy starts geoctl's own server in the background (its address is kept in the state directory) if it is not already running.`;

  static override examples = ['<%= config.bin %> deploy', '<%= config.bin %> deploy --dry-run --json'];

  static override flags = {
    ...topologyFlags,
    'dry-run': Flags.boolean({ description: 'show what would change, change nothing', default: false }),
  };

  async run(): Promise<DeployResult & { server: { kind: string; pid?: number } }> {
    const { flags } = await this.parse(Deploy);
    const ctx = await openTopology(flags, { startEmbedded: !flags['dry-run'] });
    const server = {
      kind: ctx.target.kind,
      ...(ctx.target.embedded ? { pid: ctx.target.embedded.pid } : {}),
    };
    if (!ctx.target.url) {
      // Dry run against an embedded server that is not running: everything would be created.
      const { proxiesFor } = await import('../topology/topology.js');
      const proxies = proxiesFor(ctx.topology).map((p) => ({
        name: p.name,
        purpose:
          p.purpose.kind === 'client'
            ? `clients → ${p.purpose.region}`
            : `${p.purpose.from} → ${p.purpose.to}`,
        listen: p.listen,
        upstream: p.upstream,
        action: 'created' as const,
        changes: [],
      }));
      const result = { url: '(embedded, not running)', dryRun: true, proxies, extra: [], server };
      if (!this.jsonEnabled()) this.log(await render(result));
      return result;
    }
    const result = { ...(await deploy(ctx.driver(), ctx.topology, flags['dry-run'])), server };
    if (!this.jsonEnabled()) this.log(await render(result));
    await this.warnExpired(ctx);
    return result;
  }
}

async function render(result: DeployResult & { server: { kind: string; pid?: number } }): Promise<string> {
  const verb = result.dryRun ? 'would be' : '';
  const counts = (['created', 'updated', 'unchanged'] as const)
    .map((action) => `${result.proxies.filter((p) => p.action === action).length} ${action}`)
    .join(', ');
  const where =
    result.server.kind === 'embedded'
      ? `embedded Toxiproxy at ${result.url}${result.server.pid ? ` (pid ${result.server.pid})` : ''}`
      : `Toxiproxy at ${result.url}`;
  const rows = result.proxies.map((p) => [
    p.purpose,
    p.name,
    p.listen,
    p.upstream,
    (result.dryRun && p.action !== 'unchanged' ? `${p.action} (dry run)` : p.action) +
      (p.changes.length > 0 ? `\n${p.changes.join('\n')}` : '') +
      (p.heldDown ? '\n(kept down by a geoctl fault)' : ''),
  ]);
  const lines = [
    `${result.dryRun ? 'Dry run against' : 'Deployed to'} ${where}: ${counts}${verb ? ` (${verb} applied without --dry-run)` : ''}.`,
    await table(['link', 'proxy', 'listen', 'upstream', 'action'], rows),
  ];
  if (result.extra.length > 0) lines.push(`Not in the topology (left alone): ${result.extra.join(', ')}.`);
  return lines.join('\n');
}
