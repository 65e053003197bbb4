import { proxiesFor, type Topology } from '../../topology/topology.js';
import type { ProxyState, ToxiproxyDriver } from '../toxiproxy-driver.js';
import { activeFaults, foreignToxics, isExpired, type ActiveFault } from './geoctl-toxics.js';

export type ProxyCondition = 'ok' | 'faulted' | 'down' | 'missing' | 'differs';

export interface FaultView {
  id: string;
  kind: string;
  summary: string | undefined;
  createdAt: number;
  expiresAt: number | undefined;
  ageMs: number;
  /** Negative once expired. */
  remainingMs: number | undefined;
  expired: boolean;
  proxies: string[];
  /** `timeout upstream`, `latency downstream 120ms` … per proxy. */
  effects: Array<{ proxy: string; stream: string; type: string; attributes: Record<string, number> }>;
}

export interface ProxyView {
  name: string;
  label: string;
  listen: string;
  upstream: string;
  condition: ProxyCondition;
  enabled: boolean | undefined;
  faults: string[];
  foreign: string[];
}

export interface StatusReport {
  server: {
    url: string | undefined;
    kind: 'embedded' | 'url';
    running: boolean;
    version?: string;
    pid?: number;
  };
  proxies: ProxyView[];
  faults: FaultView[];
  expired: FaultView[];
  foreign: Array<{ proxy: string; toxic: string; type: string }>;
}

export function faultViews(
  proxies: readonly ProxyState[],
  summaries: Map<string, string>,
  now: number,
): FaultView[] {
  return activeFaults(proxies).map((fault) => toView(fault, summaries, now));
}

function toView(fault: ActiveFault, summaries: Map<string, string>, now: number): FaultView {
  return {
    id: fault.id,
    kind: fault.kind,
    summary: summaries.get(fault.id),
    createdAt: fault.createdAt,
    expiresAt: fault.expiresAt,
    ageMs: now - fault.createdAt,
    remainingMs: fault.expiresAt === undefined ? undefined : fault.expiresAt - now,
    expired: isExpired(fault, now),
    proxies: fault.proxies,
    effects: fault.toxics.map((t) => ({
      proxy: t.proxy,
      stream: t.toxic.stream,
      type: t.toxic.type,
      attributes: t.toxic.attributes,
    })),
  };
}

/** The topology's proxies as the server has them, with the faults on each. */
export async function readStatus(
  driver: ToxiproxyDriver,
  topology: Topology,
  summaries: Map<string, string>,
  now: number,
): Promise<Pick<StatusReport, 'proxies' | 'faults' | 'expired' | 'foreign'> & { version: string }> {
  const [version, proxies] = await Promise.all([driver.version(), driver.listProxies()]);
  const byName = new Map(proxies.map((p) => [p.name, p]));
  const faults = faultViews(proxies, summaries, now);
  const views: ProxyView[] = proxiesFor(topology).map((spec) => {
    const label =
      spec.purpose.kind === 'client'
        ? `clients → ${spec.purpose.region}`
        : `${spec.purpose.from} → ${spec.purpose.to}`;
    const actual = byName.get(spec.name);
    const faultIds = faults.filter((f) => f.proxies.includes(spec.name)).map((f) => f.id);
    const foreign = actual?.toxics.filter((t) => !t.name.startsWith('geoctl.')).map((t) => t.name) ?? [];
    let condition: ProxyCondition = 'ok';
    if (!actual) condition = 'missing';
    else if (!actual.enabled) condition = 'down';
    else if (faultIds.length > 0 || foreign.length > 0) condition = 'faulted';
    else if (actual.upstream !== spec.upstream) condition = 'differs';
    return {
      name: spec.name,
      label,
      listen: actual?.listen ?? spec.listen,
      upstream: actual?.upstream ?? spec.upstream,
      condition,
      enabled: actual?.enabled,
      faults: faultIds,
      foreign,
    };
  });
  return {
    version,
    proxies: views,
    faults,
    expired: faults.filter((f) => f.expired),
    foreign: foreignToxics(proxies).map(({ proxy, toxic }) => ({
      proxy,
      toxic: toxic.name,
      type: toxic.type,
    })),
  };
}
