import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { GeoctlError } from '../../errors.js';
import type { Topology } from '../../topology/topology.js';
import { checkPortsFree, FixtureProcesses, tail, type FixtureChild } from '../fixture-processes.js';
import { startKeeper, type Keeper, type KeeperEvent } from './redis-keeper.js';
import { nodeConfig, planRedisFixture, sentinelConfig, type RedisFixturePlan } from './redis-plan.js';
import { findRedisPrograms } from './redis-programs.js';

/**
 * `geoctl fixture redis`: a Redis primary, its replicas and Sentinels as children of this process, with
 * their data and logs in one temporary directory that close() removes. redis-plan.ts says how they are
 * wired; redis-keeper.ts keeps replication on the link proxies after a failover.
 */
export interface RedisFixtureOptions {
  /** Where the temporary directory is made (default: the OS temp dir). */
  parentDir?: string | undefined;
  downAfterMs: number;
  failoverTimeoutMs: number;
  /** How often the keeper checks every replica's master (ms). */
  keepEveryMs?: number;
  onEvent?: (event: RedisFixtureEvent) => void;
}

export type RedisFixtureEvent =
  | KeeperEvent
  | { event: 'exited'; process: string; pid: number | undefined; code: number | null; signal: string | null };

export interface RunningProcess {
  /** `redis-server us-east` or `redis-sentinel :26379`. */
  name: string;
  pid: number | undefined;
  port: number;
  log: string;
}

export interface RedisFixture {
  plan: RedisFixturePlan;
  dir: string;
  nodes: Array<RunningProcess & { region: string; announce: string; replicaOf: string | undefined }>;
  sentinels: RunningProcess[];
  /** Rejects when a child exits while the fixture runs (a crash, or someone killed it). */
  failed: Promise<never>;
  /** Stops every child (SIGTERM, SIGKILL after 5 s), waits for each, removes the directory. Idempotent. */
  close(): Promise<void>;
}

const READY_WITHIN_MS = 15_000;
const STOP_GRACE_MS = 5_000;

export async function startRedisFixture(
  topology: Topology,
  options: RedisFixtureOptions,
): Promise<RedisFixture> {
  const plan = planRedisFixture(topology, options);
  const programs = await findRedisPrograms();
  await checkPortsFree(
    [...plan.nodes.map((n) => n.port), ...plan.sentinels.map((s) => s.port)],
    'Is another `geoctl fixture redis` (or a Redis) running with this topology? Stop it, or change the ports.',
  );
  const { Redis } = await import('ioredis');
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'geoctl-fixture-redis-'));
  const processes = new FixtureProcesses({
    onEvent: options.onEvent,
    portInUse: /Address already in use/,
    abandonSignal: 'SIGTERM',
  });
  processes.removeOnAbandon(dir);
  const { children, failed } = processes;
  const running: { keeper?: Keeper } = {};

  const launch = async (name: string, port: number, sub: string, file: string, args: string[]) => {
    const workDir = join(dir, sub);
    await mkdir(workDir, { recursive: true });
    return processes.launch(name, port, join(dir, `${sub}.log`), file, args, { cwd: workDir });
  };

  const close = async (): Promise<void> => {
    if (processes.isStopping) return;
    await processes.stop({
      before: async () => running.keeper?.stop(),
      signal: 'SIGTERM',
      reverse: true,
      escalate: [{ afterMs: STOP_GRACE_MS, signal: 'SIGKILL' }],
    });
    await rm(dir, { recursive: true, force: true });
    processes.release();
  };

  try {
    for (const node of plan.nodes) {
      const workDir = join(dir, node.region);
      await mkdir(workDir, { recursive: true });
      const config = join(workDir, 'redis.conf');
      await writeFile(config, `${nodeConfig(node, workDir).join('\n')}\n`);
      await launch(`redis-server ${node.region}`, node.port, node.region, programs.server, [config]);
    }
    for (const [i, sentinel] of plan.sentinels.entries()) {
      const sub = `sentinel-${i + 1}`;
      const workDir = join(dir, sub);
      await mkdir(workDir, { recursive: true });
      const config = join(workDir, 'sentinel.conf');
      await writeFile(config, `${sentinelConfig(plan, sentinel, workDir).join('\n')}\n`);
      await launch(`redis-sentinel :${sentinel.port}`, sentinel.port, sub, programs.sentinel.file, [
        config,
        ...programs.sentinel.args,
      ]);
    }
    await Promise.race([failed, Promise.all(children.map((child) => waitUntilAnswering(Redis, child)))]);
  } catch (error) {
    await close();
    throw error;
  }

  processes.started = true;
  running.keeper = startKeeper(Redis, plan, {
    everyMs: options.keepEveryMs ?? 200,
    onEvent: options.onEvent,
  });
  const proc = (child: FixtureChild): RunningProcess => ({
    name: child.name,
    pid: child.process.pid,
    port: child.port,
    log: child.log,
  });
  const nodeChildren = children.slice(0, plan.nodes.length);
  return {
    plan,
    dir,
    nodes: plan.nodes.map((node, i) => ({
      ...proc(nodeChildren[i]!),
      region: node.region,
      announce: `${node.announce.host}:${node.announce.port}`,
      replicaOf: node.replicaOf ? `${node.replicaOf.host}:${node.replicaOf.port}` : undefined,
    })),
    sentinels: children.slice(plan.nodes.length).map(proc),
    failed,
    close,
  };
}

/** Polls PING on the process's own port until it answers; fails with its log after READY_WITHIN_MS. */
async function waitUntilAnswering(RedisClass: typeof Redis, child: FixtureChild): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (child.done) return; // `failed` reports it
    const client = new RedisClass({
      host: '127.0.0.1',
      port: child.port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      // not yet
    } finally {
      client.disconnect();
    }
    if (Date.now() > deadline) {
      const message = `${child.name} did not answer on 127.0.0.1:${child.port} within ${READY_WITHIN_MS} ms`;
      const hint = `Is the port free? Its last log lines:\n${await tail(child.log)}`;
      throw new GeoctlError('E_STORE_UNREACHABLE', message, { hint });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
