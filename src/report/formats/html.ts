import { renderChart, esc, type ChartBand } from '../charts/svg-chart.js';
import { count, duration, ms } from '../figures.js';
import type { RunSummary } from '../summary.js';
import {
  conflictRows,
  failoverRows,
  at,
  convergenceText,
  expectationsByConcern,
  isoTime,
  measuredText,
  neverSeenText,
  pairLabel,
  percentiles,
  ratio,
  resolutionMs,
  resolutionText,
  STATUS_LABEL,
  thresholdText,
} from './common.js';
import type { ReportFormat } from './format.js';

const MAX_ROWS = 500;

/**
 * One self-contained HTML file: inline CSS and inline SVG charts, no script, nothing fetched from the
 * network. Charts: lag over time per region pair with the fault windows shaded and labelled; write
 * availability over time (the failover probe's writes per bucket) with the failover gap and the lost
 * writes marked; divergence over time. Every piece of text from the run is escaped.
 */
function render(s: RunSummary): string {
  const body: string[] = [];
  body.push(
    `<header><h1>${esc(s.scenario.name)} <span class="badge ${esc(s.outcome.status)}">${esc(s.outcome.status.toUpperCase())}</span></h1>`,
    s.scenario.description ? `<p class="description">${esc(s.scenario.description)}</p>` : '',
    `<p>${esc(s.outcome.message)} (exit ${s.outcome.exitCode}). Started ${esc(isoTime(s.startedAt))}, ran ${esc(duration(s.durationMs))}. ` +
      `${s.counts.pass} passed, ${s.counts.fail} failed, ${s.counts.indeterminate} indeterminate.</p>`,
    `<p class="meta">Scenario ${esc(s.scenario.file)} · topology ${esc(s.topology)} · Toxiproxy ${esc(s.toxiproxy)}</p></header>`,
  );
  if (s.expectations.length > 0)
    body.push(
      '<section><h2>Expectations</h2>',
      table(
        ['', 'Expectation', 'Measured', 'Threshold', 'Resolution', 'Result'],
        expectationsByConcern(s).map((e) => [
          { html: `<span class="status ${e.status}">${esc(STATUS_LABEL[e.status])}</span>` },
          e.text,
          measuredText(e),
          thresholdText(e),
          resolutionText(e) || '-',
          e.message,
        ]),
        'expectations',
      ),
      '</section>',
    );
  body.push(charts(s));
  body.push(figures(s));
  body.push(timeline(s));
  body.push(
    `<footer>geoctl report · ${esc(s.schema)} · ${s.observations.count} observations · time series in ${esc(duration(s.series.bucketMs))} buckets · percentiles within ±${(s.precision.histogramRelativeError * 100).toFixed(1)}% plus each figure's resolution</footer>`,
  );
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No script, no network: the policy says so to the browser too.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>geoctl report: ${esc(s.scenario.name)} (${esc(s.outcome.status)})</title>`,
    `<style>${STYLE}</style></head><body>`,
    ...body.filter((b) => b !== ''),
    '</body></html>',
    '',
  ].join('\n');
}

function timeline(s: RunSummary): string {
  if (s.phases.length === 0 && s.faults.length === 0) return '';
  const rows = [
    ...s.phases.map((p) => ({ t: p.start, row: [at(s, p.start), `phase ${p.name}`, at(s, p.end), ''] })),
    ...s.faults.map((f) => ({
      t: f.injectedAt,
      row: [
        at(s, f.injectedAt),
        `fault ${f.summary} (${f.id})`,
        f.healedAt === null ? 'NOT HEALED' : `${at(s, f.healedAt)} (${f.healedBy})`,
        f.injectUncertaintyMs === null ? '' : `took effect within ${duration(f.injectUncertaintyMs)} before`,
      ],
    })),
  ].sort((a, b) => a.t - b.t);
  // A long timeline is folded away; the charts show it too.
  return `<section><h2>Timeline</h2><details${rows.length <= 30 ? ' open' : ''}><summary>${s.phases.length} phases, ${s.faults.length} faults</summary>${table(
    ['When', 'What', 'Until', 'Uncertainty'],
    rows.map((r) => r.row),
    'entries',
  )}</details></section>`;
}

function charts(s: RunSummary): string {
  const bucketMs = s.series.bucketMs;
  const xMaxMs = s.durationMs;
  const faultBands: ChartBand[] = s.faults.map((f) => ({
    from: f.injectedAt - s.startedAt,
    to: (f.healedAt ?? s.endedAt) - s.startedAt,
    label: f.summary,
    cls: `fault-window fault-${f.kind.replace(/[^a-z0-9-]/gi, '')}`,
    title: `${f.summary}: ${at(s, f.injectedAt)} to ${f.healedAt === null ? 'the end (not healed)' : at(s, f.healedAt)}`,
  }));
  const ticks = s.phases.map((p) => ({ at: p.start - s.startedAt, label: p.name }));
  const out: string[] = [];
  let n = 0;
  const lagCharts = s.series.lag.map((series) =>
    figure(
      renderChart({
        id: `chart-${++n}`,
        title: `${series.source === 'visibility' ? 'Visibility lag' : 'Heartbeat lag'} ${pairLabel(series)} (${series.probe})`,
        description: `Mean and max ${series.source} lag per ${duration(bucketMs)}, with the fault windows shaded.`,
        yLabel: 'lag (ms)',
        xMaxMs,
        bucketMs,
        bands: faultBands,
        ticks,
        lines: [
          { label: 'max', cls: 'lag-max', points: series.points.map((p) => [p.t, p.max]) },
          { label: 'mean', cls: 'lag-mean', points: series.points.map((p) => [p.t, p.mean]) },
        ],
        yFormat: (v) => ms(v),
      }),
    ),
  );
  if (lagCharts.length > 0) out.push('<h3>Replication lag over time</h3>', ...lagCharts);
  for (const series of s.series.availability) {
    const report = s.failover.find((f) => f.probe === series.probe);
    const bands: ChartBand[] = [...faultBands];
    if (report?.failover)
      bands.push({
        from: report.failover.from.at - s.startedAt,
        to: report.failover.to.at - s.startedAt,
        label: `failover ${duration(report.failover.durationMs)} (±${duration(report.failover.resolutionMs)})`,
        cls: 'failover-gap',
        title: `No acknowledged write from ${at(s, report.failover.from.at)} (seq ${report.failover.from.seq} in ${report.failover.from.region}) to ${at(s, report.failover.to.at)} (seq ${report.failover.to.seq} in ${report.failover.to.region})`,
      });
    const lost = report?.rpo.lostWrites ?? series.points.reduce((a, p) => a + p.lost, 0);
    if (report && lost > 0 && report.rpo.firstLostAt !== null && report.rpo.lastLostAt !== null)
      bands.push({
        from: report.rpo.firstLostAt - s.startedAt,
        to: report.rpo.lastLostAt - s.startedAt,
        label: `${lost} lost writes`,
        cls: 'lost-writes',
        title: `${lost} acknowledged writes lost (seq ${report.rpo.lostSeqRanges})`,
      });
    out.push(
      '<h3>Write availability</h3>',
      figure(
        renderChart({
          id: `chart-${++n}`,
          title: `Write availability (${series.probe})`,
          description: `Writes per ${duration(bucketMs)} by outcome; acknowledged writes later found lost in red; the failover gap and the span of lost writes marked.`,
          yLabel: `writes per ${duration(bucketMs)}`,
          xMaxMs,
          bucketMs,
          bands,
          ticks,
          bars: [
            {
              label: 'acknowledged, kept',
              cls: 'writes-ok',
              points: series.points.map((p) => [p.t, Math.max(0, p.ok - p.lost)]),
            },
            {
              label: 'acknowledged, then lost',
              cls: 'writes-lost',
              points: series.points.map((p) => [p.t, p.lost]),
            },
            { label: 'refused', cls: 'writes-fail', points: series.points.map((p) => [p.t, p.fail]) },
            {
              label: 'indeterminate',
              cls: 'writes-indeterminate',
              points: series.points.map((p) => [p.t, p.indeterminate]),
            },
          ],
          marks: series.points
            .filter((p) => p.lost > 0)
            .map((p) => ({
              at: p.t,
              width: bucketMs,
              cls: 'lost-write-mark',
              title: `${p.lost} acknowledged write${p.lost === 1 ? '' : 's'} from here lost`,
            })),
        }),
      ),
    );
  }
  for (const series of s.series.divergence) {
    const report = s.divergence.find((d) => d.probe === series.probe);
    const bands = [...faultBands];
    for (const e of report?.episodes ?? [])
      bands.push({
        from: e.faultEndedAt - s.startedAt,
        to: e.faultEndedAt - s.startedAt + (e.convergedAfterMs ?? s.endedAt - e.faultEndedAt),
        label: e.convergedAfterMs === null ? 'never converged' : `converged in ${convergenceText(e)}`,
        cls: 'convergence',
      });
    out.push(
      '<h3>Divergence</h3>',
      figure(
        renderChart({
          id: `chart-${++n}`,
          title: `Divergent keys (${series.probe})`,
          description: `The most keys that read differently across regions in each ${duration(bucketMs)}, with the fault windows and the convergence after each heal.`,
          yLabel: 'divergent keys',
          xMaxMs,
          bucketMs,
          bands,
          ticks,
          lines: [
            {
              label: 'divergent keys',
              cls: 'divergent',
              points: series.points.map((p) => [p.t, p.divergent]),
            },
          ],
        }),
      ),
    );
  }
  return out.length === 0 ? '' : `<section><h2>Charts</h2>${out.join('\n')}</section>`;
}

function figures(s: RunSummary): string {
  const out: string[] = [];
  const lagRows = [
    ...s.visibility.pairs.flatMap((p) => [
      [
        pairLabel(p),
        'visibility',
        'all',
        String(p.lag.count),
        ...percentiles(p.lag),
        resolutionMs(p.resolutionMs),
        `${p.staleReads} (${ratio(p.staleRatio)})`,
        neverSeenText(p),
      ],
      ...p.byPhase.map((ph) => [
        '',
        '',
        ph.phase,
        String(ph.lag.count),
        ...percentiles(ph.lag),
        resolutionMs(ph.resolutionMs),
        '',
        '',
      ]),
    ]),
    ...s.heartbeat.pairs.flatMap((p) => [
      [
        pairLabel(p),
        'heartbeat',
        'all',
        String(p.lag.count),
        ...percentiles(p.lag),
        resolutionMs(p.resolutionMs),
        '',
        '',
      ],
      ...p.byPhase.map((ph) => [
        '',
        '',
        ph.phase,
        String(ph.lag.count),
        ...percentiles(ph.lag),
        resolutionMs(ph.resolutionMs),
        '',
        '',
      ]),
    ]),
  ];
  if (lagRows.length > 0)
    out.push(
      '<h3>Replication lag (ms)</h3>',
      table(
        [
          'Pair',
          'Probe',
          'Phase',
          'n',
          'p50',
          'p90',
          'p99',
          'max',
          'Resolution',
          'Stale reads',
          'Never seen',
        ],
        lagRows,
        'rows',
      ),
    );
  if (s.failover.length > 0)
    out.push(
      '<h3>Failover and RPO</h3>',
      table(['Probe', 'Writes ok / fail / indeterminate', 'Failover time', 'RPO'], failoverRows(s), 'probes'),
    );
  if (s.conflicts.length > 0)
    out.push(
      '<h3>Conflicts</h3>',
      table(
        ['Probe', 'Rounds', 'Winner', 'Siblings', 'Never converged', 'Lost updates', 'Converged p50'],
        conflictRows(s),
        'probes',
      ),
    );
  if (s.divergence.length > 0)
    out.push(
      '<h3>Divergence</h3>',
      table(
        ['Probe', 'Checks', 'Check interval', 'Max divergent keys', 'Convergence after each heal'],
        s.divergence.map((d) => [
          d.probe,
          String(d.checks),
          duration(d.checkIntervalMs ?? undefined),
          count(d.maxDivergent ?? undefined),
          d.episodes.map(convergenceText).join(', ') || '-',
        ]),
        'probes',
      ),
    );
  const failed = s.probes.filter((p) => p.error);
  if (failed.length > 0)
    out.push(
      `<ul class="errors">${failed.map((p) => `<li>probe ${esc(p.name)} failed: ${esc(p.error!)}</li>`).join('')}</ul>`,
    );
  return out.length === 0 ? '' : `<section><h2>Figures</h2>${out.join('\n')}</section>`;
}

/** The chart with its title as a visible caption (the SVG's <title> is only a tooltip). */
function figure(svg: string): string {
  const title = /<title id="[^"]*">([^<]*)<\/title>/.exec(svg)?.[1] ?? '';
  return `<figure><figcaption>${title}</figcaption>${svg}</figure>`;
}

type Cell = string | { html: string };

function table(head: string[], rows: Cell[][], noun: string): string {
  const shown = rows.slice(0, MAX_ROWS);
  const cell = (c: Cell): string => (typeof c === 'string' ? esc(c) : c.html);
  return [
    '<table><thead><tr>',
    ...head.map((h) => `<th>${esc(h)}</th>`),
    '</tr></thead><tbody>',
    ...shown.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`),
    '</tbody></table>',
    rows.length > MAX_ROWS
      ? `<p class="meta">…and ${rows.length - MAX_ROWS} more ${esc(noun)} (see the JSON report).</p>`
      : '',
  ].join('');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1000px;color:#1f2328;background:#fff;padding:0 16px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.badge{font-size:13px;padding:2px 8px;border-radius:10px;vertical-align:middle;color:#fff;background:#6e7781}
