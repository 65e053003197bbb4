import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { GeoctlCommand } from '../cli/base-command.js';
import { REPORT_FORMAT_NAMES, type ReportFormatName } from '../report/formats/registry.js';
import { renderReport, writeReportFile } from '../report/render-report.js';
import type { RunSummary } from '../report/summary.js';

export default class Report extends GeoctlCommand {
  static override summary = 'Render a recorded run as a table, Markdown, JUnit XML, HTML or JSON.';
  static override description = `Reads the directory \`geoctl run --out\` wrote (run.json and observations.jsonl) and renders it, so any format can be produced later from the same run: lag percentiles per region pair, stale reads, conflicts, failover time and RPO, divergence and convergence, faults and phases, and every expectation with its measured value and resolution.

Formats: table (terminal summary, the default), md (for $GITHUB_STEP_SUMMARY), junit (one testcase per expectation), html (one self-contained file with charts, nothing fetched from the network), json (the summary document; schema in docs/report-schema.json). --json prints the summary document whatever --format says.`;

  static override examples = [
    '<%= config.bin %> report geoctl-runs/nightly',
    '<%= config.bin %> report geoctl-runs/nightly --format html --output report.html',
    '<%= config.bin %> report geoctl-runs/nightly --format md >> "$GITHUB_STEP_SUMMARY"',
    '<%= config.bin %> report geoctl-runs/nightly --format junit --output junit.xml',
  ];

  static override args = {
    dir: Args.string({ description: 'run directory written by `geoctl run --out`', required: true }),
  };

  static override flags = {
    format: Flags.string({
      char: 'f',
      description: 'report format',
      options: REPORT_FORMAT_NAMES,
      default: 'table',
    }),
    output: Flags.string({
      char: 'o',
      description: 'write the report to this file instead of stdout',
      helpValue: 'file',
    }),
  };

  async run(): Promise<RunSummary> {
    const { args, flags } = await this.parse(Report);
    const report = await renderReport(args.dir, flags.format as ReportFormatName);
    if (flags.output) {
      await writeReportFile(flags.output, report.text);
      this.note(`Wrote the ${report.format} report of ${report.dir} to ${resolve(flags.output)}`);
    } else if (!this.jsonEnabled()) process.stdout.write(report.text);
    return report.summary;
  }
}
