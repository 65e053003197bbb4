import { spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Client } from 'pg';
import { GeoctlError } from '../../errors.js';
import { stateDir } from '../../state/state-dir.js';
import type { Topology } from '../../topology/topology.js';
import { checkPortsFree, FixtureProcesses, tail, type FixtureChild } from '../fixture-processes.js';
import {
  HBA,
  planPostgresFixture,
  serverConfig,
  standbyAutoConfig,
  type PostgresFixturePlan,
  type PostgresNodePlan,
} from './postgres-plan.js';
import { findPostgresPrograms, postgresUser, type RunAs } from './postgres-programs.js';

/**
 * `geoctl fixture postgres`: a PostgreSQL primary and its hot standbys as children of this process, each
 * postmaster started directly (not through pg_ctl, which would detach it), with every data directory and log
 * in one temporary directory that close() removes. As root, the servers run as the `postgres` user.
 * postgres-plan.ts says how they are wired.
 *
 * While it runs, the fixture writes `fixture-postgres.env` in geoctl's state directory (GEOCTL_STATE_DIR…):
 * the temporary directory, the programs' directory and the user to run them as, so a scenario's `run:` hook
 * (fixtures/postgres-streaming/promote.sh) can promote a standby with `pg_ctl promote`.
 */
export interface PostgresFixtureOptions {
  parentDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
  onEvent?: (event: PostgresFixtureEvent) => void;
}

export type PostgresFixtureEvent =
  | { event: 'ready'; streaming: string[]; ms: number }
  | { event: 'exited'; process: string; pid: number | undefined; code: number | null; signal: string | null };

export interface PostgresFixtureNode {
  region: string;
  role: 'primary' | 'standby';
  port: number;
  pid: number | undefined;
  dataDir: string;
  log: string;
  /** For a standby: the link proxy it streams through and its replication slot. */
  via?: string;
  slot?: string;
}

export interface PostgresFixture {
  plan: PostgresFixturePlan;
  dir: string;
  bin: string;
  runAs: string | undefined;
  stateFile: string;
  nodes: PostgresFixtureNode[];
  /** Resolves once every standby streams from the primary (pg_stat_replication), i.e. the proxies work. */
  ready: Promise<void>;
  /** Rejects when a server exits while the fixture runs. */
  failed: Promise<never>;
  /** Fast shutdown of every server (SIGINT; SIGQUIT after 5 s, SIGKILL after 10 s), then removes the directory. */
  close(): Promise<void>;
}

const READY_WITHIN_MS = 20_000;
const FAST_MS = 5_000;

