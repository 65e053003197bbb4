import type { Redis } from 'ioredis';
import { linkKey, type RedisFixturePlan } from './redis-plan.js';

/**
 * Keeps every replica replicating through its link proxy to the current primary.
 *
 * Sentinel knows each node by one address (its client proxy, which it announces), so left alone it would
 * point every replica at the new primary's client proxy after a failover, and re-point any replica that
 * follows another address (its link proxy) after `failover-timeout` (`+fix-slave-config`, then again at
 * every INFO refresh, about every 10 s per Sentinel). Partitions and latency between two regions would stop
 * applying. So the Sentinels log in as a user that may promote (`SLAVEOF NO ONE`) but not re-point
 * (redis-plan.ts), and the keeper does the re-pointing: once a majority of the Sentinels name the same
 * primary (`get-master-addr-by-name`), every other node that follows anything but its link to that primary
 * is re-pointed there, and a node that still calls itself a primary (an old primary reachable again) is
 * demoted the same way, once no Sentinel is in a failover (until the leader sees the promoted replica
 * answer as a primary, a majority still names the old one). Sentinel decides who is the primary; the keeper decides how replicas reach it. It
 * talks to the nodes and Sentinels on their own ports: it is the fixture's control plane.
 */
export type KeeperEvent =
  /** Once: every Sentinel knows every replica (link ok) and the other Sentinels; a failover can happen. */
  | { event: 'ready'; at: number }
  | { event: 'primary'; region: string; address: string; at: number }
  | {
      event: 'repointed';
      region: string;
      /** What it followed before (host:port), or `primary` for an old primary demoted. */
      from: string;
      to: string;
      primary: string;
      at: number;
    };

export interface Keeper {
  stop(): Promise<void>;
}

export function startKeeper(
  RedisClass: typeof Redis,
  plan: RedisFixturePlan,
  options: { everyMs: number; onEvent?: ((event: KeeperEvent) => void) | undefined },
): Keeper {
  const connect = (port: number): Redis => {
    const client = new RedisClass({
      host: '127.0.0.1',
      port,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 200,
      commandTimeout: 1_000,
      connectTimeout: 1_000,
    });
    client.on('error', () => undefined);
    return client;
  };
  const sentinels = plan.sentinels.map((s) => connect(s.port));
  const nodes = new Map(plan.nodes.map((n) => [n.region, connect(n.port)]));
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: string | undefined;
  let running: Promise<void> = Promise.resolve();

  /** The primary a majority of the Sentinels name, and whether any of them is in a failover. */
  const primaryNow = async (): Promise<
    { region: string; address: string; failingOver: boolean } | undefined
  > => {
    const answers = await Promise.all(
      sentinels.map(async (client) => {
        try {
          const [reply, master] = (await Promise.all([
            client.call('SENTINEL', 'get-master-addr-by-name', plan.master),
            client.call('SENTINEL', 'MASTER', plan.master),
          ])) as [string[], string[]];
          const flags = master[master.indexOf('flags') + 1] ?? '';
          if (!Array.isArray(reply) || reply.length < 2) return undefined;
          return { address: `${reply[0]}:${reply[1]}`, failingOver: flags.includes('failover_in_progress') };
        } catch {
          return undefined;
        }
      }),
    );
    const votes = new Map<string, number>();
    for (const a of answers) if (a !== undefined) votes.set(a.address, (votes.get(a.address) ?? 0) + 1);
    const [address] = [...votes.entries()].find(([, n]) => n >= plan.quorum) ?? [];
    const node = plan.nodes.find((n) => `${n.announce.host}:${n.announce.port}` === address);
    if (!node || !address) return undefined;
    return { region: node.region, address, failingOver: answers.some((a) => a?.failingOver) };
  };

  let ready = false;
  /** Whether every Sentinel lists every replica with its link up, and knows the other Sentinels. */
  const sentinelsReady = async (): Promise<boolean> => {
    const views = await Promise.all(
      sentinels.map(async (client) => {
        try {
          const [master, replicas] = (await Promise.all([
            client.call('SENTINEL', 'MASTER', plan.master),
            client.call('SENTINEL', 'REPLICAS', plan.master),
          ])) as [string[], string[][]];
          const others = Number(master[master.indexOf('num-other-sentinels') + 1]);
          const linked = replicas.filter((r) => {
            const field = (name: string) => r[r.indexOf(name) + 1];
            return field('master-link-status') === 'ok' && !/s_down|disconnected/.test(field('flags') ?? '');
          });
          return others === sentinels.length - 1 && linked.length === plan.nodes.length - 1;
        } catch {
          return false;
        }
      }),
    );
    return views.every(Boolean);
  };

  const tick = async (): Promise<void> => {
    const primary = await primaryNow();
    if (!primary || stopped) return;
    if (!ready && (await sentinelsReady())) {
      ready = true;
      options.onEvent?.({ event: 'ready', at: Date.now() });
    }
    if (primary.region !== current) {
      current = primary.region;
      options.onEvent?.({
        event: 'primary',
        region: primary.region,
        address: primary.address,
        at: Date.now(),
      });
    }
    await Promise.all(
      plan.nodes
        .filter((n) => n.region !== primary.region)
        .map(async (node) => {
          const client = nodes.get(node.region)!;
          const link = plan.links.get(linkKey(node.region, primary.region))!;
          try {
            const info = await client.info('replication');
            const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
            // A node that still says it is a primary is an old primary reachable again: demote it, but
            // never during a failover, when it may be the replica being promoted.
            const from =
              field('role') === 'slave' ? `${field('master_host')}:${field('master_port')}` : 'primary';
            if (from === 'primary' && primary.failingOver) return;
            const to = `${link.host}:${link.port}`;
            if (from === to || stopped) return;
            await client.call('REPLICAOF', link.host, String(link.port));
            options.onEvent?.({
              event: 'repointed',
              region: node.region,
              from,
              to,
              primary: primary.region,
              at: Date.now(),
            });
          } catch {
            // unreachable now: next round
          }
        }),
    );
  };

  const loop = (): void => {
    if (stopped) return;
    running = tick()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, options.everyMs);
      });
  };
  loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      for (const client of [...sentinels, ...nodes.values()]) client.disconnect();
    },
  };
}
