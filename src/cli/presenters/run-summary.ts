import type { RunRecord } from '../../report/run-results.js';
import { table } from './table.js';

/** The end of `geoctl run`: expectations first, then the faults, then where the results and reports are. */
export async function renderRunSummary(
  record: RunRecord,
  out: string,
  reports: string[] = [],
): Promise<string> {
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
