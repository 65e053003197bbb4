#!/usr/bin/env node
// Probe benchmarks: what one geoctl process gets out of a store, whether a long probe's memory stays flat,
// and how far the raw probe's lag is from the fixture store's ground truth. Not a test: it prints figures.
//
//   npm run bench                    (builds, then runs bench/proxy.mjs, bench/startup.mjs and this)
//   node bench/probes.mjs            (after `npm run build`: ops and error, two to three minutes)
//   BENCH_PARTS=ops,error,rss node bench/probes.mjs      (all three: the RSS part adds 10 minutes)
//   BENCH_PARTS=rss BENCH_RSS_MINUTES=1 node bench/probes.mjs
//
// Three parts, selected with BENCH_PARTS (default ops,error; rss only when asked for, it takes 10 minutes):
//   ops    Probe throughput. The raw probe (writer us-east, readers us-east, eu-west, ap-south; as
//          `geoctl probe raw` runs it, through runProbeSession, CLI defaults for poll/timeouts) runs in this
//          process at BENCH_OPS_RATE writes/s (default 20000, i.e. more than it can do: it runs
//          closed-loop at BENCH_OPS_CONCURRENCY = 256 operations in flight) for BENCH_OPS_SECONDS (10),
//          after a BENCH_OPS_WARMUP_SECONDS (2) warm-up. Store operations (writes + reads, polls included)
//          are counted by wrapping the store, also second by second (first half against second half of
//          the run: a rate that sinks during the run shows there). BENCH_OPS_STORES=fixture,redis. Against
//            (a) the fixture store (`geoctl fixture kv --batch 0ms`, its own process), and
//            (b) one redis-server (its own process; all three regions' client proxies lead to it, so
//                every read sees the write at once: one SET and three GETs per probe operation),
//          and beside (b), against the same redis-server in the same run:
//            (c) redis-benchmark -t set,get -n 200000 -c 50 -q, direct, and
//            (d) the same through the us-east client proxy.
//          The proxy is `geoctl toxiproxy serve` in its own process, as users run it. The CPU of each
//          process is reported (this process = the probe).
//   rss    RSS stability. `geoctl probe raw --writer us --rate 2000 --concurrency 256 --duration 10m --json`
//          as a child process against the fixture store (own process, --batch 0ms) through the proxy (own
//          process); its RSS sampled from /proc/<pid>/status every BENCH_RSS_SAMPLE_SECONDS (10) for
//          BENCH_RSS_MINUTES (10); first/last/max RSS and the least-squares slope over the second half,
//          MiB per minute; achieved writes/s and `late` from its JSON summary, and the store operations per
//          second they make (writes + reads: at least 4 per write, one in each region). BENCH_RSS_RATE (500
//          writes/s, i.e. about 2000 store operations/s, the "2000 ops/s"; the fixture store through
//          the proxy does not reach 2000 writes/s on 2 cores, see the ops part).
//   error  Measurement error. The fixture store in this process (startFixtureKv, batchMs 0, so its ground
//          truth is at hand), the proxy in its own; a one-way latency us-east → eu-west of 50 ms, then
//          200 ms (BENCH_ERROR_LATENCIES), each for BENCH_ERROR_SECONDS (10) at BENCH_ERROR_RATE (50)
//          writes/s. For every write: error = the probe's lag (its 'visible' observation for eu-west) −
//          the truth (applied in eu-west − acked, from the fixture); p50/p99/max, and the probe's p50 lag
//          against the truth's p50 with the target, max(5 ms, 5 %). BENCH_ERROR_POLL_MS (2, the
//          CLI's default --poll).
//
// The machine may be shared: before each measured run the script waits (BENCH_QUIET_MAX_SECONDS, 60 s at
// most each time, BENCH_QUIET_TOTAL_SECONDS, 180 s, in all; then it measures without waiting) until
// processes other than its own have used under a fifth of a core for a second, and every table shows the
// CPU they used meanwhile ("other"). Prints tables, then one JSON line. Only 127.0.0.1 is used; every child
// process is stopped on exit, on an error and on SIGINT/SIGTERM/SIGHUP (exit 130/143/129).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freeLoopbackPorts as freePorts } from '../dist/topology/free-ports.js';
import { machineBusySeconds, processCpuSeconds, summarize, withTimeout } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const dist = (path) => import(pathToFileURL(join(root, 'dist', path)).href);

const envNumber = (name, fallback) => {
  const value = Number(process.env[name] ?? '');
  return process.env[name] !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
};
const envList = (name, fallback) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const config = {
  parts: envList('BENCH_PARTS', 'ops,error'),
  ops: {
    seconds: envNumber('BENCH_OPS_SECONDS', 10),
    warmupSeconds: envNumber('BENCH_OPS_WARMUP_SECONDS', 2),
    rate: envNumber('BENCH_OPS_RATE', 20_000),
    concurrency: envNumber('BENCH_OPS_CONCURRENCY', 256),
    redisBenchmarkRequests: envNumber('BENCH_REDIS_REQUESTS', 200_000),
    redisBenchmarkClients: envNumber('BENCH_REDIS_CLIENTS', 50),
    stores: envList('BENCH_OPS_STORES', 'fixture,redis'),
  },
  rss: {
    minutes: envNumber('BENCH_RSS_MINUTES', 10),
    rate: envNumber('BENCH_RSS_RATE', 500),
    concurrency: envNumber('BENCH_RSS_CONCURRENCY', 256),
    sampleSeconds: envNumber('BENCH_RSS_SAMPLE_SECONDS', 10),
  },
  error: {
    latenciesMs: envList('BENCH_ERROR_LATENCIES', '50,200').map(Number),
    seconds: envNumber('BENCH_ERROR_SECONDS', 10),
    rate: envNumber('BENCH_ERROR_RATE', 50),
    pollMs: envNumber('BENCH_ERROR_POLL_MS', 2),
  },
  // The CLI's defaults for `probe raw` (--poll 2ms, --visibility-timeout 10s, --timeout 2s).
  probe: { pollMs: 2, visibilityTimeoutMs: 10_000, operationTimeoutMs: 2_000 },
  quietMaxSeconds: envNumber('BENCH_QUIET_MAX_SECONDS', 60),
  quietTotalSeconds: envNumber('BENCH_QUIET_TOTAL_SECONDS', 180),
};
const PARTS = ['ops', 'rss', 'error'];
for (const part of config.parts)
  if (!PARTS.includes(part)) throw new Error(`BENCH_PARTS: unknown part ${part} (use ${PARTS.join(',')})`);

