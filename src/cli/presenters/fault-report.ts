import { formatDuration } from '../../chaos/faults/duration.js';
import type { FaultRunResult } from '../run-fault.js';
import { renderHeal } from './heal-report.js';
import { table } from './table.js';
import { renderVerification } from './verification-table.js';

export async function renderFaultRun(result: FaultRunResult): Promise<string> {
  const plan = result.fault;
  const lifetime =
    plan.expiresAt === undefined ? 'until healed' : `for ${formatDuration(plan.expiresAt - plan.createdAt)}`;
  const rows = plan.targets.map((target) => {
    const toxics = plan.toxics.filter((t) => t.proxy === target.proxy);
    const effect = toxics.map((t) => `${t.type} ${t.stream}${attributes(t.attributes)}`).join('\n');
    return [
      target.label,
      target.proxy,
      effect + (plan.disable.includes(target.proxy) ? '\nproxy disabled' : ''),
    ];
  });
  const parts = [
    `Injected fault ${plan.id}: ${plan.summary}, ${lifetime} (Toxiproxy ${result.url})`,
    await table(['link', 'proxy', 'toxics'], rows),
  ];
  const verification = await renderVerification('Check through each affected proxy:', result.verification);
  if (verification) parts.push(verification);
  if (result.healer) {
    parts.push(
      `A background healer (pid ${result.healer.pid}) removes it at ${new Date(result.healer.at).toISOString()}; log: ${result.healer.log}`,
    );
  }
  if (result.healed) {
    const why = result.healed.reason === 'expired' ? 'its time was up' : `on ${result.healed.reason}`;
    parts.push(`Healed fault ${plan.id} (${why}).`, await renderHeal(result.healed, { brief: true }));
  } else if (!result.healer) {
    parts.push(`Heal it with \`geoctl heal --fault ${plan.id}\` or \`geoctl heal\`.`);
  }
  return parts.filter((p) => p !== '').join('\n');
}

function attributes(attrs: Record<string, number>): string {
  const entries = Object.entries(attrs);
  return entries.length === 0 ? '' : ` (${entries.map(([k, v]) => `${k}=${v}`).join(', ')})`;
}
