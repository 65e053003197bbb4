import type { ReportFormat } from './format.js';

/**
 * Every report format, by the name `--format` takes. Formats load on first use (the HTML charts and the
 * terminal table are not needed to show `geoctl --help`). A new format is one file exporting a
 * `ReportFormat` as default, and one line here.
 */
export const REPORT_FORMATS = {
  table: () => import('./table.js'),
  md: () => import('./md.js'),
  junit: () => import('./junit.js'),
  html: () => import('./html.js'),
  json: () => import('./json.js'),
} satisfies Record<string, () => Promise<{ default: ReportFormat }>>;

export type ReportFormatName = keyof typeof REPORT_FORMATS;

export const REPORT_FORMAT_NAMES = Object.keys(REPORT_FORMATS) as ReportFormatName[];

export async function loadFormat(name: ReportFormatName): Promise<ReportFormat> {
  return (await REPORT_FORMATS[name]()).default;
}
