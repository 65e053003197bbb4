import type { ToxiproxyInventory } from '../../chaos/services/inspect-toxiproxy.js';

/** Human view of a Toxiproxy inventory: one row per proxy, its toxics summarised. */
export async function renderInventory(inventory: ToxiproxyInventory): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const table = new Table({ head: ['proxy', 'listen', 'upstream', 'state', 'toxics'] });
  for (const proxy of inventory.proxies) {
    const toxics = proxy.toxics.map(
      (t) => `${t.name} (${t.type} ${t.stream} ${formatAttributes(t.attributes)})`,
    );
    table.push([
      proxy.name,
      proxy.listen,
      proxy.upstream,
      proxy.enabled ? 'enabled' : 'down',
      toxics.join('\n') || '-',
    ]);
  }
  const header = `Toxiproxy ${inventory.version} at ${inventory.url}: ${inventory.proxies.length} prox${inventory.proxies.length === 1 ? 'y' : 'ies'}`;
  return inventory.proxies.length === 0 ? header : `${header}\n${table.toString()}`;
}

function formatAttributes(attributes: Record<string, number>): string {
  return Object.entries(attributes)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