const REGIONS = ['us-east', 'eu-west', 'ap-south'];
const MiB = 2 ** 20;

// ---------------------------------------------------------------------------------------------------------
// Small helpers

const round = (value, digits = 1) => Number(value.toFixed(digits));
const pct = (value) => (value === undefined || Number.isNaN(value) ? '?' : `${Math.round(value * 100)}%`);
const fixed = (value, digits = 1) =>
  value === undefined || Number.isNaN(value) ? '?' : Number(value).toFixed(digits);
const progress = (text) => process.stderr.write(`  ${text}\n`);

/** Least squares fit y = a + b·x; returns the slope b. */
function slope(points) {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

function table(title, header, rows) {
  const all = [header, ...rows].map((row) => header.map((_, i) => String(row[i] ?? '')));
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(all[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of all.slice(1)) console.log(line(row));
}

// ---------------------------------------------------------------------------------------------------------
// CPU and memory accounting (Linux /proc; figures show as "?" elsewhere)

/** CPU seconds of this process's children that have exited and been waited for (cutime + cstime). */
function reapedChildrenCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

const selfCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/** VmRSS and VmHWM of a process, bytes. */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return undefined;
  }
}

/**
 * Every child process this script started and has not yet seen exit, by role. A child's CPU is sampled
 * every 100 ms too, so a short-lived one (redis-benchmark) still has a figure after it has been reaped.
 */
const children = new Map();
const spawned = []; // every pid ever started, in order
const lastCpu = new Map();
const track = (pid, entry) => {
  children.set(pid, entry);
  spawned.push(pid);
};
setInterval(() => {
  for (const child of children.values()) {
    const cpu = processCpuSeconds(child.pid);
    if (cpu !== undefined) lastCpu.set(child.pid, cpu);
  }
}, 100).unref();

const cpuOfPid = (pid) => processCpuSeconds(pid) ?? lastCpu.get(pid);

/**
 * Runs `fn`, returns its result with the wall time and the CPU used meanwhile, in cores: this process
 * ("self"), each role's processes, and everything else on the machine ("other": not ours; a high figure
 * means the run was disturbed).
 */
async function measured(fn, roles = {}) {
  const sample = (pids) => ({
    self: selfCpuSeconds(),
    machine: machineBusySeconds(),
    pids: new Map(pids.map((pid) => [pid, cpuOfPid(pid)])),
  });
  const pidsBefore = [...children.keys()];
  const spawnedBefore = spawned.length;
  const before = sample(pidsBefore);
  const start = performance.now();
  const result = await fn();
  const wall = (performance.now() - start) / 1000;
  // Ours: those alive before, and any started meanwhile (a short-lived one by its last 100 ms sample).
  const pids = [...new Set([...pidsBefore, ...spawned.slice(spawnedBefore), ...Object.values(roles).flat()])];
  const after = sample(pids);
  const used = (pid) => {
    const a = after.pids.get(pid);
    const b = before.pids.get(pid) ?? 0; // started during fn
    return a === undefined ? undefined : (a - b) / wall;
  };
  const cpu = { self: (after.self - before.self) / wall };
  for (const [role, pidList] of Object.entries(roles)) {
    const values = [pidList].flat().map(used);
    cpu[role] = values.some((v) => v === undefined) ? undefined : values.reduce((s, v) => s + v, 0);
  }
  const oursTotal = cpu.self + pids.map(used).reduce((s, v) => s + (v ?? 0), 0);
  cpu.other =
    before.machine === undefined || after.machine === undefined
      ? undefined
      : Math.max(0, (after.machine - before.machine) / wall - oursTotal);
  return { result, wall, cpu };
}

/**
 * Before each measured run: wait (at most BENCH_QUIET_MAX_SECONDS) until processes other than ours use
 * under a fifth of a core, as bench/proxy.mjs does, but for four 250 ms windows in a row (a test suite
 * pauses between files for less than that). Every wait and the load seen is reported.
 */
