import { GeoctlError } from '../../errors.js';
import type { Link, Topology } from '../../topology/topology.js';

/**
 * What `geoctl fixture redis` starts for a topology, as plain data (no I/O): one redis-server per region on
 * its `client.upstream` port, the first region's the primary and the others its replicas, and the Sentinels
 * named in `store.sentinel.addresses`.
 *
 * Wiring (why, in docs/stores/redis.md):
 *   - every node announces its region's client proxy (`replica-announce-ip/port` = `client.listen`), and the
 *     Sentinels monitor the primary at its client proxy: Sentinel reaches each node only through that
 *     node's proxy, tells replicas to follow a new primary at a proxy address, and never learns a node's
 *     own port. `isolate` therefore cuts Sentinel off from a node as it cuts clients off.
 *   - each replica replicates through the link proxy from its region to the primary's
 *     (`links: {from: replica, to: primary}`), so partitions and latency on a link act on replication. The
 *     Sentinels log in as a user that may promote a replica but not re-point one (Sentinel would point them
 *     all at the new primary's client proxy, and keep doing so: `+fix-slave-config`); the fixture's keeper
 *     (redis-keeper.ts) re-points every replica to its link to the primary the Sentinels name.
 */
export interface RedisNodePlan {
  region: string;
  /** The node's own port (the region's client.upstream). */
  port: number;
  /** The client proxy: what the node announces and what Sentinel and clients reach it through. */
  announce: { host: string; port: number };
  /** For a replica: the link proxy it replicates through. */
  replicaOf?: { host: string; port: number; link: string };
}

export interface SentinelPlan {
  port: number;
}

export interface RedisFixturePlan {
  master: string;
  primary: string;
  quorum: number;
  nodes: RedisNodePlan[];
  sentinels: SentinelPlan[];
  /** The link proxy's listen address on which `from` replicates from `to`, for every ordered pair. */
  links: Map<string, { host: string; port: number }>;
  downAfterMs: number;
  failoverTimeoutMs: number;
}

export interface RedisPlanOptions {
  downAfterMs: number;
  failoverTimeoutMs: number;
}

export const linkKey = (from: string, to: string): string => `${from}>${to}`;

const LOOPBACK = '127.0.0.1';
/** The ACL user the Sentinels log in to the nodes as (loopback only, throwaway data: a fixed password). */
export const SENTINEL_USER = 'geoctl-sentinel';
const SENTINEL_PASSWORD = 'geoctl-fixture-sentinel';

function splitAddress(address: string): { host: string; port: number } | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65_536 ? { host: match[1]!, port } : undefined;
}