.badge.passed{background:#1a7f37}.badge.failed{background:#cf222e}.badge.indeterminate{background:#9a6700}.badge.error{background:#8250df}
.meta,.description,footer{color:#57606a}footer{margin-top:32px;font-size:12px}
table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
.status{font-weight:600}.status.pass{color:#1a7f37}.status.fail{color:#cf222e}.status.indeterminate{color:#9a6700}
figure{margin:8px 0 16px}figcaption{font-weight:600;font-size:13px;margin-bottom:2px}svg.chart{max-width:100%;height:auto;font:11px system-ui,sans-serif;background:#fff}
.grid{stroke:#eaeef2}.axis{stroke:#57606a}.axis-label{fill:#57606a}.axis-title{fill:#57606a}
.fault-window{fill:#cf222e;fill-opacity:.10}.fault-latency,.fault-bandwidth{fill:#bf8700;fill-opacity:.14}
.band-edge{stroke:#8c959f;stroke-dasharray:2 2}.band-label{fill:#24292f;font-weight:600}
.failover-gap{fill:#8250df;fill-opacity:.22}.lost-writes{fill:#cf222e;fill-opacity:.18}.convergence{fill:#1a7f37;fill-opacity:.14}
.phase-tick line{stroke:#8c959f;stroke-dasharray:4 3}.phase-label{fill:#57606a;font-style:italic}
.line{fill:none;stroke-width:1.6}.lag-mean{stroke:#0969da}.lag-max{stroke:#54aeff;stroke-dasharray:3 2}.divergent{stroke:#8250df}
.writes-ok rect,.swatch.writes-ok{fill:#2da44e}.writes-lost rect,.swatch.writes-lost{fill:#cf222e}.writes-fail rect,.swatch.writes-fail{fill:#bf8700}.writes-indeterminate rect,.swatch.writes-indeterminate{fill:#8c959f}
.lost-write-mark{fill:#cf222e;fill-opacity:.35}
.swatch-line.lag-mean{fill:#0969da}.swatch-line.lag-max{fill:#54aeff}.swatch-line.divergent{fill:#8250df}
`;

const format: ReportFormat = {
  name: 'html',
  description: 'one self-contained HTML file with inline SVG charts (no network)',
  extension: 'html',
  render,
};
export default format;