const QUIET_WINDOWS = 4;
const quiet = { checks: 0, delayed: 0, gaveUp: 0, skipped: 0, waitedMs: 0, maxOtherSeen: 0, log: [] };
async function waitForQuiet(label) {
  if (machineBusySeconds() === undefined) return;
  quiet.checks++;
  const budgetMs = Math.min(config.quietMaxSeconds, config.quietTotalSeconds - quiet.waitedMs / 1000) * 1000;
  if (budgetMs <= 0) {
    quiet.skipped++;
    progress(`${label}: not waiting for other processes (BENCH_QUIET_TOTAL_SECONDS used up)`);
    return;
  }
  const started = performance.now();
  let seen = 0;
  let calm = 0;
  for (let attempt = 0; ; attempt++) {
    const { cpu } = await measured(() => sleep(250));
    seen = Math.max(seen, cpu.other ?? 0);
    quiet.maxOtherSeen = Math.max(quiet.maxOtherSeen, cpu.other ?? 0);
    calm = cpu.other === undefined || cpu.other < 0.2 ? calm + 1 : 0;
    const waited = performance.now() - started;
    if (calm >= QUIET_WINDOWS) {
      if (attempt >= QUIET_WINDOWS) {
        quiet.delayed++;
        quiet.waitedMs += waited;
        quiet.log.push({ before: label, waitedMs: Math.round(waited), maxOther: round(seen, 2) });
        progress(`${label}: waited ${(waited / 1000).toFixed(1)} s for other processes (up to ${pct(seen)})`);
      }
      return;
    }
    if (waited > budgetMs) {
      quiet.gaveUp++;
      quiet.waitedMs += waited;
      quiet.log.push({ before: label, waitedMs: Math.round(waited), maxOther: round(seen, 2), gaveUp: true });
      progress(
        `${label}: other processes still busy (${pct(cpu.other)}) after ${(waited / 1000).toFixed(0)} s`,
      );
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Processes: geoctl commands, redis-server, redis-benchmark

/**
 * Spawns a long-running child and waits until `isReady(line)` holds for a line of its stdout (or
 * `ready()` resolves). Stopped with stop(): SIGTERM, then SIGKILL after 10 s.
 */
async function startChild(role, command, args, { isReady, ready, env } = {}) {
  const child = spawn(command, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const entry = { role, pid: child.pid, child };
  track(child.pid, entry);
  let output = '';
  const keep = (data) => (output = (output + data).slice(-8_000));
  child.stderr.on('data', keep);
  child.stdout.on('data', keep);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child.pid);
      resolve({ code, signal });
    }),
  );
  const lines = createInterface({ input: child.stdout });
  let readyValue;
  const readiness = new Promise((resolve, reject) => {
    if (isReady) {
      lines.on('line', (line) => {
        const value = isReady(line);
        if (value !== undefined) resolve(value);
      });
    } else ready().then(resolve, reject);
    exited.then(({ code, signal }) =>
      reject(new Error(`${role} exited before it was ready (code ${code}, signal ${signal}):\n${output}`)),
    );
    child.once('error', reject);
  });
  try {
    readyValue = await withTimeout(readiness, 30_000, `starting ${role}`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    ...entry,
    value: readyValue,
    exited,
    output: () => output,
    async stop() {
      if (!children.has(child.pid)) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const outcome = await exited;
      clearTimeout(timer);
      return outcome;
    },
  };
}

const jsonEvent = (event) => (line) => {
  try {
    const doc = JSON.parse(line);
    return doc?.event === event ? doc : undefined;
  } catch {
    return undefined;
  }
};

const geoctl = (role, args, options) =>
  startChild(role, process.execPath, [join(root, 'bin/run.js'), ...args], options);

/** `geoctl toxiproxy serve --port 0 --json`: the proxy, in its own process as users run it. */
async function startProxyServer() {
  const proxy = await geoctl('proxy', ['toxiproxy', 'serve', '--port', '0', '--json'], {
    isReady: jsonEvent('listening'),
  });
  return { ...proxy, url: proxy.value.url };
}

/** `geoctl fixture kv --batch 0ms --json` for a topology file, in its own process. */
function startFixtureProcess(file) {
  return geoctl('store', ['fixture', 'kv', '--config', file, '--batch', '0ms', '--json'], {
    isReady: jsonEvent('listening'),
  });
}

/** Sends `PING` on a fresh connection; true on `+PONG`. */
function redisPing(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const done = (value) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** A throwaway redis-server on a free loopback port: no persistence, in its own temporary directory. */
async function startRedisServer(dir) {
  const [port] = await freePorts(1);
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'];
  args.push('--dir', dir, '--logfile', '', '--daemonize', 'no', '--protected-mode', 'no');
  const server = await startChild('store', 'redis-server', args, {
    ready: async () => {
      for (let i = 0; i < 300; i++) {
        if (await redisPing(port)) return port;
        await sleep(50);
      }
      throw new Error('redis-server did not answer PING within 15 s');
    },
  });
  return { ...server, port };
}

/** redis-benchmark -q against a port; requests per second and p50 latency per test. */
async function redisBenchmark(port) {
  const { redisBenchmarkRequests: n, redisBenchmarkClients: c } = config.ops;
  const args = ['-h', HOST, '-p', String(port), '-t', 'set,get', '-n', String(n), '-c', String(c), '-q'];
  // Its CPU, exactly: the only child of this process that exits meanwhile.
  const reapedBefore = reapedChildrenCpuSeconds();
  const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child.pid, { role: 'helper', pid: child.pid, child });
  let output = '';
  child.stdout.on('data', (data) => (output += data));
  child.stderr.on('data', (data) => (output += data));
  const code = await withTimeout(
    new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => {
        children.delete(child.pid);
        resolve(exitCode);
      });
    }),
    300_000,
    'redis-benchmark',
  );
  const reapedAfter = reapedChildrenCpuSeconds();
  if (code !== 0) throw new Error(`redis-benchmark exited with ${code}: ${output}`);
  const tests = {};
  for (const match of output.matchAll(/(SET|GET): ([\d.]+) requests per second(?:, p50=([\d.]+) msec)?/g))
    tests[match[1]] = {
      perSec: Number(match[2]),
      p50Ms: match[3] === undefined ? undefined : Number(match[3]),
    };
  if (!tests.SET || !tests.GET) throw new Error(`cannot parse redis-benchmark output: ${output}`);
  // Both tests together: 2n requests in the time the two took.
  const combined = (2 * n) / (n / tests.SET.perSec + n / tests.GET.perSec);
  const cpuSeconds =
    reapedBefore === undefined || reapedAfter === undefined
      ? lastCpu.get(child.pid)
      : reapedAfter - reapedBefore;
  return { pid: child.pid, command: `redis-benchmark ${args.join(' ')}`, tests, combined, cpuSeconds };
}

