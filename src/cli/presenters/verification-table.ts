import type { TargetVerification } from '../../chaos/services/verify-fault.js';
import { table } from './table.js';

export async function renderVerification(
  title: string,
  checks: readonly TargetVerification[],
): Promise<string> {
  if (checks.length === 0) return '';
  const rows = checks.map((c) => [
    c.label,
    c.check.address,
    c.expected,
    observed(c),
    c.verdict === 'verified' ? 'ok' : c.verdict.toUpperCase(),
  ]);
  const notes = checks.filter((c) => c.note).map((c) => `  ${c.label}: ${c.note}`);
  return [title, await table(['link', 'probe', 'expected', 'observed', 'verdict'], rows), ...notes].join(
    '\n',
  );
}

function observed(c: TargetVerification): string {
  const check = c.check;
  switch (check.outcome) {
    case 'flowing':
      return `answered in ${check.roundTripMs}ms`;
    case 'blocked':
      return `no answer in ${Math.round(check.waitedMs)}ms`;
    default:
      return check.outcome;
  }
}

/** The one-line verdict over all checks, for the end of the output. */
export function overallVerdict(
  checks: readonly TargetVerification[],
): 'verified' | 'failed' | 'inconclusive' | 'skipped' {
  if (checks.length === 0) return 'skipped';
  if (checks.some((c) => c.verdict === 'failed')) return 'failed';
  if (checks.some((c) => c.verdict === 'inconclusive')) return 'inconclusive';
  return 'verified';
}
