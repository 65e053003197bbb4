import type { HealResult } from '../../chaos/services/heal.js';
import { table } from './table.js';
import { renderVerification } from './verification-table.js';

export async function renderHeal(result: HealResult, options: { brief?: boolean } = {}): Promise<string> {
  const parts: string[] = [];
  if (!options.brief) {
    if (result.resetAll)
      parts.push(`Reset every proxy on ${result.url} (all toxics removed, all proxies enabled).`);
    else if (result.removed.length === 0)
      parts.push(`Nothing to heal: no geoctl fault matches on ${result.url}.`);
    else
      parts.push(
        `Removed ${result.removed.length} toxic${result.removed.length === 1 ? '' : 's'} of fault${
          result.faults.length === 1 ? '' : 's'
        } ${result.faults.join(', ')}.`,
      );
    if (result.removed.length > 0) {
      parts.push(
        await table(
          ['proxy', 'toxic', 'type'],
          result.removed.map((r) => [r.proxy, r.toxic, r.type]),
        ),
      );
    }
  }
  if (result.reenabled.length > 0) parts.push(`Re-enabled: ${result.reenabled.join(', ')}.`);
  if (result.foreignLeft > 0)
    parts.push(
      `${result.foreignLeft} toxic(s) geoctl did not create were left in place (\`geoctl heal --all\` resets everything).`,
    );
  const verification = await renderVerification('Check through each healed proxy:', result.verification);
  if (verification) parts.push(verification);
  return parts.join('\n');
}
