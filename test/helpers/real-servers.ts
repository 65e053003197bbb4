import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chown, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePorts } from './free-ports.js';

/**
 * Real Redis, Redis Sentinel and PostgreSQL servers for tests: each on a free 127.0.0.1 port, in its own
 * temporary directory, started as a child of the test process and stopped (and its directory removed) by
 * `stopAll()`. A missing binary is an error that says what to install, never a silent skip.
 */

const READY_WITHIN_MS = 15_000;
const OUTPUT_KEPT = 4_000;

export interface RunningServer {
  readonly name: string;
  readonly port: number;
  /** 127.0.0.1:port */
  readonly address: string;
  /** Its output (or log) so far, for failure messages. */
  output(): Promise<string>;
  stop(): Promise<void>;
}

export class ServerSet {
  private readonly servers: RunningServer[] = [];

  add<S extends RunningServer>(server: S): S {
    this.servers.push(server);
    return server;
  }

  /** Stops every server (newest first), even when some fail to stop; rethrows the first failure. */
  async stopAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const server of this.servers.splice(0).reverse()) {
      await server.stop().catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw failures[0];
  }
}

// ---------------------------------------------------------------------------------------------- binaries

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string, extraDirs: string[] = []): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter((d) => d !== '');
  for (const dir of dirs) if (await isExecutable(join(dir, name))) return join(dir, name);
  return undefined;
}

const REDIS_HINT = 'install it with `apt-get install -y redis-server redis-sentinel` (Debian/Ubuntu)';

export async function redisServerBinary(): Promise<string> {
  const found = await onPath('redis-server', ['/usr/bin', '/usr/local/bin', '/usr/sbin']);
  if (!found) throw new Error(`redis-server was not found on PATH: ${REDIS_HINT}`);
  return found;
}

/** redis-sentinel, or `redis-server --sentinel` (the same program) when only the server is installed. */
async function sentinelCommand(): Promise<{ file: string; args: string[] }> {
  const sentinel = await onPath('redis-sentinel', ['/usr/bin', '/usr/local/bin', '/usr/sbin']);
  if (sentinel) return { file: sentinel, args: [] };
  return { file: await redisServerBinary(), args: ['--sentinel'] };
}

export interface PostgresBinaries {
  dir: string;
  initdb: string;
  pgCtl: string;
  pgBasebackup: string;
}

/**
 * PostgreSQL's server programs, all from one directory: Debian's /usr/lib/postgresql/<newest>/bin first,
 * then `pg_config --bindir`, then whatever pg_ctl on PATH links to (a /usr/local/bin link is followed to
 * its real directory, where initdb finds `postgres`).
 */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const candidates: string[] = [];
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .forEach((v) => candidates.push(`/usr/lib/postgresql/${v}/bin`));
  const bindir = await run('pg_config', ['--bindir']).catch(() => undefined);
  if (bindir?.code === 0) candidates.push(bindir.output.trim());
  const pgCtl = await onPath('pg_ctl');
  if (pgCtl) candidates.push(dirname(await realpath(pgCtl)));
  for (const dir of candidates) {
    const names = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup'];
    if ((await Promise.all(names.map((n) => isExecutable(join(dir, n))))).every(Boolean)) {
      return {
        dir,
        initdb: join(dir, 'initdb'),
        pgCtl: join(dir, 'pg_ctl'),
        pgBasebackup: join(dir, 'pg_basebackup'),
      };
    }
  }
  throw new Error(
    'PostgreSQL server programs (initdb, pg_ctl, postgres, pg_basebackup) were not found under ' +
      '/usr/lib/postgresql/*/bin, `pg_config --bindir` or PATH: install them with ' +
      '`apt-get install -y postgresql` (Debian/Ubuntu)',
  );
}

// ------------------------------------------------------------------------------------------- processes

interface RunAs {
  uid: number;
  gid: number;
}

