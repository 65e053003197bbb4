import type { RunSummary } from '../summary.js';

/** One report format: a pure rendering of the report model. Register it by name in registry.ts. */
export interface ReportFormat {
  /** What `--format` calls it. */
  name: string;
  description: string;
  /** File extension for `geoctl run`'s report files and suggested --output names, without the dot. */
  extension: string;
  render(summary: RunSummary): string | Promise<string>;
}
