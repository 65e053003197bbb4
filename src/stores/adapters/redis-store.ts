/**
 * `store: { type: redis }` — Redis with one node per region: a primary and its replicas (`replicaof`),
 * optionally watched by Redis Sentinel. Uses ioredis, loaded only when a store is opened.
 *
 * Options (all optional):
 *   username   ACL user (Redis 6+); default: none, i.e. the `default` user.
 *   password   AUTH password. Pass it through substitution (`password: ${REDIS_PASSWORD}`); geoctl never
 *              prints it.
 *   db         database number (SELECT), default 0.
 *   prefix     prepended to every key geoctl writes and reads, default "" (e.g. `geoctl:`).
 *   timeout    per operation, connecting included, default 2s. A write without an answer in time is
 *              indeterminate (it may have been applied); a read is a fail.
 *   writer     the region whose node is the primary, by name or alias, default the first region. Not
 *              with `sentinel`.
 *   sentinel   ask Redis Sentinel which node is the primary, so writes follow a failover:
 *     master     the name Sentinel monitors it under (`sentinel monitor <master> …`); required.
 *     addresses  Sentinels as host:port, a list (or one string); required; tried in order.
 *     username, password   for the Sentinels themselves (their `requirepass`), if set.
 *
 * Routing. Every region is reached through its client endpoint (`client.listen`, the Toxiproxy proxy),
 * so faults cut clients off too. A read goes to the region's own node (replicas answer reads). A write
 * goes to the primary whichever region it is made from: without Sentinel the `writer` region's node;
 * with Sentinel the node Sentinel reports (asked again at most every second, and after any write that
 * did not succeed), reached through the proxy of the region whose `client.upstream` (or, when the nodes
 * announce their proxies, `client.listen`) is that address, or,
 * when no region's is, directly (outside the proxies: faults do not touch that path). The write ack's
 * `via` says which: a region name, or the primary's host:port when reached directly; primaryRegion() says
 * the same before writing (undefined when reached directly). Sentinels are always reached directly.
 *
 * Outcomes. A write refused before it was sent (connection refused, no connection within the timeout,
 * handshake failed) or rejected by Redis (`READONLY` from a replica, `NOAUTH`, `OOM`…) is a fail; a write
 * sent without an answer (timeout, connection lost) is indeterminate. A connection that timed out is
 * dropped, so a late reply can never be taken for the answer to a later command. A missing key reads as
 * absent. No versions: Redis has none per key.
 *
 * open() connects to every region (and asks Sentinel for the primary) and fails with one paragraph naming
 * the region and endpoint: refused or silent (E_STORE_UNREACHABLE), wrong credentials or a bad `db`
 * (E_CONFIG).
 */
import type { Redis } from 'ioredis';
import { GeoctlError, type ErrorCode } from '../../errors.js';
import type { Region } from '../../topology/topology.js';
import type { StoreAdapter, StoreContext } from '../adapter.js';
import { isRecord, type OptionsReader } from '../options-reader.js';
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
  formatHostPort,
  parseWriter,
  redact,
  remaining,
  sameAddress,
  splitHostPort,
  type HostPort,
} from './primary-store-support.js';

export interface RedisSentinelOptions {
  master: string;
  addresses: HostPort[];
  username: string | undefined;
  password: string | undefined;
}

export interface RedisStoreOptions {
  username: string | undefined;
  password: string | undefined;
  db: number;
  prefix: string;
  timeoutMs: number;
  writer: string;
  sentinel: RedisSentinelOptions | undefined;
}

const KEYS = ['type', 'username', 'password', 'db', 'prefix', 'timeout', 'writer', 'sentinel'];
const SENTINEL_KEYS = ['master', 'addresses', 'username', 'password'];
/** How long Sentinel's answer is trusted before a write asks again. */
const SENTINEL_REFRESH_MS = 1_000;

