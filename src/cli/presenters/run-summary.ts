import { renderReport } from '../../report/render-report.js';
import type { RunRecord } from '../../report/run-results.js';
import { table } from './table.js';

/**
 * The end of `geoctl run` and of each demo game day: the `table` report of the recorded run (expectations,
 * lag per pair and per phase, conflicts, divergence, failover and RPO, faults), then the outcome and where
 * the results and reports are. Should the recording be unreadable, the expectations and faults alone.
 */
export async function renderRunSummary(
  record: RunRecord,
  out: string,
  reports: string[] = [],
): Promise<string> {
  const report = await renderReport(out, 'table').then(
    (r) => r.text.trimEnd(),
    () => undefined,
  );
  const lines: string[] = report === undefined ? await briefSummary(record) : [report];
  for (const [name, probe] of Object.entries(record.probes))
    if (probe.error) lines.push(`probe ${name} failed: ${probe.error}`);
  lines.push(
    `${record.outcome.status.toUpperCase()}: ${record.outcome.message} (exit ${record.outcome.exitCode})`,
  );
  lines.push(
    reports.length > 0
      ? `Results in ${out}; reports: ${reports.join(', ')}. \`geoctl report ${out} --format junit\` renders JUnit XML for CI.`
      : `Results in ${out}; \`geoctl report ${out} --format html --output report.html\` renders them.`,
  );
  return lines.join('\n');
}

async function briefSummary(record: RunRecord): Promise<string[]> {
  const lines: string[] = [];
  if (record.expectations.length > 0) {
    const rows = record.expectations.map((e) => [
      e.status === 'pass' ? 'PASS' : e.status === 'fail' ? 'FAIL' : 'INDETERMINATE',
      e.text,
      e.message,
    ]);
    lines.push(await table(['', 'expectation', 'result'], rows));
  }
  if (record.faults.length > 0) {
    const rows = record.faults.map((f) => [
      f.id,
      f.summary,
      `${((f.injectedAt - record.startedAt) / 1000).toFixed(1)}s`,
      f.healedAt === undefined
        ? 'NOT HEALED'
        : `${((f.healedAt - record.startedAt) / 1000).toFixed(1)}s (${f.healedBy})`,
    ]);
    lines.push(await table(['fault', 'what', 'injected', 'healed'], rows));
  }
  return lines;
}
