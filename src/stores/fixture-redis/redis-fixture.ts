import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { GeoctlError } from '../../errors.js';
import type { Topology } from '../../topology/topology.js';
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

interface Child {
  name: string;
  port: number;
  log: string;
  process: ChildProcess;
  exited: Promise<void>;
  done: boolean;
}

export async function startRedisFixture(
  topology: Topology,
  options: RedisFixtureOptions,
): Promise<RedisFixture> {
  const plan = planRedisFixture(topology, options);
  const programs = await findRedisPrograms();
  await checkPortsFree([...plan.nodes.map((n) => n.port), ...plan.sentinels.map((s) => s.port)]);
  const { Redis } = await import('ioredis');
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'geoctl-fixture-redis-'));
  const children: Child[] = [];
  let closing = false;
  let started = false;
  let rejectFailed: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  failed.catch(() => undefined);
  const running: { keeper?: Keeper } = {};

  const launch = async (name: string, port: number, sub: string, file: string, args: string[]) => {
    const workDir = join(dir, sub);
    await mkdir(workDir, { recursive: true });
    const log = join(dir, `${sub}.log`);
    const out = await open(log, 'a');
    const child = spawn(file, args, { stdio: ['ignore', out.fd, out.fd], cwd: workDir });
    await out.close();
    const entry: Child = { name, port, log, process: child, exited: Promise.resolve(), done: false };
    entry.exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        entry.done = true;
        if (!closing)
          rejectFailed(new GeoctlError('E_INTERNAL', `${name} could not start: ${error.message}`));
        resolve();
      });
      child.once('exit', (code, signal) => {
        entry.done = true;
        if (!closing) {
          options.onEvent?.({ event: 'exited', process: name, pid: child.pid, code, signal });
          void tail(log).then((text) => {
            const how = signal ?? `code ${code}`;
            const inUse = /Address already in use/.test(text);
            rejectFailed(
              new GeoctlError(
                inUse ? 'E_ADDRESS_IN_USE' : 'E_STORE_UNREACHABLE',
                `${name} exited (${how}) ${started ? 'while the fixture ran' : 'while starting'}${inUse ? `: 127.0.0.1:${port} is in use` : ''}`,
                { hint: `Its last log lines:\n${text}` },
              ),
            );
          });
        }
        resolve();
      });
    });
    children.push(entry);
    return entry;
  };

  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await running.keeper?.stop();
    for (const child of [...children].reverse()) if (!child.done) child.process.kill('SIGTERM');
    await Promise.all(
      children.map(async (child) => {
        const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_GRACE_MS);
        await child.exited;
        clearTimeout(timer);
      }),
    );
    await rm(dir, { recursive: true, force: true });
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

  started = true;
  running.keeper = startKeeper(Redis, plan, {
    everyMs: options.keepEveryMs ?? 200,
    onEvent: options.onEvent,
  });
  const proc = (child: Child): RunningProcess => ({
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

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-10).join('\n');
}

/** Polls PING on the process's own port until it answers; fails with its log after READY_WITHIN_MS. */
async function waitUntilAnswering(RedisClass: typeof Redis, child: Child): Promise<void> {
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

/** E_ADDRESS_IN_USE naming every port someone else listens on (another fixture, say), before starting any. */
async function checkPortsFree(ports: number[]): Promise<void> {
  const taken: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) taken.push(port);
  }
  if (taken.length > 0)
    throw new GeoctlError('E_ADDRESS_IN_USE', `127.0.0.1 port ${taken.join(', ')} is in use`, {
      hint: 'Is another `geoctl fixture redis` (or a Redis) running with this topology? Stop it, or change the ports.',
      details: { ports: taken },
    });
}