function run(
  file: string,
  args: string[],
  options: { as?: RunAs | undefined; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
      ...(options.as ?? {}),
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function mustRun(
  what: string,
  file: string,
  args: string[],
  options: Parameters<typeof run>[2] = {},
): Promise<string> {
  const result = await run(file, args, options);
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.output.trim()}`);
  return result.output;
}

/** A long-running child: its output kept, its exit awaited on stop. */
class ChildServer implements RunningServer {
  private log = '';
  readonly exited: Promise<number | null>;
  private dead = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-OUTPUT_KEPT));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.log += `\n${error.message}`;
        this.dead = true;
        resolve(null);
      });
      child.once('exit', (code) => {
        this.dead = true;
        resolve(code);
      });
    });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !this.dead;
  }

  async output(): Promise<string> {
    return this.log.trim();
  }

  async stop(): Promise<void> {
    if (!this.dead) this.child.kill('SIGKILL');
    await this.exited;
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Polls `probe` until it resolves true, the server dies, or the deadline passes (then stops it). */
async function waitUntilReady(
  server: RunningServer & { running: boolean },
  probe: () => Promise<boolean>,
  what: string,
): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (!server.running) {
      const output = await server.output();
      await server.stop().catch(() => undefined);
      throw new Error(`${what} exited before it was ready:\n${output}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      const output = await server.output();
      await server.stop().catch(() => undefined);
      throw new Error(`${what} was not ready within ${READY_WITHIN_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ------------------------------------------------------------------------------------------------ redis

export interface RedisServerOptions {
  password?: string;
  /** host:port of the primary to replicate (with `password` as masterauth). */
  replicaOf?: string;
  port?: number;
}

export interface RedisServer extends RunningServer {
  readonly password: string | undefined;
  /** A fresh ioredis connection straight to the server (not through any proxy); close it after use. */
  connect(): Redis;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = await redisServerBinary();
  const port = options.port ?? (await freePorts(1))[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'geoctl-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  args.push('--dir', dir, '--logfile', '', '--daemonize', 'no', '--protected-mode', 'no');
  // A replica's first sync starts at once, not after the default 5 s wait for more replicas.
  args.push('--repl-diskless-sync-delay', '0');
  if (options.password !== undefined) args.push('--requirepass', options.password);
  if (options.replicaOf !== undefined) {
    const [host, primaryPort] = options.replicaOf.split(':') as [string, string];
    args.push('--replicaof', host, primaryPort);
    if (options.password !== undefined) args.push('--masterauth', options.password);
  }
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const base = new ChildServer(`redis-server :${port}`, port, child, dir);
  const connect = () =>
    new Redis({
      host: '127.0.0.1',
      port,
      password: options.password,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
  await waitUntilReady(base, () => ping(connect), base.name);
  return Object.assign(base, { password: options.password, connect });
}

async function ping(connect: () => Redis, command: (r: Redis) => Promise<unknown> = (r) => r.ping()) {
  const client = connect();
  client.on('error', () => undefined);
  try {
    await client.connect();
    await command(client);
    return true;
  } finally {
    client.disconnect();
  }
}

export interface SentinelOptions {
  master: string;
  /** host:port of the primary to monitor. */
  primary: string;
  /** The Redis servers' password (sentinel auth-pass). */
  authPass?: string;
  /** Sentinel's own password (requirepass). */
  password?: string;
  downAfterMs?: number;
}

export interface SentinelServer extends RunningServer {
  connect(): Redis;
}

/** One Sentinel (quorum 1) for one primary, from a fresh config file (Sentinel rewrites its own). */
export async function startSentinel(options: SentinelOptions): Promise<SentinelServer> {
  const { file, args } = await sentinelCommand();
  const port = (await freePorts(1))[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'geoctl-sentinel-'));
  const [host, primaryPort] = options.primary.split(':') as [string, string];
  const lines = [
    `port ${port}`,
    'bind 127.0.0.1',
    'protected-mode no',
    `dir ${dir}`,
    'logfile ""',
    `sentinel monitor ${options.master} ${host} ${primaryPort} 1`,
    `sentinel down-after-milliseconds ${options.master} ${options.downAfterMs ?? 1000}`,
    `sentinel failover-timeout ${options.master} 10000`,
  ];
  if (options.authPass !== undefined) lines.push(`sentinel auth-pass ${options.master} ${options.authPass}`);
  if (options.password !== undefined) lines.push(`requirepass ${options.password}`);
  const config = join(dir, 'sentinel.conf');
  await writeFile(config, `${lines.join('\n')}\n`);
  const child = spawn(file, [config, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const base = new ChildServer(`redis-sentinel :${port}`, port, child, dir);
  const connect = () =>
    new Redis({
      host: '127.0.0.1',
      port,
      password: options.password,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
  await waitUntilReady(
    base,
    () => ping(connect, (r) => r.call('SENTINEL', 'get-master-addr-by-name', options.master)),
    base.name,
  );
  return Object.assign(base, { connect });
}

// --------------------------------------------------------------------------------------------- postgres

export interface PostgresServer extends RunningServer {
  readonly password: string;
  readonly dataDir: string;
  /** A connected pg client straight to the server (database `postgres`); end it after use. */
  client(database?: string): Promise<pg.Client>;
}

/** Root cannot run PostgreSQL: as root, run its programs as the `postgres` user. */
async function postgresUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8');
  const entry = passwd.split('\n').find((line) => line.startsWith('postgres:'));
  const [, , uid, gid] = entry?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error(
      'running as root, the PostgreSQL tests need a `postgres` user: `apt-get install -y postgresql` creates it',
    );
  return { uid: Number(uid), gid: Number(gid) };
}

const POSTGRES_CONF = [
  "listen_addresses = '127.0.0.1'",
  // Fast and throwaway; synchronous_commit stays on, so WAL reaches a standby at once, not ~200 ms later.
  'fsync = off',
  'full_page_writes = off',
  'shared_buffers = 16MB',
  'max_connections = 40',
  'max_wal_senders = 4',
  "password_encryption = 'scram-sha-256'",
  'logging_collector = off',
];

class PostgresProcess implements RunningServer {
  running = true;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly dir: string,
    private readonly binaries: PostgresBinaries,
    private readonly as: RunAs | undefined,
    readonly password: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async output(): Promise<string> {
    return (await readFile(join(this.dir, 'log'), 'utf8').catch(() => '')).slice(-OUTPUT_KEPT).trim();
  }

  async client(database = 'postgres'): Promise<pg.Client> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: 'postgres',
      password: this.password,
      database,
      connectionTimeoutMillis: 2_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  async start(): Promise<void> {
    const { code, output } = await run(
      this.binaries.pgCtl,
      ['-D', this.dataDir, '-l', join(this.dir, 'log'), '-w', '-t', '20', 'start'],
      { as: this.as, cwd: this.dir, env: { ...process.env, HOME: this.dir } },
    );
    if (code !== 0) {
      const log = await this.output();
      await this.stop().catch(() => undefined);
      throw new Error(`${this.name}: pg_ctl start failed (exit ${code}):\n${output.trim()}\n${log}`);
    }
    await waitUntilReady(
      this,
      async () => {
        const client = await this.client();
        await client.end();
        return true;
      },
      this.name,
    );
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.running = false;
      const pid = await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8')
        .then((text) => Number(text.split('\n')[0]))
        .catch(() => undefined);
      const result = await run(this.binaries.pgCtl, ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop'], {
        as: this.as,
        cwd: this.dir,
        env: { ...process.env, HOME: this.dir },
        timeoutMs: 15_000,
      }).catch(() => undefined);
      if (result?.code !== 0 && pid !== undefined && pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function postgresDir(prefix: string, as: RunAs | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (as) await chown(dir, as.uid, as.gid);
  return dir;
}

async function appendConf(dataDir: string, lines: string[], as: RunAs | undefined): Promise<void> {
  const file = join(dataDir, 'postgresql.conf');
  await writeFile(file, `${await readFile(file, 'utf8')}\n# geoctl tests\n${lines.join('\n')}\n`);
  if (as) await chown(file, as.uid, as.gid);
}

export interface PostgresOptions {
  password: string;
  /** A fixed port (default: a free one). */
  port?: number;
  /** More postgresql.conf lines, e.g. `wal_sender_timeout = 5s`. */
  conf?: string[];
}

/**
 * A PostgreSQL primary: initdb (superuser `postgres` with `password`, scram-sha-256 on 127.0.0.1, trust on
 * its private Unix socket) and pg_ctl, as the `postgres` user when run as root.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const binaries = await postgresBinaries();
  const as = await postgresUser();
  const port = options.port ?? (await freePorts(1))[0]!;
  const dir = await postgresDir('geoctl-pg-', as);
  const dataDir = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, `${options.password}\n`, { mode: 0o600 });
  if (as) await chown(pwfile, as.uid, as.gid);
  const env = { ...process.env, HOME: dir, LANG: 'C', LC_ALL: 'C' };
  try {
    await mustRun(
      'initdb',
      binaries.initdb,
      ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-sync'],
      { as, env, cwd: dir },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  await appendConf(
    dataDir,
    [...POSTGRES_CONF, `port = ${port}`, `unix_socket_directories = '${dir}'`, ...(options.conf ?? [])],
    as,
  );
  await writeFile(
    join(dataDir, 'pg_hba.conf'),
    [
      'local all all trust',
      'host all all 127.0.0.1/32 scram-sha-256',
      'host replication all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  );
  if (as) await chown(join(dataDir, 'pg_hba.conf'), as.uid, as.gid);
  const server = new PostgresProcess(`postgres :${port}`, port, dataDir, dir, binaries, as, options.password);
  await server.start();
  return server;
}

export interface StandbyOptions {
  /** A fixed port (default: a free one). */
  port?: number;
  /**
   * host:port the standby streams from once running, e.g. a link proxy's listen address (default: the
   * primary itself). The base backup is always taken straight from the primary.
   */
  upstream?: string;
  /** Its application_name in pg_stat_replication (default `standby<port>`). */
  applicationName?: string;
  /** More postgresql.conf lines, e.g. `wal_receiver_timeout = 2s`. */
  conf?: string[];
}

/** A streaming-replication standby of `primary` (pg_basebackup -R), on its own port. */
export async function startPostgresStandby(
  primary: PostgresServer,
  options: StandbyOptions = {},
): Promise<PostgresServer> {
  const binaries = await postgresBinaries();
  const as = await postgresUser();
  const port = options.port ?? (await freePorts(1))[0]!;
  const dir = await postgresDir('geoctl-pg-standby-', as);
  const dataDir = join(dir, 'data');
  const name = options.applicationName ?? `standby${port}`;
  const conninfo = `host=127.0.0.1 port=${primary.port} user=postgres password=${primary.password} application_name=${name}`;
  try {
    await mustRun(
      'pg_basebackup',
      binaries.pgBasebackup,
      ['-D', dataDir, '-d', conninfo, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
      { as, cwd: dir, env: { ...process.env, HOME: dir } },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  await appendConf(
    dataDir,
    [`port = ${port}`, `unix_socket_directories = '${dir}'`, 'hot_standby = on', ...(options.conf ?? [])],
    as,
  );
  if (options.upstream !== undefined) {
    // -R wrote the primary's own address into postgresql.auto.conf, read after postgresql.conf: the last
    // primary_conninfo there wins.
    const [host, upstreamPort] = options.upstream.split(':') as [string, string];
    const via = `host=${host} port=${upstreamPort} user=postgres password=${primary.password} application_name=${name}`;
    const auto = join(dataDir, 'postgresql.auto.conf');
    await writeFile(
      auto,
      `${await readFile(auto, 'utf8')}\nprimary_conninfo = '${via.replaceAll("'", "''")}'\n`,
    );
  }
  const server = new PostgresProcess(
    `postgres standby :${port}`,
    port,
    dataDir,
    dir,
    binaries,
    as,
    primary.password,
  );
  await server.start();
  return server;
}
