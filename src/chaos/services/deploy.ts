import { isIP } from 'node:net';
import type { Topology } from '../../topology/topology.js';
import { proxiesFor, PROXY_NAME_PREFIX, type ProxySpec } from '../../topology/topology.js';
import { isDownMarker } from './geoctl-toxics.js';
import type { ProxyState, ToxiproxyDriver } from '../toxiproxy-driver.js';

export type DeployAction = 'created' | 'updated' | 'unchanged';

export interface DeployedProxy {
  name: string;
  purpose: string;
  listen: string;
  upstream: string;
  action: DeployAction;
  /** What differed and was fixed (or would be, with --dry-run): `upstream 127.0.0.1:1 → 127.0.0.1:7001`. */
  changes: string[];
  /** Disabled on purpose by an active geoctl `down` fault: left disabled. */
  heldDown?: boolean;
}

export interface DeployResult {
  url: string;
  dryRun: boolean;
  proxies: DeployedProxy[];
  /** geoctl.* proxies on the server that the topology no longer names (left alone). */
  extra: string[];
}

/**
 * Makes the server's proxies match the topology: creates missing ones, updates those whose listen,
 * upstream or enabled state differ, leaves the rest. Idempotent; after a server restart it recreates
 * everything. A proxy disabled by an active geoctl `down` fault stays disabled: deploy is not a heal.
 */
export async function deploy(
  driver: ToxiproxyDriver,
  topology: Topology,
  dryRun: boolean,
): Promise<DeployResult> {
  const current = new Map((await driver.listProxies()).map((p) => [p.name, p]));
  const proxies: DeployedProxy[] = [];
  for (const spec of proxiesFor(topology)) {
    const existing = current.get(spec.name);
    const purpose =
      spec.purpose.kind === 'client'
        ? `clients → ${spec.purpose.region}`
        : `${spec.purpose.from} → ${spec.purpose.to}`;
    const base = { name: spec.name, purpose, listen: spec.listen, upstream: spec.upstream };
    if (!existing) {
      if (!dryRun)
        await driver.createProxy({
          name: spec.name,
          listen: spec.listen,
          upstream: spec.upstream,
          enabled: true,
        });
      proxies.push({ ...base, action: 'created', changes: [] });
      continue;
    }
    const heldDown = existing.toxics.some(isDownMarker);
    const changes = differences(existing, spec, heldDown);
    if (changes.length > 0 && !dryRun) {
      await driver.updateProxy(spec.name, {
        listen: spec.listen,
        upstream: spec.upstream,
        enabled: heldDown ? existing.enabled : true,
      });
    }
    proxies.push({
      ...base,
      action: changes.length > 0 ? 'updated' : 'unchanged',
      changes,
      ...(heldDown ? { heldDown } : {}),
    });
  }
  const wanted = new Set(proxiesFor(topology).map((p) => p.name));
  const extra = [...current.keys()].filter(
    (name) => name.startsWith(`${PROXY_NAME_PREFIX}.`) && !wanted.has(name),
  );
  return { url: driver.url, dryRun, proxies, extra };
}

function differences(existing: ProxyState, spec: ProxySpec, heldDown: boolean): string[] {
  const changes: string[] = [];
  if (!sameListen(existing.listen, spec.listen)) changes.push(`listen ${existing.listen} → ${spec.listen}`);
  if (existing.upstream !== spec.upstream) changes.push(`upstream ${existing.upstream} → ${spec.upstream}`);
  if (!existing.enabled && !heldDown) changes.push('enabled false → true');
  return changes;
}

/**
 * Toxiproxy reports the address it bound, not the one it was given (`localhost:1` → `127.0.0.1:1`,
 * `0.0.0.0:1` → `[::]:1`). Re-setting the same listen would restart the proxy and drop its connections, so
 * a name or wildcard with the same port counts as the same.
 */
function sameListen(reported: string, wanted: string): boolean {
  if (reported === wanted) return true;
  const port = (address: string): string => address.slice(address.lastIndexOf(':') + 1);
  const host = wanted.slice(0, wanted.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  const literalIp = isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::';
  return !literalIp && port(reported) === port(wanted);
}