export function parseRedisOptions(
  o: OptionsReader,
  context: Pick<StoreContext, 'topology'>,
): RedisStoreOptions {
  o.only('', KEYS);
  const sentinel = parseSentinel(o);
  if (sentinel && o.at('writer') !== undefined)
    o.report('writer', 'not with sentinel: writes go to the primary Sentinel reports');
  return {
    username: o.optionalString('username'),
    password: o.optionalString('password'),
    db: o.integer('db', 0, { min: 0, max: 1_000_000 }),
    prefix: o.string('prefix', '') ?? '',
    timeoutMs: o.durationMs('timeout', 2_000),
    writer: parseWriter(o, context.topology),
    sentinel,
  };
}

function parseSentinel(o: OptionsReader): RedisSentinelOptions | undefined {
  const raw = o.at('sentinel');
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) {
    o.report('sentinel', 'expected a map with master and addresses');
    return undefined;
  }
  o.only('sentinel', SENTINEL_KEYS);
  if (raw.master === undefined || raw.master === null)
    o.report('sentinel.master', 'missing; the name Sentinel monitors the primary under (e.g. mymaster)');
  const master = o.optionalString('sentinel.master') ?? '';
  const addresses: HostPort[] = [];
  const list = raw.addresses;
  if (list === undefined || list === null) {
    o.report('sentinel.addresses', 'missing; expected a list of host:port (e.g. [127.0.0.1:26379])');
  } else {
    const items = Array.isArray(list) ? list : [list];
    if (items.length === 0) o.report('sentinel.addresses', 'expected at least one host:port');
    items.forEach((item, i) => {
      const address = typeof item === 'string' ? splitHostPort(item) : undefined;
      const path = Array.isArray(list) ? `sentinel.addresses.${i}` : 'sentinel.addresses';
      if (address) addresses.push(address);
      else o.report(path, `expected host:port (e.g. 127.0.0.1:26379), got ${JSON.stringify(item)}`);
    });
  }
  return {
    master,
    addresses,
    username: o.optionalString('sentinel.username'),
    password: o.optionalString('sentinel.password'),
  };
}