// ---------------------------------------------------------------------------------------------------------
// Topologies (written as YAML and loaded the way the CLI loads them)

async function writeTopology(dir, name, { proxyUrl, store, protocol, upstreams, links }) {
  const ports = await freePorts(REGIONS.length + links.length);
  const lines = [`toxiproxy: ${proxyUrl}`, `protocol: ${protocol}`, `store: ${store}`, 'regions:'];
  REGIONS.forEach((region, i) => {
    lines.push(
      `  ${region}: { aliases: [${region.slice(0, 2)}], client: { listen: ${HOST}:${ports[i]}, upstream: ${upstreams[i]} } }`,
    );
  });
  lines.push(links.length === 0 ? 'links: []' : 'links:');
  links.forEach(([from, to], i) => {
    const upstream = upstreams[REGIONS.indexOf(to)];
    lines.push(
      `  - { from: ${from}, to: ${to}, listen: ${HOST}:${ports[REGIONS.length + i]}, upstream: ${upstream} }`,
    );
  });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const { loadTopology } = await dist('topology/load-topology.js');
  return { file, topology: await loadTopology({ path: file }) };
}

/** The fixture store's topology: eu-west and ap-south dial us-east, as fixtures/topologies/three-regions.yaml. */
async function fixtureTopology(dir, name, proxyUrl) {
  const nodePorts = await freePorts(REGIONS.length);
  return writeTopology(dir, name, {
    proxyUrl,
    store: '{ type: fixture }',
    protocol: 'http',
    upstreams: nodePorts.map((port) => `${HOST}:${port}`),
    links: [
      ['eu-west', 'us-east'],
      ['ap-south', 'us-east'],
    ],
  });
}

async function deployTopology(proxyUrl, topology) {
  const { ToxiproxyDriver } = await dist('chaos/toxiproxy-driver.js');
  const { deploy } = await dist('chaos/services/deploy.js');
  const driver = new ToxiproxyDriver(proxyUrl);
  await deploy(driver, topology, false);
  return driver;
}

// ---------------------------------------------------------------------------------------------------------
// The raw probe in this process

/** Wraps a store to count its operations (every write and every read, polls included). */
function countingStore(inner) {
  const counts = { writes: 0, reads: 0, notOk: 0 };
  const store = {
    regions: inner.regions,
    async write(region, key, value, options) {
      const outcome = await inner.write(region, key, value, options);
      counts.writes++;
      if (outcome.status !== 'ok') counts.notOk++;
      return outcome;
    },
    async read(region, key, options) {
      const outcome = await inner.read(region, key, options);
      counts.reads++;
      if (outcome.status !== 'ok') counts.notOk++;
      return outcome;
    },
    close: () => inner.close(),
    primaryRegion: inner.primaryRegion ? () => inner.primaryRegion() : undefined,
  };
  return { store, counts };
}

/** One raw probe session, as `geoctl probe raw` runs it (runProbeSession: metrics, observations). */
async function rawSession(store, { seconds, rate, concurrency, pollMs, onObservation }) {
  const { runProbeSession } = await dist('probes/probe-session.js');
  const { runRawProbe } = await dist('probes/raw-probe.js');
  const result = await runProbeSession(
    {
      store,
      durationMs: seconds * 1000,
      signal: new globalThis.AbortController().signal,
      labels: { probe: 'raw' },
      onObservation,
    },
    (ctx) =>
      runRawProbe(ctx, {
        writers: ['us-east'],
        readers: REGIONS,
        rate,
        concurrency,
        visibilityTimeoutMs: config.probe.visibilityTimeoutMs,
        pollMs: pollMs ?? config.probe.pollMs,
        operationTimeoutMs: config.probe.operationTimeoutMs,
      }),
  );
  return result;
}

