import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePorts } from './free-ports.js';
import { http } from './http.js';

/**
 * Real Prometheus, Pushgateway and promtool for the metrics tests: each server on a free 127.0.0.1 port with
 * a temporary directory of its own, a child of the test process, stopped (and its directory removed) by
 * `stop()`. A missing program is an error that names the Debian package, never a silent skip.
 */

const READY_WITHIN_MS = 15_000;
const OUTPUT_KEPT = 4_000;
const SEARCH_DIRS = ['/usr/bin', '/usr/local/bin', '/usr/sbin'];

const PACKAGE = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-pushgateway': 'prometheus-pushgateway',
} as const;

/** The program on PATH or in /usr/bin (/usr/local/bin, /usr/sbin), or an error naming its apt package. */
export async function prometheusBinary(name: keyof typeof PACKAGE): Promise<string> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SEARCH_DIRS].filter((d) => d !== '');
  for (const dir of dirs) {
    const file = join(dir, name);
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  throw new Error(
    `${name} was not found on PATH or in ${SEARCH_DIRS.join(', ')}: install it with ` +
      `\`apt-get install -y --no-install-recommends ${PACKAGE[name]}\` (Debian/Ubuntu)`,
  );
}

export interface MetricsServer {
  readonly name: string;
  /** http://127.0.0.1:port */
  readonly url: string;
  /** Its output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

class ChildServer implements MetricsServer {
  private log = '';
  private dead = false;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    const keep = (chunk: Buffer): void => {
      this.log = (this.log + chunk.toString()).slice(-OUTPUT_KEPT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.log += `\n${error.message}`;
        this.dead = true;
        resolve();
      });
      child.once('exit', () => {
        this.dead = true;
        resolve();
      });
    });
  }

  output(): string {
    return this.log.trim();
  }

  /** Resolves once GET /-/ready answers 200; throws with the server's output if it exits or takes too long. */
  async ready(): Promise<void> {
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      if (this.dead) {
        await this.stop();
        throw new Error(`${this.name} exited before it was ready:\n${this.output()}`);
      }
      const status = await http(this.url, 'GET', '/-/ready').then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${this.name} was not ready within ${READY_WITHIN_MS} ms:\n${this.output()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (!this.dead) this.child.kill('SIGKILL');
    await this.exited;
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Prometheus scraping `targets` (host:port, path /metrics) every `scrapeIntervalS` seconds. */
export async function startPrometheus(options: {
  targets: string[];
  scrapeIntervalS?: number;
}): Promise<MetricsServer> {
  const binary = await prometheusBinary('prometheus');
  const port = (await freePorts(1))[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'geoctl-prometheus-'));
  const interval = `${options.scrapeIntervalS ?? 1}s`;
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${interval}`,
      `  evaluation_interval: ${interval}`,
      'scrape_configs:',
      '  - job_name: geoctl',
      '    static_configs:',
      `      - targets: [${options.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = new ChildServer(`prometheus :${port}`, `http://127.0.0.1:${port}`, child, dir);
  await server.ready();
  return server;
}

/** A Pushgateway without persistence (it keeps what is pushed in memory only). */
export async function startPushgateway(): Promise<MetricsServer> {
  const binary = await prometheusBinary('prometheus-pushgateway');
  const port = (await freePorts(1))[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'geoctl-pushgateway-'));
  const child = spawn(binary, [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = new ChildServer(`pushgateway :${port}`, `http://127.0.0.1:${port}`, child, dir);
  await server.ready();
  return server;
}

export interface InstantSample {
  metric: Record<string, string>;
  value: number;
}

/** GET /api/v1/query: the instant vector for `query` now (empty until Prometheus has scraped it). */
export async function queryPrometheus(prometheus: MetricsServer, query: string): Promise<InstantSample[]> {
  const response = await http(prometheus.url, 'GET', `/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = JSON.parse(response.body) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (response.status !== 200 || body.status !== 'success' || body.data?.resultType !== 'vector')
    throw new Error(`query ${query}: HTTP ${response.status}: ${response.body}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: sampleValue(r.value[1]) }));
}

/**
 * Polls `query` until `accept` is true of its result (Prometheus announces no scrape, so there is nothing
 * to wait on but the result itself); each response is awaited before the next request.
 */
export async function queryUntil(
  prometheus: MetricsServer,
  query: string,
  accept: (samples: InstantSample[]) => boolean,
  withinMs = 15_000,
): Promise<InstantSample[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const samples = await queryPrometheus(prometheus, query);
    if (accept(samples)) return samples;
    if (Date.now() > deadline) {
      const targets = await http(prometheus.url, 'GET', '/api/v1/targets').then(
        (r) => r.body,
        (e: Error) => e.message,
      );
      throw new Error(
        `${query}: no acceptable result within ${withinMs} ms; last: ${JSON.stringify(samples)}\n` +
          `targets: ${targets}\n${prometheus.output()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `promtool check metrics` with `text` on stdin: its exit code and everything it printed. */
export async function promtoolCheckMetrics(text: string): Promise<{ code: number | null; output: string }> {
  const binary = await prometheusBinary('promtool');
  const child = spawn(binary, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  child.stdin.end(text);
  return { code: await closed, output };
}

/** The sample lines of a text exposition: name, labels, value. */
export function parseExposition(text: string): InstantSample[] {
  const samples: InstantSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const metric: Record<string, string> = { __name__: match[1]! };
    for (const [, key = '', value = ''] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g))
      metric[key] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ metric, value: sampleValue(match[3]!) });
  }
  return samples;
}

/** A sample value as Prometheus writes it ("0.25", "+Inf", "NaN"). */
function sampleValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