export function planRedisFixture(topology: Topology, options: RedisPlanOptions): RedisFixturePlan {
  const problems: string[] = [];
  const store = topology.store;
  if (store?.type !== 'redis') problems.push(`store.type must be redis (got ${store?.type ?? 'no store:'})`);
  const sentinel = store?.options.sentinel as { master?: unknown; addresses?: unknown } | undefined;
  const master = typeof sentinel?.master === 'string' ? sentinel.master : undefined;
  if (master === undefined || !/^[A-Za-z0-9._-]+$/.test(master))
    problems.push('store.sentinel.master must name the monitored primary (letters, digits, ._-)');
  const rawAddresses = sentinel?.addresses;
  const addresses = Array.isArray(rawAddresses)
    ? rawAddresses
    : rawAddresses === undefined
      ? []
      : [rawAddresses];
  const sentinels: SentinelPlan[] = [];
  for (const item of addresses) {
    const address = typeof item === 'string' ? splitAddress(item) : undefined;
    if (address?.host !== LOOPBACK)
      problems.push(`store.sentinel.addresses: expected ${LOOPBACK}:port, got ${String(item)}`);
    else sentinels.push({ port: address.port });
  }
  if (sentinels.length < 3 && problems.length === 0)
    problems.push(
      `store.sentinel.addresses: the fixture runs at least three Sentinels (got ${sentinels.length})`,
    );

  const local = (what: string, address: string): { host: string; port: number } | undefined => {
    const split = splitAddress(address);
    if (split?.host === LOOPBACK) return split;
    problems.push(`${what}: the fixture binds ${LOOPBACK} only, got ${address}`);
    return undefined;
  };
  if (topology.regions.length < 2)
    problems.push('the fixture needs at least two regions (a primary and a replica)');
  const primary = topology.regions[0]?.name ?? '';
  const links = new Map<string, { host: string; port: number }>();
  const byPair = new Map<string, Link>(topology.links.map((l) => [linkKey(l.from, l.to), l]));
  const missing: string[] = [];
  for (const from of topology.regions) {
    for (const to of topology.regions) {
      if (from === to) continue;
      const link = byPair.get(linkKey(from.name, to.name));
      if (!link) missing.push(`${from.name} → ${to.name}`);
      else {
        const listen = local(`link ${from.name} → ${to.name} listen`, link.listen);
        if (listen) links.set(linkKey(from.name, to.name), listen);
        if (link.upstream !== to.client.upstream)
          problems.push(
            `link ${from.name} → ${to.name}: upstream ${link.upstream} must be ${to.name}'s node, ${to.client.upstream}`,
          );
      }
    }
  }
  if (missing.length > 0)
    problems.push(
      `every region may become the primary after a failover, so a link is needed from every region to every other; missing: ${missing.join(', ')}`,
    );
  const nodes: RedisNodePlan[] = [];
  for (const region of topology.regions) {
    const own = local(`region ${region.name} client.upstream`, region.client.upstream);
    const announce = local(`region ${region.name} client.listen`, region.client.listen);
    if (!own || !announce) continue;
    const node: RedisNodePlan = { region: region.name, port: own.port, announce };
    if (region.name !== primary) {
      const via = links.get(linkKey(region.name, primary));
      const link = byPair.get(linkKey(region.name, primary));
      if (via && link) node.replicaOf = { ...via, link: link.proxy };
    }
    nodes.push(node);
  }
  if (problems.length > 0) {
    throw new GeoctlError(
      'E_CONFIG',
      `${topology.file} cannot run as a Redis Sentinel fixture:\n  ${problems.join('\n  ')}`,
      { hint: 'See fixtures/redis-sentinel/topology.yaml for the shape the fixture expects.' },
    );
  }
  return {
    master: master!,
    primary,
    quorum: Math.floor(sentinels.length / 2) + 1,
    nodes,
    sentinels,
    links,
    downAfterMs: options.downAfterMs,
    failoverTimeoutMs: options.failoverTimeoutMs,
  };
}

/** redis.conf lines for one node (fresh for every start). */
export function nodeConfig(node: RedisNodePlan, dir: string): string[] {
  const lines = [
    `port ${node.port}`,
    `bind ${LOOPBACK}`,
    'protected-mode no',
    `dir ${dir}`,
    'logfile ""',
    'daemonize no',
    'save ""',
    'appendonly no',
    // A replica's first sync starts at once, not after the default 5 s wait for more replicas.
    'repl-diskless-sync-delay 0',
    // Sentinel (and the primary's INFO) know this node by its client proxy, never by its own port.
    `replica-announce-ip ${node.announce.host}`,
    `replica-announce-port ${node.announce.port}`,
    // Sentinel logs in as this user: it may promote a replica (SLAVEOF NO ONE) but not re-point one
    // (SLAVEOF host port: NOPERM), so replicas stay on their link proxies; the keeper re-points them.
    `user ${SENTINEL_USER} on >${SENTINEL_PASSWORD} ~* &* +@all -slaveof -replicaof +slaveof|no`,
  ];
  if (node.replicaOf) lines.push(`replicaof ${node.replicaOf.host} ${node.replicaOf.port}`);
  return lines;
}

/** sentinel.conf lines for one Sentinel (fresh for every start: Sentinel rewrites its own file). */
export function sentinelConfig(plan: RedisFixturePlan, sentinel: SentinelPlan, dir: string): string[] {
  const primary = plan.nodes.find((n) => n.region === plan.primary)!;
  return [
    `port ${sentinel.port}`,
    `bind ${LOOPBACK}`,
    'protected-mode no',
    `dir ${dir}`,
    'logfile ""',
    'daemonize no',
    `sentinel monitor ${plan.master} ${primary.announce.host} ${primary.announce.port} ${plan.quorum}`,
    `sentinel down-after-milliseconds ${plan.master} ${plan.downAfterMs}`,
    `sentinel failover-timeout ${plan.master} ${plan.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${plan.master} ${plan.nodes.length}`,
    `sentinel auth-user ${plan.master} ${SENTINEL_USER}`,
    `sentinel auth-pass ${plan.master} ${SENTINEL_PASSWORD}`,
  ];
}
