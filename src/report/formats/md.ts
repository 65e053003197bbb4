import { count, duration } from '../figures.js';
import type { RunSummary } from '../summary.js';
import {
  conflictRows,
  failoverRows,
  at,
  clip,
  convergenceText,
  expectationsByConcern,
  isoTime,
  lagByPhaseRows,
  lagTableRows,
  measuredText,
  resolutionText,
  STATUS_LABEL,
  thresholdText,
} from './common.js';
import type { ReportFormat } from './format.js';

/** GitHub allows 1 MiB per step summary; stay far below it whatever the run's size. */
export const MAX_MARKDOWN_BYTES = 256 * 1024;
/** Rows per table; the rest is counted, and the JSON report has it all. */
export const MAX_ROWS = 100;
const MAX_CELL = 300;

const ICON = { pass: '✅', fail: '❌', indeterminate: '⚠️' } as const;
const OUTCOME_ICON: Record<RunSummary['outcome']['status'], string> = {
  passed: '✅',
  failed: '❌',
  indeterminate: '⚠️',
  error: '💥',
  interrupted: '⏹️',
};

/** For $GITHUB_STEP_SUMMARY and pull-request comments: expectations first, every list capped. */
function render(s: RunSummary): string {
  const out: string[] = [];
  out.push(
    `## ${OUTCOME_ICON[s.outcome.status]} geoctl run ${cell(s.scenario.name)}: ${s.outcome.status.toUpperCase()}`,
    '',
    `${cell(s.outcome.message)} (exit ${s.outcome.exitCode}). ${s.counts.pass} passed, ${s.counts.fail} failed, ${s.counts.indeterminate} indeterminate.`,
    '',
  );
  if (s.expectations.length > 0) {
    out.push('### Expectations', '');
    out.push(
      ...rows(
        ['', 'Expectation', 'Measured', 'Threshold', 'Resolution', 'Result'],
        expectationsByConcern(s).map((e) => [
          `${ICON[e.status]} ${STATUS_LABEL[e.status]}`,
          e.text,
          measuredText(e),
          thresholdText(e),
          resolutionText(e) || '-',
          e.message,
        ]),
        'expectations',
      ),
    );
  }
  out.push(
    `Started ${isoTime(s.startedAt)}, ran ${duration(s.durationMs)}${s.scenario.description ? `: ${cell(s.scenario.description)}` : ''}`,
    '',
  );
  if (s.faults.length > 0 || s.phases.length > 0) {
    out.push('### Timeline', '');
    out.push(
      ...rows(
        ['When', 'What', 'Until'],
        [
          ...s.phases.map((p) => ({ t: p.start, row: [at(s, p.start), `phase ${p.name}`, at(s, p.end)] })),
          ...s.faults.map((f) => ({
            t: f.injectedAt,
            row: [
              at(s, f.injectedAt),
              `fault ${f.summary}`,
              f.healedAt === null ? '**NOT HEALED**' : `${at(s, f.healedAt)} (${f.healedBy})`,
            ],
          })),
        ]
          .sort((a, b) => a.t - b.t)
          .map((r) => r.row),
        'timeline entries',
      ),
    );
  }
  const lagRows = lagTableRows(s);
  if (lagRows.length > 0) {
    out.push('### Replication lag (ms)', '');
    out.push(
      ...rows(
        ['Pair', 'Probe', 'n', 'p50', 'p90', 'p99', 'max', 'Resolution', 'Stale reads', 'Never seen'],
        lagRows,
        'pairs',
      ),
    );
    const phaseRows = lagByPhaseRows(s);
    if (phaseRows.length > 0) {
      out.push('<details><summary>Lag by phase</summary>', '');
      out.push(...rows(['Pair', 'Probe', 'Phase', 'n', 'p50', 'p90', 'p99', 'max'], phaseRows, 'rows'));
      out.push('</details>', '');
    }
  }
  if (s.failover.length > 0) {
    out.push('### Failover and RPO', '');
    out.push(
      ...rows(
        ['Probe', 'Writes ok / fail / indeterminate', 'Failover time', 'RPO'],
        failoverRows(s),
        'probes',
      ),
    );
  }
  if (s.conflicts.length > 0) {
    out.push('### Conflicts', '');
    out.push(
      ...rows(
        ['Probe', 'Rounds', 'Winner', 'Siblings', 'Never converged', 'Lost updates', 'Converged p50'],
        conflictRows(s),
        'probes',
      ),
    );
  }
  if (s.divergence.length > 0) {
    out.push('### Divergence', '');
    out.push(
      ...rows(
        ['Probe', 'Checks', 'Max divergent keys', 'Convergence after each heal'],
        s.divergence.map((d) => [
          d.probe,
          String(d.checks),
          count(d.maxDivergent ?? undefined),
          clip(d.episodes.map(convergenceText).join(', ') || '-', MAX_CELL),
        ]),
        'probes',
      ),
    );
  }
  const failed = s.probes.filter((p) => p.error);
  if (failed.length > 0)
    out.push(
      ...failed.slice(0, MAX_ROWS).map((p) => `- probe ${code(p.name)} failed: ${cell(p.error!)}`),
      '',
    );
  if (s.outcome.leftBehind.length > 0)
    out.push(`**Faults left behind:** ${cell(s.outcome.leftBehind.join(', '))}; run \`geoctl heal\`.`, '');
  out.push(`<sub>geoctl report · ${s.schema} · ${s.observations.count} observations</sub>`, '');
  return capped(out.join('\n'));
}

/** A Markdown table with at most MAX_ROWS rows. */
function rows(head: string[], body: string[][], noun: string): string[] {
  const lines = [`| ${head.map(cell).join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const r of body.slice(0, MAX_ROWS)) lines.push(`| ${r.map(cell).join(' | ')} |`);
  if (body.length > MAX_ROWS)
    lines.push(
      '',
      `_…and ${body.length - MAX_ROWS} more ${noun}; \`geoctl report --format json\` has them all._`,
    );
  lines.push('');
  return lines;
}

/** Text safe in a table cell: no pipes, no line breaks, no HTML, no control characters. */
function cell(text: string): string {
  return clip(withoutControls(text), MAX_CELL)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  return clip(withoutControls(text), 120).replace(/`/g, "'");
}

function withoutControls(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c < 0xa0) ? (c === 0x9 || c === 0xa ? ' ' : '') : ch;
  }
  return out;
}

/** A hard stop, should the caps above ever not suffice. */
function capped(text: string): string {
  if (Buffer.byteLength(text) <= MAX_MARKDOWN_BYTES) return text;
  let cut = text.slice(0, MAX_MARKDOWN_BYTES - 200);
  while (Buffer.byteLength(cut) > MAX_MARKDOWN_BYTES - 200) cut = cut.slice(0, -1000);
  cut = cut.slice(0, cut.lastIndexOf('\n'));
  return `${cut}\n\n_The summary was cut at ${MAX_MARKDOWN_BYTES / 1024} KiB; \`geoctl report --format json\` has it all._\n`;
}

const format: ReportFormat = {
  name: 'md',
  description: 'Markdown for $GITHUB_STEP_SUMMARY or a pull request (capped well under 1 MiB)',
  extension: 'md',
  render,
};
export default format;
