import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { startEmbeddedToxiproxy, type EmbeddedToxiproxy } from '../../src/chaos/embedded/embedded-server.js';
import type { DeployResult } from '../../src/chaos/services/deploy.js';
import type { HealResult } from '../../src/chaos/services/heal.js';
import type { StatusReport } from '../../src/chaos/services/status.js';
import type { FaultCommandResult } from '../../src/cli/fault-command.js';
import { killAllCli, runCli, spawnCli, type CliProcess, type CliResult } from './cli.js';
import { freePorts } from './free-ports.js';
import { http, httpJson } from './http.js';
import { TcpHarness, type RecordingSocket, type TestServer } from './tcp.js';

/**
 * One geoctl topology on free loopback ports for the fault-command tests: three regions (us-east, eu-west,
 * ap-south, aliases us/eu/ap) whose stores are test servers, two links (eu-west and ap-south dial
 * us-east), a state directory of its own, and a Toxiproxy: the embedded server in this process (default),
 * `embedded` (geoctl's background daemon), or any URL. Everything is removed again by `close()`.
 */
export const REGIONS = ['us-east', 'eu-west', 'ap-south'] as const;
export type RegionName = (typeof REGIONS)[number];

export const LINK_EU_US = 'geoctl.link.eu-west.us-east';
export const LINK_AP_US = 'geoctl.link.ap-south.us-east';
export const clientProxy = (region: RegionName): string => `geoctl.client.${region}`;

export interface FixtureOptions {
  /** 'in-process' (default): startEmbeddedToxiproxy here; 'embedded': `toxiproxy: embedded`; or a URL. */
  toxiproxy?: 'in-process' | 'embedded' | string;
  /** echo: each store echoes what it reads; sink: records, answers only when the test writes. */
  stores?: 'echo' | 'sink';
  protocol?: string;
}

export interface ToxicJson {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: Record<string, number>;
}

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

/** The `--json` documents of the commands, as the CLI prints them. */
export type DeployJson = DeployResult & { server: { kind: string; pid?: number } };
export type HealJson = HealResult & { verdict: string };
export type StatusJson = StatusReport;
export type FaultJson = FaultCommandResult;
export interface TeardownJson {
  url: string | undefined;
  deleted: string[];
  stoppedEmbedded: { pid: number } | undefined;
}
export type JsonOf<C extends string> = C extends 'deploy'
  ? DeployJson
  : C extends 'heal'
    ? HealJson
    : C extends 'status'
      ? StatusJson
      : C extends 'teardown'
        ? TeardownJson
        : FaultJson;

export interface TopologyEdits {
  /** Replace the client endpoint's upstream of a region (links keep pointing at the test stores). */
  clientUpstream?: Partial<Record<RegionName, string>>;
  toxiproxy?: string;
}

export class FaultFixture {
  readonly tcp = new TcpHarness();
  server: EmbeddedToxiproxy | undefined;
  toxiproxyUrl = '';
  stores = {} as Record<RegionName, TestServer>;
  clientPort = {} as Record<RegionName, number>;
  linkPort = { euUs: 0, apUs: 0 };

  private constructor(
    readonly dir: string,
    readonly options: FixtureOptions,
  ) {}

  get configFile(): string {
    return join(this.dir, 'geoctl.yaml');
  }

  get stateDir(): string {
    return join(this.dir, 'state');
  }

  get env(): NodeJS.ProcessEnv {
    return { GEOCTL_STATE_DIR: this.stateDir, TOXIPROXY_URL: '', DEBUG: '' };
  }

  static async start(options: FixtureOptions = {}): Promise<FaultFixture> {
    const fixture = new FaultFixture(await mkdtemp(join(tmpdir(), 'geoctl-faults-')), options);
    try {
      await fixture.init();
    } catch (error) {
      await fixture.close();
      throw error;
    }
    return fixture;
  }

  private async init(): Promise<void> {
    const kind = this.options.stores ?? 'echo';
    for (const region of REGIONS) {
      this.stores[region] = kind === 'echo' ? await this.tcp.echoServer() : await this.tcp.sinkServer();
    }
    const [us, eu, ap, euUs, apUs] = await freePorts(5);
    this.clientPort = { 'us-east': us!, 'eu-west': eu!, 'ap-south': ap! };
    this.linkPort = { euUs: euUs!, apUs: apUs! };
    const toxiproxy = this.options.toxiproxy ?? 'in-process';
    if (toxiproxy === 'in-process') {
      this.server = await startEmbeddedToxiproxy({ port: 0 });
      this.toxiproxyUrl = this.server.url;
    } else if (toxiproxy !== 'embedded') {
      this.toxiproxyUrl = toxiproxy;
    }
    await this.writeTopology();
  }

  /** The topology file for the current ports; `edits` change what differs from the default. */
  async writeTopology(edits: TopologyEdits = {}): Promise<void> {
    const store = (region: RegionName): string =>
      edits.clientUpstream?.[region] ?? `127.0.0.1:${this.stores[region].port}`;
    const toxiproxy =
      edits.toxiproxy ?? (this.options.toxiproxy === 'embedded' ? 'embedded' : this.toxiproxyUrl);
    const aliases: Record<RegionName, string> = { 'us-east': 'us', 'eu-west': 'eu', 'ap-south': 'ap' };
    const lines = [
      `toxiproxy: ${toxiproxy}`,
      `protocol: ${this.options.protocol ?? 'echo'}`,
      'regions:',
      ...REGIONS.map(
        (region) =>
          `  ${region}: { aliases: [${aliases[region]}], client: { listen: 127.0.0.1:${this.clientPort[region]}, upstream: ${store(region)} } }`,
      ),
      'links:',
      `  - { from: eu-west, to: us-east, listen: 127.0.0.1:${this.linkPort.euUs}, upstream: 127.0.0.1:${this.stores['us-east'].port} }`,
      `  - { from: ap-south, to: us-east, listen: 127.0.0.1:${this.linkPort.apUs}, upstream: 127.0.0.1:${this.stores['us-east'].port} }`,
      '',
    ];
    await writeFile(this.configFile, lines.join('\n'));
  }

