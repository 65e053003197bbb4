/**
 * `store: { type: postgres }` — PostgreSQL with one server per region: the primary and its streaming
 * standbys. Uses node-postgres (pg), loaded only when a store is opened.
 *
 * Options (all optional):
 *   database     default `postgres`.
 *   user         default `postgres`.
 *   password     pass it through substitution (`password: ${PGPASSWORD}`); geoctl never prints it. The
 *                PG* environment variables are not read: what is not in the file is not used.
 *   table        the key-value table, `name` or `schema.name`, default `geoctl_kv`. open() creates it on
 *                the writer when missing: `CREATE TABLE IF NOT EXISTS <table> (key text PRIMARY KEY,
 *                value text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`.
 *   writer       the region whose server is the primary, by name or alias, default the first region; or
 *                `auto`: the region whose server is not in recovery (`SELECT pg_is_in_recovery()`), found
 *                at open() and again after a write to it fails or goes unanswered, so writes follow a
 *                promotion. It stays there while writes succeed (an old primary that comes back is not
 *                chosen again while the promoted one answers).
 *   timeout      per operation, connecting included, default 2s. A write without an answer in time is
 *                indeterminate (it may have committed); a read is a fail.
 *   connections  pool size per region, default 4.
 *
 * Routing. Every region is reached through its client endpoint (`client.listen`, the Toxiproxy proxy), so
 * faults cut clients off too. A write (an upsert, one autocommit statement) goes to the writer region's
 * server whichever region it is made from; the ack's `via` and primaryRegion() name the writer region. A
 * read goes to the region's own server (a hot standby in real use, so reads show replication lag).
 *
 * Versions. The id of the transaction that wrote the value (`xmin`): a write's ack and every read of that
 * value carry the same one, so a read tells which write it saw.
 *
 * Outcomes. A write that never reached the server (connection refused, no connection within the timeout,
 * authentication failed) or that the server rejected with an error (read-only standby 25006, missing
 * table, a constraint…) is a fail. A write sent without an answer (timeout, connection lost, the server
 * shutting down: SQLSTATE classes 08, 57, 58, XX) is indeterminate. A connection whose statement timed out
 * is destroyed, never reused. A missing key reads as absent.
 *
 * open() connects to every region and fails with one paragraph naming the region and endpoint (never the
 * password): refused, closed or silent (E_STORE_UNREACHABLE); wrong password, unknown user or database, a
 * table that is missing and cannot be created (the writer is a read-only standby, no CREATE privilege),
 * or lacks the key/value columns (E_CONFIG).
 */
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { GeoctlError } from '../../errors.js';
import type { Region } from '../../topology/topology.js';
import type { StoreAdapter, StoreContext } from '../adapter.js';
import type { OptionsReader } from '../options-reader.js';
import {
  fail,
  indeterminate,
  ok,
  type OperationOptions,
  type Outcome,
  type ReadValue,
  type Store,
  type WriteAck,
} from '../store.js';
import {
  beforeDeadline,
  type Deadline,
  DeadlineError,
  deadlineIn,
  describeEndpoint,
  errorText,
  parseWriter,
  redact,
  remaining,
  splitHostPort,
} from './primary-store-support.js';

export interface PostgresStoreOptions {
  database: string;
  user: string;
  password: string | undefined;
  /** Validated identifiers: [name] or [schema, name]. */
  table: string[];
  writer: string;
  /** `writer: auto`: find the writable server (pg_is_in_recovery() false) instead of trusting `writer`. */
  autoWriter?: boolean;
  timeoutMs: number;
  connections: number;
}

const KEYS = ['type', 'database', 'user', 'password', 'table', 'writer', 'timeout', 'connections'];
/** How long open() waits for a standby to show a table it just created on the writer. */
const STANDBY_CATCH_UP_MS = 5_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

export function parsePostgresOptions(
  o: OptionsReader,
  context: Pick<StoreContext, 'topology'>,
): PostgresStoreOptions {
  o.only('', KEYS);
  const tableText = o.string('table', 'geoctl_kv') ?? 'geoctl_kv';
  const table = tableText.split('.');
  if (table.length > 2 || !table.every((part) => IDENTIFIER.test(part))) {
    o.report(
      'table',
      `expected a table name or schema.name of letters, digits and _ (e.g. geoctl_kv), got "${tableText}"`,
    );
  }
  const autoWriter = o.at('writer') === 'auto';
  return {
    ...(autoWriter ? { autoWriter } : {}),
    database: o.string('database', 'postgres') ?? 'postgres',
    user: o.string('user', 'postgres') ?? 'postgres',
    password: o.optionalString('password'),
    table,
    writer: autoWriter ? (context.topology.regions[0]?.name ?? '') : parseWriter(o, context.topology),
    timeoutMs: o.durationMs('timeout', 2_000),
    connections: o.integer('connections', 4, { min: 1, max: 256 }),
  };
}