export async function startPostgresFixture(
  topology: Topology,
  options: PostgresFixtureOptions = {},
): Promise<PostgresFixture> {
  const env = options.env ?? process.env;
  const plan = planPostgresFixture(topology);
  const programs = await findPostgresPrograms(env);
  const as = await postgresUser();
  await checkPortsFree(
    plan.nodes.map((n) => n.port),
    'Is another `geoctl fixture postgres` (or a PostgreSQL) running with this topology? Stop it, or change the ports.',
  );
  const pg = (await import('pg')).default;
  const parent = resolve(options.parentDir ?? tmpdir());
  if (as) await checkTraversable(parent, as);
  const dir = await mkdtemp(join(parent, 'geoctl-fixture-postgres-'));
  const own = async (path: string) => {
    if (as) await chown(path, as.uid, as.gid);
  };
  await own(dir);
  const childEnv: NodeJS.ProcessEnv = { ...env, HOME: dir, LANG: 'C', LC_ALL: 'C' };
  delete childEnv.PGPASSWORD;
  const spawnAs = { cwd: dir, env: childEnv, ...(as ? { uid: as.uid, gid: as.gid } : {}) };
  const state = join(stateDir(env), 'fixture-postgres.env');
  // SIGQUIT is PostgreSQL's immediate shutdown: what is left of an abandoned fixture is thrown away anyway.
  const processes = new FixtureProcesses({ onEvent: options.onEvent, abandonSignal: 'SIGQUIT' });
  processes.removeOnAbandon(dir);
  const { children, failed } = processes;

  const step = async (what: string, file: string, args: string[]): Promise<void> => {
    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(file, args, { ...spawnAs, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, output }));
    });
    if (result.code !== 0)
      throw new GeoctlError('E_STORE_UNREACHABLE', `${what} failed (exit ${result.code})`, {
        hint: result.output.trim().split('\n').slice(-10).join('\n'),
      });
  };

  // Detached: its own process group, so a terminal's Ctrl-C reaches geoctl alone, which stops it in order.
  const launch = (node: PostgresNodePlan): Promise<FixtureChild> =>
    processes.launch(
      `postgres ${node.region}`,
      node.port,
      join(dir, `${node.region}.log`),
      programs.postgres,
      ['-D', join(dir, node.region)],
      { ...spawnAs, detached: true },
      own,
    );

  const connect = async (port: number): Promise<Client> => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: plan.user,
      password: plan.password,
      database: 'postgres',
      connectionTimeoutMillis: 1_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };

  const close = async (): Promise<void> => {
    if (processes.isStopping) return;
    // SIGINT is PostgreSQL's fast shutdown; SIGQUIT its immediate one.
    await processes.stop({
      signal: 'SIGINT',
      escalate: [
        { afterMs: FAST_MS, signal: 'SIGQUIT' },
        { afterMs: 2 * FAST_MS, signal: 'SIGKILL' },
      ],
    });
    await rm(state, { force: true });
    await rm(dir, { recursive: true, force: true });
    processes.release();
  };

  const waitUntilAnswering = async (child: FixtureChild): Promise<void> => {
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      if (child.done) await failed;
      try {
        const client = await connect(child.port);
        await client.end();
        return;
      } catch {
        // not yet
      }
      if (Date.now() > deadline)
        throw new GeoctlError(
          'E_STORE_UNREACHABLE',
          `${child.name} did not answer on 127.0.0.1:${child.port} within ${READY_WITHIN_MS} ms`,
          { hint: `Its last log lines:\n${await tail(child.log)}` },
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const primary = plan.nodes.find((n) => n.region === plan.primary)!;
  const standbys = plan.nodes.filter((n) => n.standbyOf);
  try {
    const pwfile = join(dir, 'pwfile');
    await writeFile(pwfile, `${plan.password}\n`, { mode: 0o600 });
    await own(pwfile);
    const primaryData = join(dir, primary.region);
    await step('initdb', programs.initdb, [
      '-D',
      primaryData,
      '-U',
      plan.user,
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await rm(pwfile, { force: true });
    await appendTo(join(primaryData, 'postgresql.conf'), serverConfig(primary, dir), as);
    await writeFile(join(primaryData, 'pg_hba.conf'), `${HBA.join('\n')}\n`);
    await own(join(primaryData, 'pg_hba.conf'));
    const primaryChild = await launch(primary);
    await Promise.race([failed, waitUntilAnswering(primaryChild)]);
    const admin = await connect(primary.port);
    try {
      for (const node of standbys)
        await admin.query('SELECT pg_create_physical_replication_slot($1)', [node.standbyOf!.slot]);
    } finally {
      await admin.end().catch(() => undefined);
    }
    for (const node of standbys) {
      const data = join(dir, node.region);
      // The base backup comes straight from the primary; streaming afterwards goes through the link proxy.
      await step(`pg_basebackup for ${node.region}`, programs.pgBasebackup, [
        '-D',
        data,
        '-d',
        `host=127.0.0.1 port=${primary.port} user=${plan.user} password=${plan.password} application_name=${node.region}`,
        '-X',
        'stream',
        '-S',
        node.standbyOf!.slot,
        '-R',
        '-c',
        'fast',
        '--no-sync',
      ]);
      await appendTo(join(data, 'postgresql.conf'), serverConfig(node, dir), as);
      await appendTo(join(data, 'postgresql.auto.conf'), standbyAutoConfig(plan, node), as);
    }
    const standbyChildren = [];
    for (const node of standbys) standbyChildren.push(await launch(node));
    await Promise.race([failed, Promise.all(standbyChildren.map(waitUntilAnswering))]);
    await mkdir(stateDir(env), { recursive: true, mode: 0o700 });
    processes.removeOnAbandon(state);
    await writeFile(
      state,
      [
        `GEOCTL_PG_DIR=${dir}`,
        `GEOCTL_PG_BIN=${programs.dir}`,
        `GEOCTL_PG_RUN_AS=${as?.user ?? ''}`,
        `GEOCTL_PG_FIXTURE_PID=${process.pid}`,
        `GEOCTL_PG_TOPOLOGY=${topology.file}`,
        '',
      ].join('\n'),
    );
  } catch (error) {
    await close();
    throw error;
  }
  processes.started = true;

  const ready = (async () => {
    const since = Date.now();
    for (;;) {
      if (processes.isStopping) return;
      const client = await connect(primary.port).catch(() => undefined);
      if (client) {
        const rows = await client
          .query<{ name: string }>(
            "SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming'",
          )
          .then((r) => r.rows.map((row) => row.name))
          .catch(() => [] as string[]);
        await client.end().catch(() => undefined);
        if (standbys.every((s) => rows.includes(s.region))) {
          options.onEvent?.({ event: 'ready', streaming: rows, ms: Date.now() - since });
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  return {
    plan,
    dir,
    bin: programs.dir,
    runAs: as?.user,
    stateFile: state,
    nodes: plan.nodes.map((node, i) => ({
      region: node.region,
      role: node.standbyOf ? 'standby' : 'primary',
      port: node.port,
      pid: children[i]?.process.pid,
      dataDir: join(dir, node.region),
      log: children[i]!.log,
      ...(node.standbyOf
        ? { via: `${node.standbyOf.host}:${node.standbyOf.port}`, slot: node.standbyOf.slot }
        : {}),
    })),
    ready,
    failed,
    close,
  };
}

async function appendTo(file: string, lines: string[], as: RunAs | undefined): Promise<void> {
  const before = await readFile(file, 'utf8').catch(() => '');
  await writeFile(file, `${before}\n${lines.join('\n')}\n`);
  if (as) await chown(file, as.uid, as.gid);
}

/** As root, the servers run as `as`: every directory above theirs must let that user through. */
async function checkTraversable(parent: string, as: RunAs): Promise<void> {
  for (let path = parent; ; path = dirname(path)) {
    const info = await stat(path).catch(() => undefined);
    if (info && !(info.mode & 0o001) && info.uid !== as.uid && !(info.gid === as.gid && info.mode & 0o010))
      throw new GeoctlError(
        'E_CONFIG',
        `the servers run as ${as.user}, who cannot enter ${path} (mode ${(info.mode & 0o777).toString(8)}), above the data directory`,
        { hint: `Pass --dir with a directory ${as.user} can reach (e.g. /tmp), or \`chmod o+x ${path}\`.` },
      );
    if (path === dirname(path)) return;
  }
}
