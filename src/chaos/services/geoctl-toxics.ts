import { parseFaultToxicName, type FaultToxicName } from '../faults/fault-name.js';
import type { FaultKind } from '../faults/fault.js';
import type { ProxyState, ToxicState } from '../toxiproxy-driver.js';

/** A toxic on the server that geoctl put there, with the identity its name carries. */
export interface FaultToxic {
  proxy: string;
  toxic: ToxicState;
  identity: FaultToxicName;
}

/** One fault as the server shows it: all toxics sharing a fault id. */
export interface ActiveFault {
  id: string;
  kind: FaultKind;
  createdAt: number;
  expiresAt: number | undefined;
  toxics: FaultToxic[];
  proxies: string[];
  /** Proxies this fault disabled (mode down). */
  down: string[];
}

export function isDownMarker(toxic: ToxicState): boolean {
  return toxic.type === 'noop' && parseFaultToxicName(toxic.name) !== undefined;
}

export function faultToxics(proxies: readonly ProxyState[]): FaultToxic[] {
  const found: FaultToxic[] = [];
  for (const proxy of proxies) {
    for (const toxic of proxy.toxics) {
      const identity = parseFaultToxicName(toxic.name);
      if (identity) found.push({ proxy: proxy.name, toxic, identity });
    }
  }
  return found;
}

/** Toxics geoctl did not create: never touched except by `heal --all`. */
export function foreignToxics(proxies: readonly ProxyState[]): Array<{ proxy: string; toxic: ToxicState }> {
  return proxies.flatMap((proxy) =>
    proxy.toxics
      .filter((t) => parseFaultToxicName(t.name) === undefined)
      .map((toxic) => ({ proxy: proxy.name, toxic })),
  );
}

export function activeFaults(proxies: readonly ProxyState[]): ActiveFault[] {
  const byId = new Map<string, ActiveFault>();
  for (const entry of faultToxics(proxies)) {
    const { id, kind, createdAt, expiresAt } = entry.identity;
    let fault = byId.get(id);
    if (!fault) {
      fault = { id, kind, createdAt, expiresAt, toxics: [], proxies: [], down: [] };
      byId.set(id, fault);
    }
    fault.toxics.push(entry);
    if (!fault.proxies.includes(entry.proxy)) fault.proxies.push(entry.proxy);
    if (entry.toxic.type === 'noop' && !fault.down.includes(entry.proxy)) fault.down.push(entry.proxy);
  }
  return [...byId.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

export function isExpired(fault: Pick<ActiveFault, 'expiresAt'>, now: number): boolean {
  return fault.expiresAt !== undefined && fault.expiresAt <= now;
}