export const postgresStore: StoreAdapter<PostgresStoreOptions> = {
  name: 'postgres',
  summary: 'PostgreSQL primary and streaming standbys (node-postgres)',
  parse: (o, context) => parsePostgresOptions(o, context),
  async open(options, context) {
    const { Pool } = await import('pg');
    const store = new PostgresStore(options, context, Pool);
    try {
      await store.check();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  },
};

type PoolClass = typeof Pool;

/** Why a statement did not succeed: before sending, rejected by the server, or sent without an answer. */
type Failure = { stage: 'not-sent' | 'rejected' | 'sent'; code: string; message: string };
type Result = { ok: true; rows: Array<Record<string, unknown>> } | ({ ok: false } & Failure);

/** SQLSTATE classes after which a statement may have committed: connection, operator, system, internal. */
const MAYBE_APPLIED = new Set(['08', '57', '58', 'XX']);

/** One region's pool; statements run with a deadline, and a connection that timed out is destroyed. */
class PgEndpoint {
  constructor(
    readonly region: Region,
    private readonly pool: Pool,
  ) {
    // Idle connections that break (a disabled proxy closes them) must not crash the process.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
  }

  async run(text: string, values: unknown[], deadline: Deadline): Promise<Result> {
    let client: PoolClient;
    try {
      client = await beforeDeadline(this.pool.connect(), deadline, (late) => late.release());
    } catch (error) {
      return { ok: false, stage: 'not-sent', ...describeConnectError(error, deadline) };
    }
    const query: QueryConfig & { query_timeout: number } = {
      text,
      values,
      query_timeout: remaining(deadline),
    };
    try {
      const result = await client.query(query);
      client.release();
      return { ok: true, rows: result.rows as Array<Record<string, unknown>> };
    } catch (error) {
      const { code, message } = errorText(error);
      if (isServerError(error, code) && !MAYBE_APPLIED.has(code.slice(0, 2))) {
        client.release();
        return { ok: false, stage: 'rejected', code, message };
      }
      client.release(error instanceof Error ? error : new Error(message)); // destroys it
      // pg refuses at once, without sending, on a client whose connection has already ended.
      if (/is not queryable/.test(message))
        return {
          ok: false,
          stage: 'not-sent',
          code: 'CONNECTION_CLOSED',
          message: 'the connection had closed',
        };
      if (message === 'Query read timeout')
        return { ok: false, stage: 'sent', code: 'TIMEOUT', message: `no answer within ${deadline.ms} ms` };
      return { ok: false, stage: 'sent', code: code ?? 'CONNECTION_LOST', message };
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** An error the server sent (pg's DatabaseError has a severity), with its SQLSTATE. */
function isServerError(error: unknown, code: string | undefined): code is string {
  return typeof error === 'object' && error !== null && 'severity' in error && code !== undefined;
}

function describeConnectError(error: unknown, deadline: Deadline): { code: string; message: string } {
  const { code, message } = errorText(error);
  if (error instanceof DeadlineError || /timeout/i.test(message))
    return { code: 'TIMEOUT', message: `no connection within ${deadline.ms} ms` };
  if (message.includes('client password must be a string'))
    return { code: 'NO_PASSWORD', message: 'the server asks for a password and store.password is not set' };
  if (/Connection terminated/.test(message))
    return { code: 'CONNECTION_CLOSED', message: 'the connection closed before the server answered' };
  return { code: code ?? 'ERROR', message };
}

export class PostgresStore implements Store {
  readonly regions: string[];
  private readonly endpoints = new Map<string, PgEndpoint>();
  private readonly table: string;
  private readonly writeSql: string;
  private readonly readSql: string;
  /** Where writes go now: options.writer, or with `writer: auto` the last server found writable. */
  private writer: string;
  private finding: Promise<string | undefined> | undefined;

  constructor(
    private readonly options: PostgresStoreOptions,
    context: StoreContext,
    Pool: PoolClass,
  ) {
    this.regions = context.topology.regions.map((r) => r.name);
    this.writer = options.writer;
    for (const region of context.topology.regions) {
      const { host, port } = splitHostPort(region.client.listen) ?? {
        host: region.client.listen,
        port: 5432,
      };
      const pool = new Pool({
        host,
        port,
        user: options.user,
        database: options.database,
        // Never undefined: pg would fall back to PGPASSWORD from the environment.
        password: options.password ?? '',
        ssl: false,
        max: options.connections,
        connectionTimeoutMillis: options.timeoutMs,
        idleTimeoutMillis: 30_000,
        application_name: 'geoctl',
        keepAlive: true,
      });
      this.endpoints.set(region.name, new PgEndpoint(region, pool));
    }
    this.table = options.table.map((part) => `"${part}"`).join('.');
    this.writeSql =
      `INSERT INTO ${this.table} AS kv (key, value, updated_at) VALUES ($1, $2, now()) ` +
      'ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at ' +
      'RETURNING kv.xmin::text AS version';
    this.readSql = `SELECT value, xmin::text AS version FROM ${this.table} WHERE key = $1`;
  }

  async write(
    region: string,
    key: string,
    value: string,
    op: OperationOptions = {},
  ): Promise<Outcome<WriteAck>> {
    if (!this.endpoints.has(region)) return fail(`unknown region ${region}`, 'UNKNOWN_REGION');
    const writer = this.endpoints.get(this.writer)!;
    const deadline = deadlineIn(op.timeoutMs ?? this.options.timeoutMs);
    const result = await writer.run(this.writeSql, [key, value], deadline);
    if (result.ok) return ok({ version: asText(result.rows[0]?.version), via: writer.region.name });
    if (this.options.autoWriter) await this.findWriter(op.timeoutMs ?? this.options.timeoutMs);
    const error = this.redact(
      `write from ${region} to the writer, ${describeEndpoint(writer.region)}: ${result.message}`,
    );
    return result.stage === 'sent' ? indeterminate(error, result.code) : fail(error, result.code);
  }

  async read(region: string, key: string, op: OperationOptions = {}): Promise<Outcome<ReadValue>> {
    const endpoint = this.endpoints.get(region);
    if (!endpoint) return fail(`unknown region ${region}`, 'UNKNOWN_REGION');
    const result = await endpoint.run(
      this.readSql,
      [key],
      deadlineIn(op.timeoutMs ?? this.options.timeoutMs),
    );
    if (!result.ok)
      return fail(
        this.redact(`read from ${describeEndpoint(endpoint.region)}: ${result.message}`),
        result.code,
      );
    const row = result.rows[0];
    if (!row) return ok({ kind: 'absent' });
    return ok({ kind: 'value', value: asText(row.value) ?? '', version: asText(row.version) });
  }

  /** The writer region: writes go there. */
  async primaryRegion(): Promise<string | undefined> {
    return this.writer;
  }

  /**
   * `writer: auto`: asks every region's server pg_is_in_recovery() at once and moves writes to the first that
   * answers it is not in recovery (a server cut off by a fault does not hold the search up). Keeps the
   * current writer when none answers as a primary within the timeout (a promotion not done yet).
   * Concurrent callers share one search.
   */
  private findWriter(timeoutMs: number): Promise<string | undefined> {
    this.finding ??= new Promise<string | undefined>((resolve) => {
      let pending = this.regions.length;
      let found = false;
      for (const region of this.regions) {
        void this.endpoints
          .get(region)!
          .run('SELECT pg_is_in_recovery() AS standby', [], deadlineIn(timeoutMs))
          .then((result) => {
            if (!found && result.ok && result.rows[0]?.standby === false) {
              found = true;
              this.writer = region;
              resolve(region);
            }
            if (--pending === 0) resolve(undefined);
          });
      }
    }).finally(() => (this.finding = undefined));
    return this.finding;
  }

  async close(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map((endpoint) => endpoint.close()));
  }

  /**
   * Connects to every region, creates the table on the writer if it is missing, and checks every region
   * sees it (a standby may take a moment to replay the CREATE). Throws one paragraph about what is wrong.
   */
  async check(): Promise<void> {
    const deadline = () => deadlineIn(this.options.timeoutMs);
    const roles = new Map<string, boolean>();
    const problems: Array<Failure & { region: Region }> = [];
    await Promise.all(
      [...this.endpoints.values()].map(async (endpoint) => {
        const result = await endpoint.run('SELECT pg_is_in_recovery() AS standby', [], deadline());
        if (result.ok) roles.set(endpoint.region.name, result.rows[0]?.standby === true);
        else problems.push({ region: endpoint.region, ...result });
      }),
    );
    if (problems.length > 0) throw this.connectError(problems);
    if (this.options.autoWriter) {
      const primary = this.regions.find((r) => roles.get(r) === false);
      if (primary === undefined)
        throw new GeoctlError(
          'E_CONFIG',
          "cannot open the postgres store: store.writer is auto and every region's server is a standby (pg_is_in_recovery() is true everywhere)",
          { hint: 'Promote one, or name the writer region in store.writer.' },
        );
      this.writer = primary;
    }

    const writer = this.endpoints.get(this.writer)!;
    const exists = await this.tableExists(writer, deadline());
    if (!exists) {
      if (roles.get(writer.region.name)) {
        throw new GeoctlError(
          'E_CONFIG',
          `cannot open the postgres store: table ${this.table} does not exist in database ${this.options.database}, and the writer region, ${describeEndpoint(writer.region)}, is a read-only standby (pg_is_in_recovery() is true), so geoctl cannot create it there`,
          {
            hint: 'Set store.writer to the region of the primary, or create the table on the primary.',
          },
        );
      }
      const created = await writer.run(
        `CREATE TABLE IF NOT EXISTS ${this.table} (key text PRIMARY KEY, value text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
        [],
        deadline(),
      );
      if (!created.ok) {
        throw new GeoctlError(
          created.stage === 'rejected' ? 'E_CONFIG' : 'E_STORE_UNREACHABLE',
          this.redact(
            `cannot open the postgres store: table ${this.table} does not exist in database ${this.options.database} and creating it on the writer, ${describeEndpoint(writer.region)}, failed: ${created.message} (${created.code})`,
          ),
          { hint: `Create the table yourself, or let user ${this.options.user} create tables.` },
        );
      }
    }

    // Every region must see the table with its columns; standbys get a while to replay the CREATE.
    const until = Date.now() + Math.max(this.options.timeoutMs, STANDBY_CATCH_UP_MS);
    await Promise.all(
      [...this.endpoints.values()].map(async (endpoint) => {
        for (;;) {
          const result = await endpoint.run(
            `SELECT key, value FROM ${this.table} WHERE false`,
            [],
            deadline(),
          );
          if (result.ok) return;
          if (result.code === '42P01' && roles.get(endpoint.region.name) && Date.now() < until) {
            await new Promise((r) => setTimeout(r, 50));
            continue;
          }
          const missing = result.code === '42P01';
          throw new GeoctlError(
            result.stage === 'rejected' ? 'E_CONFIG' : 'E_STORE_UNREACHABLE',
            this.redact(
              `cannot open the postgres store: region ${describeEndpoint(endpoint.region)}: ${
                missing
                  ? `table ${this.table} does not exist in database ${this.options.database} there, though it exists on the writer, ${writer.region.name}`
                  : result.message
              } (${result.code})`,
            ),
            {
              hint: missing
                ? `Is ${endpoint.region.name}'s server a standby of ${writer.region.name}'s primary, replicating database ${this.options.database}?`
                : result.code === '42703'
                  ? `Table ${this.table} needs text columns key (primary key) and value; use another store.table.`
                  : 'Is a fault active (`geoctl status`)? Heal it, or raise store.timeout.',
            },
          );
        }
      }),
    );
  }

  private async tableExists(endpoint: PgEndpoint, deadline: Deadline): Promise<boolean> {
    const result = await endpoint.run('SELECT to_regclass($1) IS NOT NULL AS exists', [this.table], deadline);
    if (!result.ok) throw this.connectError([{ region: endpoint.region, ...result }]);
    return result.rows[0]?.exists === true;
  }

  private connectError(problems: Array<Failure & { region: Region }>): GeoctlError {
    const auth = problems.some((p) => ['28P01', '28000', '3D000', 'NO_PASSWORD'].includes(p.code));
    const message = problems
      .map((p) => `region ${describeEndpoint(p.region)}: ${p.message} (${p.code})`)
      .join('; ');
    const hint = problems.some((p) => ['28P01', 'NO_PASSWORD'].includes(p.code))
      ? `Check store.user (${this.options.user}) and store.password (pass secrets through \${VAR} substitution).`
      : problems.some((p) => p.code === '3D000')
        ? `Create database ${this.options.database}, or set store.database to an existing one.`
        : problems.some((p) => p.code === '28000')
          ? `Check store.user (${this.options.user}) and the server's pg_hba.conf.`
          : problems.some((p) => p.code === 'TIMEOUT')
            ? 'Is a fault active (`geoctl status`)? Heal it, or raise store.timeout.'
            : 'Are the proxies deployed (`geoctl deploy`) and the PostgreSQL servers running at their upstream addresses?';
    return new GeoctlError(
      auth ? 'E_CONFIG' : 'E_STORE_UNREACHABLE',
      this.redact(`cannot open the postgres store: ${message}`),
      { hint },
    );
  }

  private redact(text: string): string {
    return redact(text, [this.options.password]);
  }
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}
