import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GeoctlError } from '../errors.js';
import { loadFormat, type ReportFormatName } from './formats/registry.js';
import { loadRun } from './load-run.js';
import { summarizeRun, type RunSummary } from './summary.js';

export interface RenderedReport {
  /** The run directory, absolute. */
  dir: string;
  summary: RunSummary;
  format: ReportFormatName;
  text: string;
}

/** Reads a recorded run and renders it in one format. */
export async function renderReport(dir: string, format: ReportFormatName): Promise<RenderedReport> {
  const run = await loadRun(dir);
  const summary = summarizeRun(run);
  const text = await (await loadFormat(format)).render(summary);
  return { dir: run.dir, summary, format, text };
}

export async function writeReportFile(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new GeoctlError(
      'E_INVALID_VALUE',
      `--output ${file}: cannot write there: ${(error as Error).message}`,
      {
        hint: 'Give a file path in a directory that exists and is writable.',
        details: { file },
      },
    );
  }
}

/** The reports `geoctl run` and `geoctl demo` leave in each run directory. */
export const RUN_REPORTS: readonly ReportFormatName[] = ['html', 'md'];

/** Writes report.<ext> for each format into the run directory; returns the files written. */
export async function writeRunReports(
  dir: string,
  formats: readonly ReportFormatName[] = RUN_REPORTS,
): Promise<Array<{ format: ReportFormatName; file: string }>> {
  const summary = summarizeRun(await loadRun(dir));
  const written: Array<{ format: ReportFormatName; file: string }> = [];
  for (const name of formats) {
    const format = await loadFormat(name);
    const file = join(dir, `report.${format.extension}`);
    await writeFile(file, await format.render(summary));
    written.push({ format: name, file });
  }
  return written;
}
