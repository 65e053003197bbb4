import { formatDuration } from '../chaos/faults/duration.js';
import { readStatus, type StatusReport } from '../chaos/services/status.js';
import { GeoctlCommand } from '../cli/base-command.js';
import { table } from '../cli/presenters/table.js';
import { expiredWarning } from '../cli/run-fault.js';
import { openTopology } from '../cli/topology-context.js';
import { topologyFlags } from '../cli/topology-flags.js';

export default class Status extends GeoctlCommand {
  static override summary =
    'Show the links, their state, and the active faults with their age and time left.';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];
  static override flags = { ...topologyFlags };

  async run(): Promise<StatusReport> {
    const { flags } = await this.parse(Status);
    const ctx = await openTopology(flags);
    const now = Date.now();
    const server: StatusReport['server'] = {
      url: ctx.target.url,
      kind: ctx.target.kind,
      running: ctx.target.url !== undefined,
      ...(ctx.target.embedded ? { pid: ctx.target.embedded.pid } : {}),
    };
    if (!ctx.target.url) {
      const report: StatusReport = { server, proxies: [], faults: [], expired: [], foreign: [] };
      if (!this.jsonEnabled())
        this.log(
          `The embedded Toxiproxy server for ${ctx.topology.file} is not running. \`geoctl deploy\` starts it.`,
        );
      return report;
    }
    const status = await readStatus(ctx.driver(), ctx.topology, await ctx.journal.summaries(), now);
    const { version, ...rest } = status;
    const report: StatusReport = { server: { ...server, version }, ...rest };
    for (const fault of report.expired) this.note(expiredWarning(fault, now));
    if (!this.jsonEnabled()) this.log(await render(report, ctx.topology.file));
    return report;
  }
}

async function render(report: StatusReport, file: string): Promise<string> {
  const where =
    report.server.kind === 'embedded'
      ? `embedded Toxiproxy ${report.server.version} at ${report.server.url} (pid ${report.server.pid})`
      : `Toxiproxy ${report.server.version} at ${report.server.url}`;
  const rows = report.proxies.map((p) => [
    p.label,
    p.name,
    `${p.listen} → ${p.upstream}`,
    p.condition,
    [...p.faults, ...p.foreign.map((t) => `${t} (not geoctl's)`)].join('\n') || '-',
  ]);
  const lines = [
    `${file} on ${where}`,
    await table(['link', 'proxy', 'listen → upstream', 'state', 'faults'], rows),
  ];
  if (report.faults.length === 0) lines.push('No geoctl faults active.');
  else {
    const faultRows = report.faults.map((f) => [
      f.id,
      f.summary ?? f.kind,
      formatDuration(f.ageMs),
      f.remainingMs === undefined
        ? 'until healed'
        : f.expired
          ? `EXPIRED ${formatDuration(-f.remainingMs)} ago`
          : formatDuration(f.remainingMs),
      [...new Set(f.effects.map((e) => `${e.type} ${e.stream}`))].join('\n'),
    ]);
    lines.push(await table(['fault', 'what', 'age', 'time left', 'toxics'], faultRows));
  }
  return lines.join('\n');
}
