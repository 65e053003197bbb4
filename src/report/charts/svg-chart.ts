/**
 * A small time-series chart as inline SVG, drawn server-side so an HTML report needs nothing from the
 * network: shaded, labelled windows (faults, a failover gap), lines, stacked bars and marks over a time
 * axis in seconds since the run started. Every text is escaped; the SVG carries its own <title> and
 * <desc> for screen readers.
 */

export interface ChartBand {
  /** ms since the run started */
  from: number;
  to: number;
  label: string;
  /** CSS classes, e.g. "fault-window fault-partition" */
  cls: string;
  title?: string;
}

export interface ChartLine {
  label: string;
  cls: string;
  /** [ms since start, value]; a gap of more than 1.5 buckets between points breaks the line */
  points: Array<[number, number]>;
}

export interface ChartBarLayer {
  label: string;
  cls: string;
  /** [bucket start in ms since start, value]; layers stack in order */
  points: Array<[number, number]>;
}

export interface ChartSpec {
  id: string;
  title: string;
  description: string;
  yLabel: string;
  xMaxMs: number;
  bucketMs: number;
  bands?: ChartBand[];
  /** Named instants drawn as dashed verticals (phase starts). */
  ticks?: Array<{ at: number; label: string }>;
  lines?: ChartLine[];
  bars?: ChartBarLayer[];
  /** Thin full-height marks (lost writes), each with a tooltip. */
  marks?: Array<{ at: number; width: number; cls: string; title: string }>;
  yFormat?: (value: number) => string;
}

const WIDTH = 960;
const PLOT_HEIGHT = 200;
const LEFT = 64;
const RIGHT = 16;
const ROW = 14;
const BOTTOM = 40;
const MAX_BAND_ROWS = 6;

/** At most this many shaded windows per chart; beyond it, windows closer than a pixel merge. */
const MAX_BANDS = 40;

