import type { ReportFormat } from './format.js';

/** The whole report model, as docs/report-schema.json describes it. */
const json: ReportFormat = {
  name: 'json',
  description: 'the full summary document (docs/report-schema.json)',
  extension: 'json',
  render: (summary) => `${JSON.stringify(summary, null, 2)}\n`,
};
export default json;
