import type { Topology } from '../../topology/topology.js';
import { linkProtocol } from '../link-check/protocols.js';
import type { ProxyState, ToxiproxyDriver } from '../toxiproxy-driver.js';
import { faultToxics, foreignToxics, isDownMarker, type FaultToxic } from './geoctl-toxics.js';
import { verifyTargets, type TargetVerification, type VerifyTarget } from './verify-fault.js';

export interface HealSelection {
  /** Only this fault. */
  faultId?: string | undefined;
  /** Only the links between these two groups of regions (either direction). */
  between?: { a: string[]; b: string[] } | undefined;
  /** Everything: Toxiproxy's /reset (enables every proxy, removes every toxic, geoctl's or not). */
  all?: boolean;
}

export interface HealResult {
  url: string;
  resetAll: boolean;
  removed: Array<{ proxy: string; toxic: string; type: string; faultId: string }>;
  reenabled: string[];
  /** Fault ids that lost at least one toxic. */
  faults: string[];
  /** Toxics geoctl did not create, left in place (0 after --all). */
  foreignLeft: number;
  verification: TargetVerification[];
}

/**
 * Removes what geoctl injected: its toxics (found by name, see fault-name.ts) and the `down` state of
 * proxies it disabled. Someone else's toxics are never touched, except by `all`.
 */
export async function heal(
  driver: ToxiproxyDriver,
  topology: Topology,
  selection: HealSelection,
  options: { verify: boolean },
): Promise<HealResult> {
  const before = await driver.listProxies();
  if (selection.all) {
    await driver.reset();
    const touched = before.filter((p) => p.toxics.length > 0 || !p.enabled);
    const removed = faultToxics(before).map(describeRemoval);
    return {
      url: driver.url,
      resetAll: true,
      removed,
      reenabled: before.filter((p) => !p.enabled).map((p) => p.name),
      faults: [...new Set(removed.map((r) => r.faultId))],
      foreignLeft: 0,
      verification: options.verify ? await verifyFlow(touched, topology) : [],
    };
  }
  const chosen = faultToxics(before).filter((entry) => selected(entry, selection, topology));
  for (const entry of chosen) await driver.removeToxic(entry.proxy, entry.toxic.name);
  const reenabled: string[] = [];
  for (const proxy of before) {
    const lostMarker = chosen.some((e) => e.proxy === proxy.name && isDownMarker(e.toxic));
    const otherMarker = proxy.toxics.some((t) => isDownMarker(t) && !chosen.some((e) => e.toxic === t));
    if (lostMarker && !otherMarker && !proxy.enabled) {
      await driver.updateProxy(proxy.name, { enabled: true });
      reenabled.push(proxy.name);
    }
  }
  const touchedNames = new Set(chosen.map((e) => e.proxy));
  // Verify only proxies with nothing of geoctl's left on them; others are still faulted on purpose.
  const clear = before.filter(
    (p) =>
      touchedNames.has(p.name) &&
      !p.toxics.some((t) => isGeoctl(t.name) && !chosen.some((e) => e.toxic === t)),
  );
  return {
    url: driver.url,
    resetAll: false,
    removed: chosen.map(describeRemoval),
    reenabled,
    faults: [...new Set(chosen.map((e) => e.identity.id))],
    foreignLeft: foreignToxics(before).length,
    verification: options.verify ? await verifyFlow(clear, topology) : [],
  };
}

function isGeoctl(name: string): boolean {
  return name.startsWith('geoctl.');
}

function selected(entry: FaultToxic, selection: HealSelection, topology: Topology): boolean {
  if (selection.faultId !== undefined && entry.identity.id !== selection.faultId) return false;
  if (selection.between) {
    const { a, b } = selection.between;
    const link = topology.links.find((l) => l.proxy === entry.proxy);
    if (!link) return false;
    const crosses =
      (a.includes(link.from) && b.includes(link.to)) || (b.includes(link.from) && a.includes(link.to));
    if (!crosses) return false;
  }
  return true;
}

function describeRemoval(entry: FaultToxic): HealResult['removed'][number] {
  return { proxy: entry.proxy, toxic: entry.toxic.name, type: entry.toxic.type, faultId: entry.identity.id };
}

async function verifyFlow(proxies: readonly ProxyState[], topology: Topology): Promise<TargetVerification[]> {
  const targets: VerifyTarget[] = proxies.map((p) => ({
    proxy: p.name,
    label: labelOf(p.name, topology),
    listen: p.listen,
  }));
  return verifyTargets(targets, linkProtocol(topology.protocol), { kind: 'flowing' });
}

export function labelOf(proxy: string, topology: Topology): string {
  const link = topology.links.find((l) => l.proxy === proxy);
  if (link) return `${link.from} → ${link.to}`;
  const region = topology.regions.find((r) => r.client.proxy === proxy);
  if (region) return `clients → ${region.name}`;
  return proxy;
}