export const redisStore: StoreAdapter<RedisStoreOptions> = {
  name: 'redis',
  summary: 'Redis primary and replicas (ioredis), optionally with Sentinel',
  parse: (o, context) => parseRedisOptions(o, context),
  async open(options, context) {
    const { Redis } = await import('ioredis');
    const store = new RedisStore(options, context, Redis);
    try {
      await store.check();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  },
};

type RedisClass = typeof Redis;

/** Why an operation did not succeed: before sending, rejected by Redis, or sent without an answer. */
type Failure = { stage: 'not-sent' | 'rejected' | 'sent'; code: string; message: string };
type Result<T> = { ok: true; value: T } | ({ ok: false } & Failure);

interface NodeAuth {
  username: string | undefined;
  password: string | undefined;
  db: number;
}

/**
 * One connection to one Redis endpoint, opened on demand and replaced after it fails. No ioredis retries,
 * reconnects, offline queue or resends: geoctl must know whether each command went out.
 */
class RedisNode {
  private client: Redis | undefined;
  private connecting: Promise<Redis> | undefined;
  private closed = false;

  constructor(
    private readonly Client: RedisClass,
    readonly endpoint: HostPort,
    private readonly auth: NodeAuth,
  ) {}

  async run<T>(command: (client: Redis) => Promise<T>, deadline: Deadline): Promise<Result<T>> {
    let client: Redis;
    try {
      client = await this.ready(deadline);
    } catch (error) {
      return { ok: false, stage: 'not-sent', ...describeConnectError(error) };
    }
    const pending = command(client);
    try {
      return { ok: true, value: await beforeDeadline(pending, deadline) };
    } catch (error) {
      const { code, message } = errorText(error);
      if (error instanceof Error && error.name === 'ReplyError')
        return { ok: false, stage: 'rejected', code: replyCode(message), message };
      // A dropped request or reply would pair the next reply with the wrong command: start afresh.
      this.drop(client);
      if (message.includes('enableOfflineQueue'))
        return { ok: false, stage: 'not-sent', code: 'NOT_CONNECTED', message: 'the connection had closed' };
      if (error instanceof DeadlineError) return { ok: false, stage: 'sent', code: 'TIMEOUT', message };
      return {
        ok: false,
        stage: 'sent',
        code: code ?? (message.startsWith('Connection is closed') ? 'CONNECTION_CLOSED' : 'ERROR'),
        message: message === 'Connection is closed.' ? 'the connection closed before the reply' : message,
      };
    }
  }

  close(): void {
    this.closed = true;
    if (this.client) this.drop(this.client);
  }

  private async ready(deadline: Deadline): Promise<Redis> {
    if (this.client?.status === 'ready') return this.client;
    if (this.client) this.drop(this.client);
    this.connecting ??= this.connect(deadline).finally(() => (this.connecting = undefined));
    return beforeDeadline(this.connecting, deadline);
  }

  private async connect(deadline: Deadline): Promise<Redis> {
    if (this.closed) throw new Error('the store is closed');
    const client = new this.Client({
      host: this.endpoint.host,
      port: this.endpoint.port,
      username: this.auth.username,
      password: this.auth.password,
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      reconnectOnError: null,
      connectTimeout: remaining(deadline),
      // RESP2: every Redis and Redis-compatible server speaks it, and there is no HELLO round trip.
      protocol: 2,
    });
    // ioredis reports why a connection failed on 'error' and rejects connect() with "Connection is closed".
    let reason: unknown;
    client.on('error', (error: unknown) => (reason ??= error));
    try {
      await beforeDeadline(client.connect(), deadline);
      // SELECT here, not through ioredis's `db`: it ignores a failed SELECT and stays on db 0.
      if (this.auth.db !== 0) await beforeDeadline(client.select(this.auth.db), deadline);
    } catch (error) {
      client.disconnect();
      throw error instanceof DeadlineError || reason === undefined ? error : reason;
    }
    if (this.closed) {
      client.disconnect();
      throw new Error('the store is closed');
    }
    this.client = client;
    return client;
  }

  private drop(client: Redis): void {
    if (this.client === client) this.client = undefined;
    client.disconnect();
  }
}

function describeConnectError(error: unknown): { code: string; message: string } {
  const { code, message } = errorText(error);
  if (error instanceof DeadlineError) return { code: 'TIMEOUT', message: `no connection: ${message}` };
  if (error instanceof Error && error.name === 'ReplyError') return { code: replyCode(message), message };
  if (message === 'Connection is closed.')
    return { code: 'CONNECTION_CLOSED', message: 'the connection closed during the handshake' };
  return { code: code ?? 'ERROR', message };
}

/** `READONLY You can't write…` → READONLY; `ERR DB index…` → ERR. */
function replyCode(message: string): string {
  return /^[A-Z][A-Z_]*/.exec(message)?.[0] ?? 'ERR';
}

const CONFIG_CODES = new Set(['WRONGPASS', 'NOAUTH', 'NOPERM', 'ERR']);

interface WriteTarget {
  node: RedisNode;
  /** The ack's `via`: a region name, or host:port when reached directly. */
  via: string;
  /** For messages: `us-east at 127.0.0.1:21001 (proxy to …)`. */
  label: string;
}

export class RedisStore implements Store {
  readonly regions: string[];
  private readonly byRegion = new Map<string, { region: Region; node: RedisNode }>();
  private readonly direct = new Map<string, RedisNode>();
  private readonly sentinels: RedisNode[];
  private primary: { target: WriteTarget; at: number } | undefined;
  private asking: Promise<WriteTarget | Failure> | undefined;

  constructor(
    private readonly options: RedisStoreOptions,
    context: StoreContext,
    private readonly Client: RedisClass,
  ) {
    this.regions = context.topology.regions.map((r) => r.name);
    const auth = { username: options.username, password: options.password, db: options.db };
    for (const region of context.topology.regions) {
      const endpoint = splitHostPort(region.client.listen) ?? { host: region.client.listen, port: 0 };
      this.byRegion.set(region.name, { region, node: new RedisNode(Client, endpoint, auth) });
    }
    const sentinel = options.sentinel;
    this.sentinels = (sentinel?.addresses ?? []).map(
      (address) =>
        new RedisNode(Client, address, { username: sentinel?.username, password: sentinel?.password, db: 0 }),
    );
  }

  async write(
    region: string,
    key: string,
    value: string,
    op: OperationOptions = {},
  ): Promise<Outcome<WriteAck>> {
    if (!this.byRegion.has(region)) return fail(`unknown region ${region}`, 'UNKNOWN_REGION');
    const deadline = deadlineIn(op.timeoutMs ?? this.options.timeoutMs);
    const target = await this.writeTarget(deadline);
    if ('stage' in target) return fail(this.redact(`write from ${region}: ${target.message}`), target.code);
    const result = await target.node.run((client) => client.set(this.options.prefix + key, value), deadline);
    if (result.ok) return ok({ via: target.via });
    this.primary = undefined; // a failover, perhaps: ask Sentinel again
    const error = this.redact(`write from ${region} to the primary, ${target.label}: ${result.message}`);
    return result.stage === 'sent' ? indeterminate(error, result.code) : fail(error, result.code);
  }

  async read(region: string, key: string, op: OperationOptions = {}): Promise<Outcome<ReadValue>> {
    const entry = this.byRegion.get(region);
    if (!entry) return fail(`unknown region ${region}`, 'UNKNOWN_REGION');
    const result = await entry.node.run(
      (client) => client.get(this.options.prefix + key),
      deadlineIn(op.timeoutMs ?? this.options.timeoutMs),
    );
    if (!result.ok)
      return fail(this.redact(`read from ${describeEndpoint(entry.region)}: ${result.message}`), result.code);
    return ok(result.value === null ? { kind: 'absent' } : { kind: 'value', value: result.value });
  }

  /** The region whose node is the primary: `writer`, or Sentinel's answer when it maps to a region. */
  async primaryRegion(): Promise<string | undefined> {
    const target = await this.writeTarget(deadlineIn(this.options.timeoutMs));
    return 'stage' in target || !this.byRegion.has(target.via) ? undefined : target.via;
  }

  async close(): Promise<void> {
    for (const { node } of this.byRegion.values()) node.close();
    for (const node of [...this.direct.values(), ...this.sentinels]) node.close();
  }

  /** Connects to every region and finds the primary; throws one paragraph about everything wrong. */
  async check(): Promise<void> {
    const timeoutMs = this.options.timeoutMs;
    const problems = await Promise.all(
      [...this.byRegion.values()].map(async ({ region, node }) => {
        const result = await node.run((client) => client.ping(), deadlineIn(timeoutMs));
        return result.ok ? undefined : { where: `Redis in region ${describeEndpoint(region)}`, ...result };
      }),
    );
    const found = problems.filter((p) => p !== undefined);
    if (found.length > 0) throw this.openError(found);
    if (this.options.sentinel) {
      const target = await this.writeTarget(deadlineIn(timeoutMs));
      if ('stage' in target) throw this.openError([{ where: 'Redis Sentinel', ...target }]);
      if (!this.byRegion.has(target.via)) {
        const result = await target.node.run((client) => client.ping(), deadlineIn(timeoutMs));
        if (!result.ok) throw this.openError([{ where: `the primary, ${target.label}`, ...result }]);
      }
    }
  }

  private openError(problems: Array<Failure & { where: string }>): GeoctlError {
    const config = problems.some((p) => CONFIG_CODES.has(p.code) || p.code === 'NO_MASTER');
    const code: ErrorCode = config ? 'E_CONFIG' : 'E_STORE_UNREACHABLE';
    const message = problems
      .map((p) => `${p.where}: ${p.message}${p.message.startsWith(p.code) ? '' : ` (${p.code})`}`)
      .join('; ');
    const hint = problems.some(
      (p) => ['WRONGPASS', 'NOAUTH', 'NOPERM'].includes(p.code) || /\bAUTH\b|password/i.test(p.message),
    )
      ? 'Check store.password and store.username (pass secrets through ${VAR} substitution).'
      : problems.some((p) => p.code === 'ERR')
        ? 'Check store.db: it must be below the server’s `databases` setting.'
        : problems.some((p) => p.code === 'NO_MASTER')
          ? 'Check store.sentinel.master against `sentinel monitor` in the Sentinel configuration.'
          : problems.some((p) => p.code === 'TIMEOUT')
            ? 'Is a fault active (`geoctl status`)? Heal it, or raise store.timeout.'
            : 'Are the proxies deployed (`geoctl deploy`) and the Redis servers running at their upstream addresses?';
    return new GeoctlError(code, `cannot open the redis store: ${this.redact(message)}`, { hint });
  }

  private async writeTarget(deadline: Deadline): Promise<WriteTarget | Failure> {
    const sentinel = this.options.sentinel;
    if (!sentinel) {
      const { region, node } = this.byRegion.get(this.options.writer)!;
      return { node, via: region.name, label: describeEndpoint(region) };
    }
    const known = this.primary;
    if (known && Date.now() - known.at < SENTINEL_REFRESH_MS) return known.target;
    this.asking ??= this.askSentinels(sentinel, deadline).finally(() => (this.asking = undefined));
    const answer = await this.asking;
    if (!('stage' in answer)) {
      this.primary = { target: answer, at: Date.now() };
      return answer;
    }
    // No Sentinel answered: the last primary known is a better guess than none.
    return known?.target ?? answer;
  }

  private async askSentinels(
    sentinel: RedisSentinelOptions,
    deadline: Deadline,
  ): Promise<WriteTarget | Failure> {
    // Half the operation's time at most, shared among the Sentinels, so the write keeps time to be made.
    const end = Date.now() + (deadline.at - Date.now()) / 2;
    const failures: string[] = [];
    let code = 'NO_SENTINEL';
    for (const [i, node] of this.sentinels.entries()) {
      const share = Math.max(1, Math.round((end - Date.now()) / (this.sentinels.length - i)));
      const result = await node.run(
        (client) => client.call('SENTINEL', 'get-master-addr-by-name', sentinel.master),
        deadlineIn(share),
      );
      const where = `Sentinel ${formatHostPort(node.endpoint)}`;
      if (!result.ok) {
        failures.push(`${where}: ${result.message}`);
        if (CONFIG_CODES.has(result.code)) code = result.code;
        continue;
      }
      const reply = result.value;
      if (Array.isArray(reply) && reply.length >= 2) return this.targetFor(`${reply[0]}:${reply[1]}`);
      failures.push(`${where} does not know a master named "${sentinel.master}"`);
      code = 'NO_MASTER';
    }
    return { stage: 'not-sent', code, message: `no primary: ${failures.join('; ')}` };
  }

  private targetFor(address: string): WriteTarget {
    // Sentinel names a node by its own address, or by the region's client proxy when the nodes announce
    // their proxies (replica-announce-ip/port, as `geoctl fixture redis` does): either means that region.
    const entry = [...this.byRegion.values()].find(
      ({ region }) =>
        sameAddress(region.client.upstream, address) || sameAddress(region.client.listen, address),
    );
    if (entry) return { node: entry.node, via: entry.region.name, label: describeEndpoint(entry.region) };
    const endpoint = splitHostPort(address) ?? { host: address, port: 6379 };
    let node = this.direct.get(address);
    if (!node) {
      const { username, password, db } = this.options;
      node = new RedisNode(this.Client, endpoint, { username, password, db });
      this.direct.set(address, node);
    }
    return {
      node,
      via: address,
      label: `${address} (Sentinel's primary; no region's client.upstream is this address, so geoctl connects directly, outside the proxies)`,
    };
  }

  private redact(text: string): string {
    return redact(text, [this.options.password, this.options.sentinel?.password]);
  }
}