  /** The built CLI with this topology and state directory. */
  geoctl(args: string[], timeoutMs = 15_000): Promise<CliResult> {
    return runCli([...args, '--config', this.configFile], this.env, timeoutMs);
  }

  spawn(args: string[]): CliProcess {
    return spawnCli([...args, '--config', this.configFile], this.env);
  }

  /** Runs `geoctl … --json`, expects `code`, and returns the parsed document (typed by the command). */
  async geoctlJson<C extends string>(args: [C, ...string[]], code = 0): Promise<JsonOf<C>> {
    const result = await this.geoctl([...args, '--json']);
    if (result.code !== code) {
      throw new Error(
        `geoctl ${args.join(' ')} exited ${result.code} (expected ${code})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
      );
    }
    return JSON.parse(result.stdout) as JsonOf<C>;
  }

  async deploy(): Promise<DeployJson> {
    return this.geoctlJson(['deploy']);
  }

  /** The server's proxies, over its HTTP API. */
  async proxies(): Promise<Record<string, ProxyJson>> {
    const res = await http(this.toxiproxyUrl, 'GET', '/proxies');
    if (res.status !== 200) throw new Error(`GET /proxies: ${res.status} ${res.body}`);
    return JSON.parse(res.body) as Record<string, ProxyJson>;
  }

  /** Every toxic on the server, as `proxy/name`. */
  async toxicNames(): Promise<string[]> {
    const proxies = await this.proxies();
    return Object.values(proxies)
      .flatMap((p) => p.toxics.map((t) => `${p.name}/${t.name}`))
      .sort();
  }

  async addToxic(proxy: string, toxic: Partial<ToxicJson> & { name: string; type: string }): Promise<void> {
    const res = await httpJson(this.toxiproxyUrl, 'POST', `/proxies/${proxy}/toxics`, toxic);
    if (res.status !== 200) throw new Error(`adding toxic ${toxic.name}: ${res.status} ${res.body}`);
  }

  /**
   * A client connection through the proxy listening on `port` and the store's side of it. Counting the
   * store's connections first tells ours apart from earlier ones (a store only sees the connections the
   * test makes when commands run with --no-verify).
   */
  async pair(port: number, store: TestServer): Promise<{ client: RecordingSocket; server: RecordingSocket }> {
    const index = store.connections.length;
    const client = await this.tcp.connect(port);
    const server = await store.connection(index);
    return { client, server };
  }

  /** Restarts the in-process server on the same port, empty (as a restarted Toxiproxy is). */
  async restartServer(): Promise<void> {
    const port = this.server!.port;
    await this.server!.close();
    this.server = await startEmbeddedToxiproxy({ port });
    this.toxiproxyUrl = this.server.url;
  }

  /** The embedded daemon's records (`toxiproxy: embedded`). */
  async embeddedRecords(): Promise<Array<{ pid: number; url: string }>> {
    const dir = join(this.stateDir, 'embedded');
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    const records = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8').catch(() => '')));
    return records
      .filter((text) => text !== '')
      .map((text) => JSON.parse(text) as { pid: number; url: string });
  }

  async close(): Promise<void> {
    killAllCli();
    // Processes the CLI started on its own (background healers) carry the topology path in their
    // arguments; the embedded daemon is found by its state record.
    for (const pid of await pidsMentioning(this.dir)) killPid(pid);
    if (this.options.toxiproxy === 'embedded') {
      const records = await this.embeddedRecords();
      if (records.length > 0) await this.geoctl(['teardown'], 10_000).catch(() => undefined);
      for (const record of records) killPid(record.pid);
    }
    await this.server?.close();
    await this.tcp.closeAll();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A fresh fixture per test of the calling file, closed after each test even when it failed. */
export function useFaultFixture(options: FixtureOptions = {}): () => FaultFixture {
  let fixture: FaultFixture | undefined;
  beforeEach(async () => {
    fixture = await FaultFixture.start(options);
  });
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });
  return () => {
    if (!fixture) throw new Error('fixture used outside a test');
    return fixture;
  };
}

/** Resolves with the stderr text once it matches `pattern`; rejects if the process exits first. */
export function waitForStderr(cli: CliProcess, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    const done = (): void => {
      clearTimeout(timer);
      cli.child.stderr.off('data', onData);
      cli.child.off('exit', onExit);
    };
    const onData = (chunk: string | Buffer): void => {
      text += chunk.toString();
      if (pattern.test(text)) {
        done();
        resolve(text);
      }
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`process exited (${code}) before stderr matched ${pattern}; stderr: ${text}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`stderr did not match ${pattern} within ${timeoutMs} ms; stderr: ${text}`));
    }, timeoutMs);
    cli.child.stderr.on('data', onData);
    cli.child.once('exit', onExit);
  });
}

/** Pids of processes whose command line contains `text` (Linux /proc; empty elsewhere). */
export async function pidsMentioning(text: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