export function renderChart(spec: ChartSpec): string {
  const bands = mergeBands(spec.bands ?? [], Math.max(spec.xMaxMs, spec.bucketMs) / 480);
  const ticks = spec.ticks ?? [];
  const bandRows = Math.min(MAX_BAND_ROWS, bands.length);
  const top = 8 + (ticks.length > 0 ? ROW : 0) + bandRows * ROW + 4;
  const height = top + PLOT_HEIGHT + BOTTOM;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const xMax = Math.max(spec.xMaxMs, spec.bucketMs);
  const x = (ms: number): number => LEFT + (Math.min(Math.max(ms, 0), xMax) / xMax) * plotWidth;
  const yMaxData = Math.max(
    0,
    ...(spec.lines ?? []).flatMap((l) => l.points.map((p) => p[1])),
    ...stackTotals(spec.bars ?? []),
  );
  const yTicks = niceTicks(yMaxData);
  const yMax = yTicks.at(-1)!;
  const y = (v: number): number => top + PLOT_HEIGHT - (v / yMax) * PLOT_HEIGHT;
  const fmt = spec.yFormat ?? ((v: number) => trimNumber(v));
  const parts: string[] = [];
  const titleId = `${spec.id}-title`;
  const descId = `${spec.id}-desc`;
  parts.push(
    `<svg class="chart" id="${esc(spec.id)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-labelledby="${esc(titleId)} ${esc(descId)}">`,
    `<title id="${esc(titleId)}">${esc(spec.title)}</title>`,
    `<desc id="${esc(descId)}">${esc(spec.description)}</desc>`,
  );
  // Grid and y axis.
  for (const v of yTicks) {
    parts.push(
      `<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${f(y(v))}" y2="${f(y(v))}"/>`,
      `<text class="axis-label" x="${LEFT - 6}" y="${f(y(v) + 4)}" text-anchor="end">${esc(fmt(v))}</text>`,
    );
  }
  parts.push(
    `<text class="axis-title" x="14" y="${f(top + PLOT_HEIGHT / 2)}" transform="rotate(-90 14 ${f(top + PLOT_HEIGHT / 2)})" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  // Shaded windows under the data, their labels in rows above the plot.
  bands.forEach((band, i) => {
    const x1 = x(band.from);
    const x2 = Math.max(x(band.to), x1 + 2);
    const labelY = 8 + (ticks.length > 0 ? ROW : 0) + (i % MAX_BAND_ROWS) * ROW + 10;
    const anchorEnd = x1 > WIDTH - RIGHT - 220;
    parts.push(
      `<g class="band"><title>${esc(band.title ?? band.label)}</title>` +
        `<rect class="${esc(band.cls)}" x="${f(x1)}" y="${top}" width="${f(x2 - x1)}" height="${PLOT_HEIGHT}"/>` +
        `<line class="band-edge" x1="${f(x1)}" x2="${f(x1)}" y1="${f(labelY - 10)}" y2="${top + PLOT_HEIGHT}"/>` +
        // Labels only where they can be read: few windows, or a window wide enough.
        (bands.length <= 12 || x2 - x1 >= 60
          ? `<text class="band-label" x="${f(anchorEnd ? x2 - 3 : x1 + 3)}" y="${f(labelY)}" text-anchor="${anchorEnd ? 'end' : 'start'}">${esc(clip(band.label, 60))}</text>`
          : '') +
        '</g>',
    );
  });
  for (const tick of ticks) {
    parts.push(
      `<g class="phase-tick"><line x1="${f(x(tick.at))}" x2="${f(x(tick.at))}" y1="8" y2="${top + PLOT_HEIGHT}"/>` +
        `<text class="phase-label" x="${f(x(tick.at) + 3)}" y="18">${esc(clip(tick.label, 24))}</text></g>`,
    );
  }
  // Stacked bars.
  const layers = spec.bars ?? [];
  const base = new Map<number, number>();
  for (const layer of layers) {
    const rects: string[] = [];
    for (const [t, v] of layer.points) {
      if (v <= 0) continue;
      const below = base.get(t) ?? 0;
      base.set(t, below + v);
      const x1 = x(t);
      const w = Math.max(0.8, x(t + spec.bucketMs) - x1 - 0.6);
      rects.push(
        `<rect x="${f(x1)}" y="${f(y(below + v))}" width="${f(w)}" height="${f(y(below) - y(below + v))}"/>`,
      );
    }
    parts.push(`<g class="bars ${esc(layer.cls)}"><title>${esc(layer.label)}</title>${rects.join('')}</g>`);
  }
  // Lines, broken where there is no data.
  for (const line of spec.lines ?? []) {
    let d = '';
    let last: number | undefined;
    for (const [t, v] of line.points) {
      const gap = last === undefined || t - last > spec.bucketMs * 1.5;
      d += `${gap ? 'M' : 'L'}${f(x(t + spec.bucketMs / 2))},${f(y(v))}`;
      last = t;
    }
    parts.push(`<path class="line ${esc(line.cls)}" d="${d}"><title>${esc(line.label)}</title></path>`);
  }
  for (const mark of spec.marks ?? []) {
    const x1 = x(mark.at);
    parts.push(
      `<rect class="${esc(mark.cls)}" x="${f(x1)}" y="${top}" width="${f(Math.max(1.5, x(mark.at + mark.width) - x1))}" height="${PLOT_HEIGHT}"><title>${esc(mark.title)}</title></rect>`,
    );
  }
  // x axis in seconds.
  const step = niceStep(xMax / 1000 / 10);
  for (let s = 0; s * 1000 <= xMax + 1e-6; s += step) {
    parts.push(
      `<line class="axis" x1="${f(x(s * 1000))}" x2="${f(x(s * 1000))}" y1="${top + PLOT_HEIGHT}" y2="${top + PLOT_HEIGHT + 4}"/>`,
      `<text class="axis-label" x="${f(x(s * 1000))}" y="${top + PLOT_HEIGHT + 16}" text-anchor="middle">${esc(trimNumber(s))}s</text>`,
    );
  }
  parts.push(
    `<line class="axis" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${top + PLOT_HEIGHT}" y2="${top + PLOT_HEIGHT}"/>`,
  );
  // Legend.
  const legend = [
    ...layers.map((l) => ({ cls: `swatch ${l.cls}`, label: l.label })),
    ...(spec.lines ?? []).map((l) => ({ cls: `swatch-line ${l.cls}`, label: l.label })),
  ];
  let lx = LEFT;
  for (const item of legend) {
    const label = clip(item.label, 40);
    parts.push(
      `<g class="legend"><rect class="${esc(item.cls)}" x="${lx}" y="${top + PLOT_HEIGHT + 26}" width="12" height="8"/>` +
        `<text class="axis-label" x="${lx + 16}" y="${top + PLOT_HEIGHT + 34}">${esc(label)}</text></g>`,
    );
    lx += 28 + label.length * 6.5;
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Many windows (a long run injecting faults every few seconds) would bury the chart: past MAX_BANDS,
 * neighbouring windows of the same family (faults of any kind; or the same class) merge into one labelled
 * "N faults" or "N × kind", the allowed gap doubling from about a pixel until at most MAX_BANDS remain.
 */
function mergeBands(bands: ChartBand[], minGapMs: number): ChartBand[] {
  if (bands.length <= MAX_BANDS) return bands;
  const sorted = [...bands].sort((a, b) => a.from - b.from);
  let merged = sorted;
  for (let gap = minGapMs, round = 0; merged.length > MAX_BANDS && round < 60; gap *= 2, round++)
    merged = mergeWithin(sorted, gap);
  return merged.slice(0, MAX_BANDS);
}

function mergeWithin(sorted: ChartBand[], gapMs: number): ChartBand[] {
  const family = (b: ChartBand): string => (b.cls.startsWith('fault-window') ? 'fault-window' : b.cls);
  const kind = (b: ChartBand): string =>
    b.cls
      .split(' ')
      .at(-1)!
      .replace(/^fault-/, '');
  const out: Array<ChartBand & { members: ChartBand[] }> = [];
  const open = new Map<string, ChartBand & { members: ChartBand[] }>();
  for (const band of sorted) {
    const last = open.get(family(band));
    if (last && band.from - last.to <= gapMs) {
      last.to = Math.max(last.to, band.to);
      last.members.push(band);
      const kinds = new Set(last.members.map(kind));
      const n = last.members.length;
      last.label = kinds.size === 1 ? `${n} × ${kind(band)}` : `${n} faults`;
      last.cls = kinds.size === 1 ? band.cls : 'fault-window fault-mixed';
      last.title = `${n} windows: ${[...kinds].join(', ')}`;
    } else {
      const fresh = { ...band, members: [band] };
      out.push(fresh);
      open.set(family(band), fresh);
    }
  }
  return out.map(({ members: _members, ...band }) => band);
}

function stackTotals(layers: ChartBarLayer[]): number[] {
  const totals = new Map<number, number>();
  for (const layer of layers)
    for (const [t, v] of layer.points) totals.set(t, (totals.get(t) ?? 0) + Math.max(0, v));
  return [...totals.values()];
}

/** 0 and four or five round steps up to at least max. */
function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const step = niceStep(max / 4);
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function trimNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 1 ? 2 : 1).replace(/\.?0+$/, '');
}

function f(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Escapes text for HTML and SVG content and attribute values. */
export function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
