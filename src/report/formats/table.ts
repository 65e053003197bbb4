import { count, duration } from '../figures.js';
import { table } from '../text-table.js';
import type { RunSummary } from '../summary.js';
import {
  conflictRows,
  failoverRows,
  at,
  expectationsByConcern,
  lagByPhaseRows,
  lagTableRows,
  measuredText,
  resolutionText,
  STATUS_LABEL,
  thresholdText,
  convergenceText,
} from './common.js';
import type { ReportFormat } from './format.js';

/** The terminal summary: expectations, lag per pair, stale reads, conflicts, failover and RPO, faults. */
async function render(s: RunSummary): Promise<string> {
  const out: string[] = [
    `${s.scenario.name}: ${s.outcome.status.toUpperCase()} (exit ${s.outcome.exitCode}) in ${duration(s.durationMs)}; ${s.outcome.message}`,
  ];
  if (s.expectations.length > 0)
    out.push(
      await table(
        ['', 'expectation', 'measured', 'threshold', 'resolution'],
        expectationsByConcern(s).map((e) => [
          STATUS_LABEL[e.status],
          e.text,
          measuredText(e),
          thresholdText(e),
          resolutionText(e) || '-',
        ]),
      ),
    );
  if (s.visibility.pairs.length > 0 || s.heartbeat.pairs.length > 0) {
    const rows = lagTableRows(s);
    out.push(
      await table(
        ['lag (ms)', 'probe', 'n', 'p50', 'p90', 'p99', 'max', 'res.', 'stale reads', 'never seen'],
        rows,
      ),
    );
    const phaseRows = lagByPhaseRows(s);
    if (phaseRows.length > 0)
      out.push(
        await table(['lag by phase (ms)', 'probe', 'phase', 'n', 'p50', 'p90', 'p99', 'max'], phaseRows),
      );
  }
  if (s.conflicts.length > 0)
    out.push(
      await table(
        ['conflicts', 'rounds', 'winner', 'siblings', 'never converged', 'lost updates', 'converged p50'],
        conflictRows(s),
      ),
    );
  if (s.failover.length > 0)
    out.push(
      await table(['failover', 'writes ok/fail/indet.', 'failover time', 'RPO'], failoverRows(s, '/')),
    );
  if (s.divergence.length > 0)
    out.push(
      await table(
        ['divergence', 'checks', 'max divergent keys', 'convergence after each heal'],
        s.divergence.map((d) => [
          d.probe,
          String(d.checks),
          count(d.maxDivergent ?? undefined),
          d.episodes.map(convergenceText).join(', ') || '-',
        ]),
      ),
    );
  if (s.faults.length > 0)
    out.push(
      await table(
        ['fault', 'what', 'injected', 'healed'],
        s.faults.map((f) => [
          f.id,
          f.summary,
          at(s, f.injectedAt),
          f.healedAt === null ? 'NOT HEALED' : `${at(s, f.healedAt)} (${f.healedBy})`,
        ]),
      ),
    );
  for (const p of s.probes) if (p.error) out.push(`probe ${p.name} failed: ${p.error}`);
  if (s.observations.tornLastLine)
    out.push(
      'The last line of observations.jsonl was cut off (geoctl stopped while writing it) and skipped.',
    );
  return `${out.join('\n')}\n`;
}

const format: ReportFormat = {
  name: 'table',
  description: 'a terminal summary (the default)',
  extension: 'txt',
  render,
};
export default format;