/** Warm-up, quiet check, then a measured saturating run; operations per second and CPU by process. */
async function probeThroughput(label, inner, roles) {
  const { store, counts } = countingStore(inner);
  const { rate, concurrency } = config.ops;
  progress(`${label}: warm-up ${config.ops.warmupSeconds} s`);
  await rawSession(store, { seconds: config.ops.warmupSeconds, rate, concurrency });
  await waitForQuiet(`ops ${label}`);
  counts.writes = counts.reads = counts.notOk = 0;
  // Operations per second, second by second: a rate that falls during the run shows up here.
  const perSecond = [];
  let previous = 0;
  const ticker = setInterval(() => {
    const total = counts.writes + counts.reads;
    perSecond.push(total - previous);
    previous = total;
  }, 1000);
  const m = await measured(
    () => rawSession(store, { seconds: config.ops.seconds, rate, concurrency }),
    roles,
  );
  clearInterval(ticker);
  const half = Math.floor(perSecond.length / 2);
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  const { summary } = m.result;
  const eu = summary.pairs.find((p) => p.reader === 'eu-west');
  const result = {
    seconds: m.wall,
    writes: counts.writes,
    reads: counts.reads,
    notOk: counts.notOk,
    writesPerSec: counts.writes / m.wall,
    readsPerSec: counts.reads / m.wall,
    opsPerSec: (counts.writes + counts.reads) / m.wall,
    readsPerWrite: counts.reads / counts.writes,
    opsPerSecond: perSecond,
    opsPerSecFirstHalf: mean(perSecond.slice(0, half)),
    opsPerSecSecondHalf: mean(perSecond.slice(half)),
    started: summary.started,
    late: summary.late,
    writeLatencyMs: summary.writes['us-east'].latency,
    euLagP50Ms: eu.lagFromAck.p50,
    euNeverSeen: eu.neverSeen,
    cpu: m.cpu,
  };
  progress(
    `${label}: ${result.opsPerSec.toFixed(0)} ops/s (${result.writesPerSec.toFixed(0)} writes/s, ${result.readsPerSec.toFixed(0)} reads/s); ` +
      `cpu probe ${pct(m.cpu.self)}, proxy ${pct(m.cpu.proxy)}, store ${pct(m.cpu.store)}, other ${pct(m.cpu.other)}`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Part 1: probe throughput

async function benchOps(dir) {
  const { openStore } = await dist('stores/open-store.js');
  const results = {};

  // (a) The fixture store through the proxy.
  if (config.ops.stores.includes('fixture')) {
    const proxy = await startProxyServer();
    const { file, topology } = await fixtureTopology(dir, 'ops-fixture', proxy.url);
    await deployTopology(proxy.url, topology);
    const store = await startFixtureProcess(file);
    const opened = await openStore(topology, process.env);
    try {
      results.fixture = await probeThroughput('fixture', opened, { proxy: proxy.pid, store: store.pid });
    } finally {
      await opened.close();
      await store.stop();
      await proxy.stop();
    }
  }

  // (b) One redis-server, every region's client proxy leading to it; (c), (d) redis-benchmark beside it.
  if (config.ops.stores.includes('redis')) {
    const redisDir = mkdtempSync(join(dir, 'redis-'));
    const redis = await startRedisServer(redisDir);
    const proxy = await startProxyServer();
    try {
      const { topology } = await writeTopology(dir, 'ops-redis', {
        proxyUrl: proxy.url,
        store: '{ type: redis, writer: us-east }',
        protocol: 'redis',
        upstreams: REGIONS.map(() => `${HOST}:${redis.port}`),
        links: [],
      });
      await deployTopology(proxy.url, topology);
      const opened = await openStore(topology, process.env);
      try {
        results.redis = await probeThroughput('redis', opened, { proxy: proxy.pid, store: redis.pid });
      } finally {
        await opened.close();
      }
      const usEastPort = Number(topology.regions[0].client.listen.split(':')[1]);
      for (const [key, port] of [
        ['redisBenchmarkDirect', redis.port],
        ['redisBenchmarkProxied', usEastPort],
      ]) {
        await waitForQuiet(`ops ${key}`);
        const m = await measured(() => redisBenchmark(port), { proxy: proxy.pid, store: redis.pid });
        const helperCpu = m.result.cpuSeconds;
        results[key] = {
          command: m.result.command,
          set: m.result.tests.SET,
          get: m.result.tests.GET,
          opsPerSec: m.result.combined,
          seconds: m.wall,
          cpu: { ...m.cpu, benchmark: helperCpu === undefined ? undefined : helperCpu / m.wall },
        };
        progress(
          `${key}: SET ${m.result.tests.SET.perSec.toFixed(0)}/s, GET ${m.result.tests.GET.perSec.toFixed(0)}/s; ` +
            `cpu redis-benchmark ${pct(results[key].cpu.benchmark)}, redis ${pct(m.cpu.store)}, proxy ${pct(m.cpu.proxy)}, other ${pct(m.cpu.other)}`,
        );
      }
    } finally {
      await proxy.stop();
      await redis.stop();
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------
// Part 2: RSS of a long `geoctl probe raw`

async function benchRss(dir) {
  const { minutes, rate, concurrency, sampleSeconds } = config.rss;
  const proxy = await startProxyServer();
  const { file, topology } = await fixtureTopology(dir, 'rss', proxy.url);
  await deployTopology(proxy.url, topology);
  const store = await startFixtureProcess(file);
  const durationText = `${Math.round(minutes * 60)}s`;
  const args = ['probe', 'raw', '--config', file, '--writer', 'us', '--rate', String(rate)];
  args.push('--concurrency', String(concurrency), '--duration', durationText, '--json');
  try {
    await waitForQuiet('rss');
    const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GEOCTL_STATE_DIR: join(dir, 'state') },
    });
    track(child.pid, { role: 'probe', pid: child.pid, child });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => (stdout += data));
    child.stderr.on('data', (data) => (stderr = (stderr + data).slice(-8_000)));
    const exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        children.delete(child.pid);
        resolve({ code, signal });
      }),
    );
    const started = performance.now();
    progress(
      `rss: geoctl probe raw at ${rate} writes/s for ${durationText}, sampling every ${sampleSeconds} s`,
    );
    const samples = [];
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      const m = await measured(() => Promise.race([sleep(sampleSeconds * 1000), exited]), {
        probe: child.pid,
        proxy: proxy.pid,
        store: store.pid,
      });
      if (done) break;
      const memory = memoryOf(child.pid);
      const storeMemory = memoryOf(store.pid);
      if (!memory) break;
      const sample = {
        t: (performance.now() - started) / 1000,
        rssMiB: memory.rss / MiB,
        hwmMiB: memory.hwm / MiB,
        storeRssMiB: storeMemory ? storeMemory.rss / MiB : undefined,
        cpu: m.cpu,
      };
      samples.push(sample);
      if (samples.length % 6 === 0 || samples.length === 1)
        progress(
          `rss: ${sample.t.toFixed(0)} s: ${sample.rssMiB.toFixed(1)} MiB (store ${fixed(sample.storeRssMiB)} MiB); ` +
            `cpu probe ${pct(m.cpu.probe)}, proxy ${pct(m.cpu.proxy)}, store ${pct(m.cpu.store)}, other ${pct(m.cpu.other)}`,
        );
    }
    const exit = await withTimeout(exited, 60_000, 'waiting for geoctl probe raw to exit');
    if (exit.code !== 0) throw new Error(`geoctl probe raw exited with ${exit.code}:\n${stderr}\n${stdout}`);
    const doc = JSON.parse(stdout);
    const summary = doc.summary;
    const last = samples.at(-1);
    const secondHalf = samples.filter((s) => s.t >= (minutes * 60) / 2);
    const eu = summary.pairs.find((p) => p.reader === 'eu-west');
    const others = samples.map((s) => s.cpu.other ?? 0);
    return {
      command: `node bin/run.js ${args.join(' ')}`,
      samples: samples.map((s) => ({
        t: s.t,
        rssMiB: s.rssMiB,
        storeRssMiB: s.storeRssMiB,
        probeCpu: s.cpu.probe,
        otherCpu: s.cpu.other,
      })),
      firstMiB: samples[0]?.rssMiB,
      lastMiB: last?.rssMiB,
      maxMiB: Math.max(...samples.map((s) => s.rssMiB)),
      hwmMiB: last?.hwmMiB,
      slopeSecondHalfMiBPerMin: slope(secondHalf.map((s) => ({ x: s.t / 60, y: s.rssMiB }))),
      slopeAllMiBPerMin: slope(samples.map((s) => ({ x: s.t / 60, y: s.rssMiB }))),
      storeFirstMiB: samples[0]?.storeRssMiB,
      storeLastMiB: last?.storeRssMiB,
      cpu: {
        probe: summarize(samples.map((s) => s.cpu.probe ?? Number.NaN)).mean,
        proxy: summarize(samples.map((s) => s.cpu.proxy ?? Number.NaN)).mean,
        store: summarize(samples.map((s) => s.cpu.store ?? Number.NaN)).mean,
        otherMean: summarize(others).mean,
        otherMax: Math.max(...others),
        samplesOtherOver20: others.filter((o) => o >= 0.2).length,
      },
      summary: {
        started: summary.started,
        late: summary.late,
        elapsedMs: summary.elapsedMs,
        writesPerSec: summary.started / (summary.elapsedMs / 1000),
        // Store operations: every write, the reads in each other region (stale, failed and the one that
        // saw it), and at least one read in the writer's own region per acknowledged write.
        storeOpsPerSecAtLeast:
          (summary.started +
            summary.writes['us-east'].ok +
            summary.pairs.reduce((n, p) => n + p.checked - p.neverSeen + p.staleReads + p.readErrors, 0)) /
          (summary.elapsedMs / 1000),
        writes: summary.writes['us-east'],
        euWest: {
          checked: eu.checked,
          lagP50Ms: eu.lagFromAck.p50,
          lagP99Ms: eu.lagFromAck.p99,
          neverSeen: eu.neverSeen,
        },
        interrupted: doc.interrupted,
      },
    };
  } finally {
    await store.stop();
    await proxy.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Part 3: the raw probe's error against the fixture's ground truth

async function benchError(dir) {
  const { startFixtureKv } = await dist('stores/fixture-kv/kv-cluster.js');
  const { openStore } = await dist('stores/open-store.js');
  const { planFault } = await dist('chaos/faults/plan-fault.js');
  const { injectFault } = await dist('chaos/services/inject-fault.js');
  const { heal } = await dist('chaos/services/heal.js');
  const proxy = await startProxyServer();
  const { topology } = await fixtureTopology(dir, 'error', proxy.url);
  const driver = await deployTopology(proxy.url, topology);
  const kv = await startFixtureKv(topology, { batchMs: 0 });
  const store = await openStore(topology, process.env);
  const results = {};
  try {
    for (const latencyMs of config.error.latenciesMs) {
      const plan = planFault(
        topology,
        { kind: 'latency', a: ['us-east'], b: ['eu-west'], oneway: true, latencyMs, jitterMs: 0 },
        { id: `bench${latencyMs}`.slice(0, 16), now: Date.now() },
      );
      await injectFault(driver, topology, plan, { verify: false });
      await sleep(500);
      await waitForQuiet(`error ${latencyMs} ms`);
      const visible = new Map();
      const m = await measured(
        () =>
          rawSession(store, {
            seconds: config.error.seconds,
            rate: config.error.rate,
            concurrency: 64,
            pollMs: config.error.pollMs,
            onObservation: (o) => {
              if (o.type === 'visible' && o.reader === 'eu-west') visible.set(o.key, o);
            },
          }),
        { proxy: proxy.pid },
      );
      await heal(driver, topology, { faultId: plan.id }, { verify: false });
      const { summary, runId } = m.result;
      const eu = summary.pairs.find((p) => p.reader === 'eu-west');
      const truth = kv
        .truth()
        .writes.filter(
          (w) =>
            w.key.startsWith(`geoctl/raw/${runId}/`) &&
            w.ackedAt !== undefined &&
            w.applied['eu-west'] !== undefined,
        );
      const errors = [];
      const truthLags = [];
      const probeLags = [];
      for (const w of truth) {
        const o = visible.get(w.key);
        if (!o) continue;
        const truthLag = w.applied['eu-west'] - w.ackedAt;
        truthLags.push(truthLag);
        probeLags.push(o.lagMs);
        errors.push(o.lagMs - truthLag);
      }
      const truthStats = summarize(truthLags);
      const probeStats = summarize(probeLags);
      const errorStats = summarize(errors);
      const absStats = summarize(errors.map(Math.abs));
      const p50Difference = probeStats.p50 - truthStats.p50;
      const allowed = Math.max(5, 0.05 * truthStats.p50);
      results[`${latencyMs}ms`] = {
        injectedMs: latencyMs,
        writes: summary.started,
        matched: errors.length,
        neverSeen: eu.neverSeen,
        truthLagMs: truthStats,
        probeLagMs: probeStats,
        summaryLagP50Ms: eu.lagFromAck.p50,
        resolutionP50Ms: eu.resolution.p50,
        resolutionP99Ms: eu.resolution.p99,
        errorMs: errorStats,
        absErrorMs: absStats,
        p50Difference,
        allowedMs: allowed,
        met: Math.abs(p50Difference) <= allowed,
        cpu: m.cpu,
      };
      progress(
        `error ${latencyMs} ms: truth p50 ${truthStats.p50.toFixed(2)} ms, probe p50 ${probeStats.p50.toFixed(2)} ms, ` +
          `error p50 ${errorStats.p50.toFixed(2)} / |p99| ${absStats.p99.toFixed(2)} ms over ${errors.length} writes (other cpu ${pct(m.cpu.other)})`,
      );
      await sleep(500);
    }
  } finally {
    await store.close();
    await kv.close();
    await proxy.stop();
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------
// Report

function report(results) {
  const ops = results.ops;
  if (ops) {
    const probeRow = (name, r) => [
      name,
      r.opsPerSec.toFixed(0),
      r.writesPerSec.toFixed(0),
      r.readsPerSec.toFixed(0),
      r.readsPerWrite.toFixed(2),
      `${r.opsPerSecFirstHalf.toFixed(0)} / ${r.opsPerSecSecondHalf.toFixed(0)}`,
      `${r.late}/${r.started}`,
      `${fixed(r.writeLatencyMs.p50, 2)} / ${fixed(r.writeLatencyMs.p99, 2)}`,
      r.notOk,
      pct(r.cpu.self),
      pct(r.cpu.proxy),
      pct(r.cpu.store),
      pct(r.cpu.other),
    ];
    table(
      `Probe throughput: raw probe in one process, ${config.ops.seconds} s at --rate ${config.ops.rate} --concurrency ${config.ops.concurrency} (saturated), ops = writes + reads`,
      [
        'target',
        'ops/s',
        'writes/s',
        'reads/s',
        'reads/write',
        'ops/s 1st/2nd half',
        'late/started',
        'write p50/p99 ms',
        'not ok',
        'probe cpu',
        'proxy cpu',
        'store cpu',
        'other cpu',
      ],
      [
        ...(ops.fixture ? [probeRow('fixture via proxy', ops.fixture)] : []),
        ...(ops.redis ? [probeRow('redis via proxy', ops.redis)] : []),
      ],
    );
  }
  if (ops?.redis) {
    const benchRow = (name, r) => [
      name,
      r.opsPerSec.toFixed(0),
      r.set.perSec.toFixed(0),
      r.get.perSec.toFixed(0),
      `${fixed(r.set.p50Ms, 3)} / ${fixed(r.get.p50Ms, 3)}`,
      pct(r.cpu.benchmark),
      pct(r.cpu.proxy),
      pct(r.cpu.store),
      pct(r.cpu.other),
    ];
    table(
      `redis-benchmark against the same redis-server: -t set,get -n ${config.ops.redisBenchmarkRequests} -c ${config.ops.redisBenchmarkClients} -q (ops/s: both tests together)`,
      [
        'path',
        'ops/s',
        'SET/s',
        'GET/s',
        'p50 SET/GET ms',
        'bench cpu',
        'proxy cpu',
        'redis cpu',
        'other cpu',
      ],
      [benchRow('direct', ops.redisBenchmarkDirect), benchRow('via proxy', ops.redisBenchmarkProxied)],
    );
    console.log(
      `probe / redis-benchmark via proxy: ${pct(ops.redis.opsPerSec / ops.redisBenchmarkProxied.opsPerSec)}; ` +
        `probe / redis-benchmark direct: ${pct(ops.redis.opsPerSec / ops.redisBenchmarkDirect.opsPerSec)}; ` +
        `proxied / direct redis-benchmark: ${pct(ops.redisBenchmarkProxied.opsPerSec / ops.redisBenchmarkDirect.opsPerSec)}`,
    );
  }

  const rss = results.rss;
  if (rss) {
    table(
      `RSS of \`geoctl probe raw\` at ${config.rss.rate} writes/s for ${config.rss.minutes} min, sampled every ${config.rss.sampleSeconds} s, MiB`,
      ['process', 'first', 'last', 'max', 'slope 2nd half MiB/min', 'slope all MiB/min', 'mean cpu'],
      [
        [
          'probe (geoctl)',
          fixed(rss.firstMiB),
          fixed(rss.lastMiB),
          fixed(rss.maxMiB),
          fixed(rss.slopeSecondHalfMiBPerMin, 3),
          fixed(rss.slopeAllMiBPerMin, 3),
          pct(rss.cpu.probe),
        ],
        ['fixture store', fixed(rss.storeFirstMiB), fixed(rss.storeLastMiB), '', '', '', pct(rss.cpu.store)],
        ['proxy', '', '', '', '', '', pct(rss.cpu.proxy)],
      ],
    );
    const s = rss.summary;
    console.log(
      `achieved ${s.writesPerSec.toFixed(0)} writes/s of ${config.rss.rate}, ≥ ${s.storeOpsPerSecAtLeast.toFixed(0)} store ops/s (${s.started} started in ${(s.elapsedMs / 1000).toFixed(0)} s, late ${s.late}); ` +
        `writes ok ${s.writes.ok}, fail ${s.writes.fail}, indeterminate ${s.writes.indeterminate}; ` +
        `eu-west lag p50 ${fixed(s.euWest.lagP50Ms, 2)} ms, p99 ${fixed(s.euWest.lagP99Ms, 2)} ms, never seen ${s.euWest.neverSeen}\n` +
        `VmHWM at the end ${fixed(rss.hwmMiB)} MiB; other processes: mean ${pct(rss.cpu.otherMean)}, max ${pct(rss.cpu.otherMax)} of a core over ${config.rss.sampleSeconds} s windows (${rss.cpu.samplesOtherOver20} of ${rss.samples.length} windows at 20 % or more)`,
    );
  }

  const error = results.error;
  if (error) {
    const rows = Object.values(error).map((r) => [
      `${r.injectedMs} ms`,
      `${r.matched}/${r.writes}`,
      fixed(r.truthLagMs.p50, 2),
      fixed(r.probeLagMs.p50, 2),
      fixed(r.p50Difference, 2),
      `${fixed(r.allowedMs, 2)} ${r.met ? 'met' : 'MISSED'}`,
      fixed(r.errorMs.p50, 2),
      fixed(r.errorMs.min, 2),
      fixed(r.absErrorMs.p99, 2),
      fixed(r.absErrorMs.max, 2),
      fixed(r.resolutionP50Ms, 2),
      pct(r.cpu.other),
    ]);
    table(
      `Raw probe lag against the fixture's ground truth, eu-west, ${config.error.rate} writes/s for ${config.error.seconds} s, --poll ${config.error.pollMs}ms; error = probe lag − (applied − acked), ms`,
      [
        'latency',
        'writes',
        'truth p50',
        'probe p50',
        'p50 diff',
        'target |diff| <=',
        'err p50',
        'err min',
        '|err| p99',
        '|err| max',
        'resolution p50',
        'other cpu',
      ],
      rows,
    );
  }

  console.log(
    `\nquiet checks: ${quiet.checks}; delayed ${quiet.delayed}, started busy ${quiet.gaveUp}, not waited (budget used up) ${quiet.skipped}, waited ${(quiet.waitedMs / 1000).toFixed(1)} s; ` +
      `most other-process CPU seen in a check: ${pct(quiet.maxOtherSeen)}`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Main

/** Every child still running, SIGKILLed (synchronous: also safe in an 'exit' handler). */
function killChildren() {
  for (const child of children.values()) child.child.kill('SIGKILL');
  children.clear();
}

let workDir;
const removeWorkDir = () => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
};

process.on('exit', () => {
  killChildren();
  removeWorkDir();
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.once(signal, () => {
    process.stderr.write(`\nbench interrupted (${signal}): stopping ${children.size} child process(es)\n`);
    process.exit(code); // the 'exit' handler kills them and removes the temporary directory
  });
}

async function main() {
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavgAtStart: loadavg().map((v) => round(v, 2)),
  };
  console.log(
    `geoctl probe benchmark: ${machine.nproc} CPUs (${machine.cpu}), node ${machine.node}, load average ${machine.loadavgAtStart.join(' ')}; parts ${config.parts.join(',')}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'geoctl-bench-probes-'));
  workDir = dir;
  const results = {};
  const started = performance.now();
  try {
    if (config.parts.includes('ops')) results.ops = await benchOps(dir);
    if (config.parts.includes('error')) results.error = await benchError(dir);
    if (config.parts.includes('rss')) results.rss = await benchRss(dir);
  } finally {
    killChildren();
    removeWorkDir();
  }
  report(results);
  results.quietWait = { ...quiet };
  const json = {
    bench: 'geoctl-probes',
    date: new Date().toISOString(),
    wallSeconds: (performance.now() - started) / 1000,
    machine,
    loadavgAtEnd: loadavg().map((v) => round(v, 2)),
    config,
    results,
  };
  console.log(
    JSON.stringify(json, (key, value) =>
      typeof value === 'number' && !Number.isInteger(value) ? round(value, 3) : value,
    ),
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack : error}`);
    process.exit(1); // the 'exit' handler kills the children
  },
);
