/** The terminal table lives with the reports (src/report/text-table.ts); presenters import it from here. */
export { table } from '../../report/text-table.js';
