/**
 * The topology: which Toxiproxy to use, the regions with their client endpoints, and the replication links
 * between regions. Loaded from `geoctl.yaml` by load-topology.ts; everything here is plain data.
 *
 * Proxy naming scheme (stable, so `deploy` can find and replace what an earlier run created):
 *   geoctl.client.<region>        the proxy probes use to reach the store in <region>
 *   geoctl.link.<from>.<to>       the replication link on which <from> dials <to>
 * Region names are restricted to REGION_NAME_PATTERN (no '.'), so the dots split a name unambiguously, and
 * every character is one Toxiproxy's `/proxies/{proxy}` route takes without percent-escaping.
 */

export const PROXY_NAME_PREFIX = 'geoctl';

/** Lower-case letters, digits, '-' and '_': safe in URL paths, in proxy names and in comma-separated groups. */
export const REGION_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export type ToxiproxyServer = { kind: 'embedded' } | { kind: 'url'; url: string };

/** The `store:` section: which adapter, and its options as plain data (checked by the adapter). */
export interface StoreSection {
  type: string;
  options: Record<string, unknown>;
  /** File offset of each option's dotted path (`store.read.path`), for problems found later. */
  offsets: Map<string, number>;
  /** Values that came from `${VAR}` → the text as written; messages show the latter (secrets stay out). */
  asWritten?: Map<string, string>;
  /**
   * Loaded with `store: 'deferred'`: what is wrong with this section (an unset `${REDIS_PASSWORD}`, say),
   * thrown by openStore only, so commands that never touch the store (heal above all) still work.
   */
  deferredError?: Error | undefined;
}

export interface ClientEndpoint {
  /** Where probes connect: the Toxiproxy listen address. */
  listen: string;
  /** The store's own address in this region. */
  upstream: string;
  proxy: string;
}

export interface Region {
  name: string;
  aliases: readonly string[];
  client: ClientEndpoint;
}

export interface Link {
  /** The region whose store dials out. */
  from: string;
  /** The region whose store is dialled. */
  to: string;
  listen: string;
  upstream: string;
  proxy: string;
}

export interface Topology {
  /** Absolute path of the file this came from. */
  file: string;
  toxiproxy: ToxiproxyServer;
  /** What the stores speak on client and link ports, so fault checks can ask for an answer (link-check). */
  protocol: string;
  store?: StoreSection | undefined;
  regions: readonly Region[];
  links: readonly Link[];
}

export type ProxyPurpose = { kind: 'client'; region: string } | { kind: 'link'; from: string; to: string };

/** What deploy creates in Toxiproxy; name/listen/upstream/enabled are exactly Toxiproxy's proxy fields. */
export interface ProxySpec {
  name: string;
  listen: string;
  upstream: string;
  enabled: true;
  purpose: ProxyPurpose;
}

export function clientProxyName(region: string): string {
  return `${PROXY_NAME_PREFIX}.client.${region}`;
}

export function linkProxyName(from: string, to: string): string {
  return `${PROXY_NAME_PREFIX}.link.${from}.${to}`;
}

/** Client proxies in region order, then link proxies in file order, so deploy output reads like the file. */
export function proxiesFor(topology: Topology): ProxySpec[] {
  const clients = topology.regions.map((region): ProxySpec => ({
    name: region.client.proxy,
    listen: region.client.listen,
    upstream: region.client.upstream,
    enabled: true,
    purpose: { kind: 'client', region: region.name },
  }));
  const links = topology.links.map((link): ProxySpec => ({
    name: link.proxy,
    listen: link.listen,
    upstream: link.upstream,
    enabled: true,
    purpose: { kind: 'link', from: link.from, to: link.to },
  }));
  return [...clients, ...links];
}
