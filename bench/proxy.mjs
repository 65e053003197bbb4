#!/usr/bin/env node
// Data-plane benchmark of geoctl's embedded Toxiproxy-compatible proxy.
//
//   npm run build && node bench/proxy.mjs          (or: npm run bench)
//
// The proxy runs in its own process, as users run it (`geoctl toxiproxy serve --port 0 --json`); proxies and
// toxics are created through its HTTP API. This process is the load generator: the client and the sink/echo
// servers share its event loop, so load and proxy never share one. Everything is on 127.0.0.1, every loop is
// bounded, and the script stops by itself. It prints a readable table, then one JSON line with every figure.
//
// Figures, each measured direct (client -> server) and proxied (client -> proxy -> server):
//   bulk      one-way throughput over >= 1 GiB per measurement, MiB/s, and proxied/direct ratio
//   rtt       64-byte ping-pong on one persistent connection, p50/p99 µs, and what the proxy adds
//   connect   new connections per second: open, 1-byte echo, close, with a small fixed concurrency
//   latency   a 25 ms downstream latency toxic: error = RTT - 25 ms - proxied no-toxic RTT p50
//
// Sizes can be lowered for a quick look (the defaults are what docs/benchmarks.md reports), e.g.
//   BENCH_BULK_MIB=256 BENCH_RTT_ITERS=5000 BENCH_CONNS=1000 BENCH_LATENCY_SAMPLES=100 node bench/proxy.mjs

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';

const envInt = (name, fallback) => {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const config = {
  bulkMiB: envInt('BENCH_BULK_MIB', 1024), // per measurement
  bulkRounds: envInt('BENCH_BULK_ROUNDS', 3), // direct/proxied alternated; the median round is reported
  bulkWriteKiB: 64,
  rttIterations: envInt('BENCH_RTT_ITERS', 20_000), // per round, after warm-up
  rttRounds: 2,
  rttWarmup: 2_000,
  rttPayload: 64,
  connections: envInt('BENCH_CONNS', 3_000), // per round
  connRounds: 2,
  connConcurrency: 8,
  latencyMs: 25,
  latencySamples: envInt('BENCH_LATENCY_SAMPLES', 500),
  latencyWarmup: 20,
};

const targets = { throughputRatio: 0.4, addedRttP50Us: 40, latencyP99ErrorMs: 1 };
const goServer = { throughputRatio: '25-35 %', addedRttP50Us: 75, latencyP99ErrorMs: 4 };

const serverCommand = process.env.DEV_SERVER_SCRIPT ? [process.execPath, process.env.DEV_SERVER_SCRIPT] /* DEV-ONLY-REMOVE */ : [process.execPath, join(root, 'bin/run.js'), 'toxiproxy', 'serve', '--port', '0', '--json'];

// Hard stop, so the script always ends by itself even if the proxy wedges.
const WATCHDOG_MS = 280_000;
let server;
const watchdog = setTimeout(() => {
  console.error(`bench: watchdog fired after ${WATCHDOG_MS / 1000} s, giving up`);
  server?.child.kill('SIGKILL');
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

// ---------------------------------------------------------------------------------------------------------
// Small helpers

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    min: sorted[0],
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  };
}

const median = (values) => percentile(Float64Array.from(values).sort(), 50);
const round = (value, digits = 1) => Number(value.toFixed(digits));

function connectTo(port) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port, noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function listen(onSocket) {
  const srv = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: HOST, port: 0 }, () => resolve(srv));
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where /proc is missing. */
function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

function selfCpuSeconds() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Runs `fn`, returning its result plus wall time and the CPU seconds this process and the proxy used. */
async function measured(fn) {
  const proxyBefore = processCpuSeconds(server.child.pid);
  const selfBefore = selfCpuSeconds();
  const start = performance.now();
  const result = await fn();
  const wall = (performance.now() - start) / 1000;
  const proxyAfter = processCpuSeconds(server.child.pid);
  return {
    result,
    wall,
    loadCpu: (selfCpuSeconds() - selfBefore) / wall,
    proxyCpu: proxyBefore === undefined || proxyAfter === undefined ? undefined : (proxyAfter - proxyBefore) / wall,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Load side: sink and echo servers

/** Sink: counts bytes; `expect(total)` resolves with the time the total-th byte arrived on one connection. */
async function startSink() {
  let waiter;
  const srv = await listen((socket) => {
    let received = 0;
    socket.on('data', (data) => {
      received += data.length;
      if (waiter && received >= waiter.total) {
        const w = waiter;
        waiter = undefined;
        w.resolve(performance.now());
      }
    });
  });
  return {
    port: srv.address().port,
    server: srv,
    expect(total) {
      return new Promise((resolve) => {
        waiter = { total, resolve };
      });
    },
  };
}

async function startEcho() {
  const srv = await listen((socket) => {
    socket.on('data', (data) => socket.write(data));
  });
  return { port: srv.address().port, server: srv };
}

// ---------------------------------------------------------------------------------------------------------
// The proxy server, in its own process, driven through its HTTP API

async function startProxyServer() {
  const started = performance.now();
  const child = spawn(serverCommand[0], serverCommand.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data) => {
    stderr += data;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise((resolve, reject) => {
    lines.once('line', (line) => {
      try {
        const event = JSON.parse(line);
        if (event.event === 'listening' && typeof event.url === 'string') resolve(event.url);
        else reject(new Error(`unexpected first line from the server: ${line}`));
      } catch {
        reject(new Error(`first line from the server is not JSON: ${line}`));
      }
    });
    exited.then(({ code, signal }) =>
      reject(new Error(`server exited before it was ready (code ${code}, signal ${signal}): ${stderr.trim()}`)),
    );
    child.once('error', reject);
  });
  let url;
  try {
    url = await withTimeout(ready, 30_000, 'waiting for the server to listen');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  // Drain anything else it prints so a full pipe can never block it.
  lines.on('line', () => undefined);
  return { child, url, exited, startupMs: performance.now() - started, stderr: () => stderr };
}

async function stopProxyServer() {
  const started = performance.now();
  server.child.kill('SIGTERM');
  let outcome;
  try {
    outcome = await withTimeout(server.exited, 10_000, 'waiting for the server to exit on SIGTERM');
  } catch {
    server.child.kill('SIGKILL');
    outcome = { ...(await server.exited), killed: true };
  }
  return { ...outcome, ms: performance.now() - started };
}

async function api(method, path, body) {
  const response = await fetch(new URL(path, server.url), {
    method,
    headers: body ? { 'content-type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Creates a proxy to `upstreamPort` on an ephemeral port and returns the port the server bound. */
async function createProxy(name, upstreamPort) {
  const proxy = await api('POST', '/proxies', { name, listen: `${HOST}:0`, upstream: `${HOST}:${upstreamPort}` });
  const port = Number(String(proxy.listen).slice(String(proxy.listen).lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`proxy ${name}: unusable listen address ${proxy.listen}`);
  return port;
}

// ---------------------------------------------------------------------------------------------------------
// Workloads

/** Sends `total` bytes one way; MiB/s from the first write until the sink has the last byte. */
async function bulk(port, sink, totalBytes) {
  const socket = await connectTo(port);
  socket.on('error', () => undefined);
  const chunk = Buffer.alloc(config.bulkWriteKiB * 1024, 0x5a);
  const arrived = sink.expect(totalBytes);
  const start = performance.now();
  await new Promise((resolve) => {
    let sent = 0;
    const pump = () => {
      while (sent < totalBytes) {
        const n = Math.min(chunk.length, totalBytes - sent);
        sent += n;
        if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          socket.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
  const end = await withTimeout(arrived, 120_000, 'bulk transfer');
  socket.destroy();
  const seconds = (end - start) / 1000;
  return { mibPerSec: totalBytes / 1024 / 1024 / seconds, seconds };
}

/** Ping-pong of `payload` bytes on one connection; returns round-trip times in µs (warm-up excluded). */
async function pingPong(port, iterations, warmup, payloadBytes) {
  const socket = await connectTo(port);
  const payload = Buffer.alloc(payloadBytes, 0x61);
  const samples = new Float64Array(iterations);
  const done = new Promise((resolve, reject) => {
    let index = -warmup;
    let pending = payloadBytes;
    let sentAt = 0;
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`connection closed after ${index + warmup} round trips`)));
    socket.on('data', (data) => {
      pending -= data.length;
      if (pending > 0) return;
      const now = performance.now();
      if (index >= 0) samples[index] = (now - sentAt) * 1000;
      index++;
      if (index >= iterations) {
        resolve();
        return;
      }
      pending = payloadBytes;
      sentAt = performance.now();
      socket.write(payload);
    });
    sentAt = performance.now();
    socket.write(payload);
  });
  try {
    await withTimeout(done, 120_000, 'ping-pong');
  } finally {
    socket.removeAllListeners('close');
    socket.on('error', () => undefined);
    socket.destroy();
  }
  return samples;
}

/** `total` connections, `concurrency` at a time: connect, send 1 byte, wait for its echo, end, wait for close. */
async function connectionChurn(port, total, concurrency) {
  const one = Buffer.from('x');
  const perConnection = [];
  let failures = 0;
  const start = performance.now();
  await withTimeout(
    new Promise((resolve) => {
      let started = 0;
      let finished = 0;
      const next = () => {
        if (started >= total) return;
        started++;
        const opened = performance.now();
        let echoed = false;
        const socket = connect({ host: HOST, port, noDelay: true });
        socket.on('error', () => undefined);
        socket.once('connect', () => socket.write(one));
        socket.once('data', () => {
          echoed = true;
          socket.end();
        });
        socket.once('close', () => {
          if (echoed) perConnection.push((performance.now() - opened) * 1000);
          else failures++;
          finished++;
          if (finished === total) resolve();
          else next();
        });
      };
      for (let i = 0; i < concurrency; i++) next();
    }),
    120_000,
    'connection churn',
  );
  const seconds = (performance.now() - start) / 1000;
  return { perSec: total / seconds, failures, perConnectionUs: summarize(perConnection) };
}

// ---------------------------------------------------------------------------------------------------------
// Output

function table(title, header, rows) {
  const all = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(all[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of all.slice(1)) console.log(line(row));
}

const cpuText = (m) =>
  `load ${Math.round(m.loadCpu * 100)}%${m.proxyCpu === undefined ? '' : `, proxy ${Math.round(m.proxyCpu * 100)}%`}`;

function progress(text) {
  process.stderr.write(`  ${text}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  console.log(`geoctl proxy benchmark — ${machine.nproc} CPUs (${machine.cpu}), node ${machine.node}`);
  console.log(`server: ${serverCommand.slice(1).join(' ').replace(root + '/', '')}`);

  const sink = await startSink();
  const echo = await startEcho();
  server = await startProxyServer();
  progress(`server ready in ${Math.round(server.startupMs)} ms at ${server.url}`);

  const sinkProxy = await createProxy('bench_sink', sink.port);
  const echoProxy = await createProxy('bench_echo', echo.port);
  const latencyProxy = await createProxy('bench_latency', echo.port);
  await api('POST', '/proxies/bench_latency/toxics', {
    name: 'bench_latency_downstream',
    type: 'latency',
    stream: 'downstream',
    toxicity: 1,
    attributes: { latency: config.latencyMs, jitter: 0 },
  });

  const routes = { direct: { sink: sink.port, echo: echo.port }, proxied: { sink: sinkProxy, echo: echoProxy } };
  const results = {};

  // Bulk throughput: a short warm-up each way, then rounds alternating direct and proxied.
  const bulkBytes = config.bulkMiB * 1024 * 1024;
  await bulk(routes.direct.sink, sink, 64 << 20);
  await bulk(routes.proxied.sink, sink, 64 << 20);
  const bulkRuns = { direct: [], proxied: [] };
  for (let r = 0; r < config.bulkRounds; r++) {
    for (const mode of ['direct', 'proxied']) {
      const m = await measured(() => bulk(routes[mode].sink, sink, bulkBytes));
      bulkRuns[mode].push({ ...m.result, loadCpu: m.loadCpu, proxyCpu: m.proxyCpu });
      progress(`bulk ${mode} round ${r + 1}: ${m.result.mibPerSec.toFixed(0)} MiB/s (${cpuText(m)})`);
    }
  }
  const bulkMedian = (mode) => {
    const runs = [...bulkRuns[mode]].sort((a, b) => a.mibPerSec - b.mibPerSec);
    return runs[Math.floor((runs.length - 1) / 2)];
  };
  results.bulk = {
    bytesPerRun: bulkBytes,
    rounds: config.bulkRounds,
    direct: bulkMedian('direct'),
    proxied: bulkMedian('proxied'),
    allMiBPerSec: {
      direct: bulkRuns.direct.map((r) => round(r.mibPerSec)),
      proxied: bulkRuns.proxied.map((r) => round(r.mibPerSec)),
    },
  };
  results.bulk.ratio = results.bulk.proxied.mibPerSec / results.bulk.direct.mibPerSec;

  // Round trip on a persistent connection.
  const rttSamples = { direct: [], proxied: [] };
  const rttCpu = { direct: [], proxied: [] };
  for (let r = 0; r < config.rttRounds; r++) {
    for (const mode of ['direct', 'proxied']) {
      const m = await measured(() => pingPong(routes[mode].echo, config.rttIterations, config.rttWarmup, config.rttPayload));
      rttSamples[mode].push(...m.result);
      rttCpu[mode].push(m);
      const s = summarize(m.result);
      progress(`rtt ${mode} round ${r + 1}: p50 ${s.p50.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs (${cpuText(m)})`);
    }
  }
  results.rtt = {
    payloadBytes: config.rttPayload,
    direct: summarize(rttSamples.direct),
    proxied: summarize(rttSamples.proxied),
  };
  results.rtt.addedP50Us = results.rtt.proxied.p50 - results.rtt.direct.p50;
  results.rtt.addedP99Us = results.rtt.proxied.p99 - results.rtt.direct.p99;

  // New connections per second.
  const connRuns = { direct: [], proxied: [] };
  for (let r = 0; r < config.connRounds; r++) {
    for (const mode of ['direct', 'proxied']) {
      const m = await measured(() => connectionChurn(routes[mode].echo, config.connections, config.connConcurrency));
      connRuns[mode].push({ ...m.result, loadCpu: m.loadCpu, proxyCpu: m.proxyCpu });
      progress(
        `connect ${mode} round ${r + 1}: ${m.result.perSec.toFixed(0)}/s, ${m.result.failures} failed (${cpuText(m)})`,
      );
    }
  }
  const connSummary = (mode) => ({
    perSec: median(connRuns[mode].map((r) => r.perSec)),
    allPerSec: connRuns[mode].map((r) => round(r.perSec, 0)),
    failures: connRuns[mode].reduce((sum, r) => sum + r.failures, 0),
    perConnectionP50Us: median(connRuns[mode].map((r) => r.perConnectionUs.p50)),
    loadCpu: median(connRuns[mode].map((r) => r.loadCpu)),
    proxyCpu: connRuns[mode][0].proxyCpu === undefined ? undefined : median(connRuns[mode].map((r) => r.proxyCpu)),
  });
  results.connect = {
    perRound: config.connections,
    concurrency: config.connConcurrency,
    direct: connSummary('direct'),
    proxied: connSummary('proxied'),
  };
  results.connect.ratio = results.connect.proxied.perSec / results.connect.direct.perSec;

  // Latency toxic accuracy.
  const baselineMs = results.rtt.proxied.p50 / 1000;
  progress(`latency toxic: ${config.latencySamples} round trips at ${config.latencyMs} ms, about ${Math.ceil((config.latencySamples * config.latencyMs) / 1000)} s`);
  const latencyRtt = await pingPong(latencyProxy, config.latencySamples, config.latencyWarmup, config.rttPayload);
  const rttMs = Array.from(latencyRtt, (us) => us / 1000);
  const errorsMs = rttMs.map((ms) => ms - config.latencyMs - baselineMs);
  results.latencyToxic = {
    configuredMs: config.latencyMs,
    baselineProxiedP50Ms: baselineMs,
    rttMs: summarize(rttMs),
    errorMs: summarize(errorsMs),
    early: errorsMs.filter((e) => e < -baselineMs).length, // delivered before the configured latency elapsed
  };

  const stop = await stopProxyServer();
  results.serverExit = { code: stop.code, signal: stop.signal, ms: round(stop.ms, 0), killed: Boolean(stop.killed) };
  results.serverStartupMs = server.startupMs;
  sink.server.close();
  echo.server.close();

  // ------------------------------------------------------------------ report
  const b = results.bulk;
  table(
    `Bulk throughput, one way, ${config.bulkMiB} MiB per run, median of ${config.bulkRounds} runs (${config.bulkWriteKiB} KiB writes)`,
    ['path', 'MiB/s', 'all runs MiB/s', 'load CPU', 'proxy CPU'],
    [
      ['direct', b.direct.mibPerSec.toFixed(0), b.allMiBPerSec.direct.map((v) => v.toFixed(0)).join(' / '), `${Math.round(b.direct.loadCpu * 100)}%`, '-'],
      ['proxied', b.proxied.mibPerSec.toFixed(0), b.allMiBPerSec.proxied.map((v) => v.toFixed(0)).join(' / '), `${Math.round(b.proxied.loadCpu * 100)}%`, b.proxied.proxyCpu === undefined ? '?' : `${Math.round(b.proxied.proxyCpu * 100)}%`],
      ['proxied / direct', `${(b.ratio * 100).toFixed(1)}%`, '', '', ''],
    ],
  );
  const t = results.rtt;
  const rttRow = (name, s) => [name, s.min.toFixed(1), s.p50.toFixed(1), s.p90.toFixed(1), s.p99.toFixed(1), s.max.toFixed(0), s.mean.toFixed(1)];
  table(
    `Round trip, ${config.rttPayload}-byte ping-pong on one connection, ${t.direct.n} samples each (µs)`,
    ['path', 'min', 'p50', 'p90', 'p99', 'max', 'mean'],
    [
      rttRow('direct', t.direct),
      rttRow('proxied', t.proxied),
      ['added by proxy', '', t.addedP50Us.toFixed(1), (t.proxied.p90 - t.direct.p90).toFixed(1), t.addedP99Us.toFixed(1), '', (t.proxied.mean - t.direct.mean).toFixed(1)],
    ],
  );
  const c = results.connect;
  table(
    `New connections (connect, 1-byte echo, close), ${config.connections} per run, concurrency ${config.connConcurrency}, median of ${config.connRounds} runs`,
    ['path', 'conn/s', 'all runs', 'p50 per conn µs', 'failed', 'load CPU', 'proxy CPU'],
    [
      ['direct', c.direct.perSec.toFixed(0), c.direct.allPerSec.join(' / '), c.direct.perConnectionP50Us.toFixed(0), c.direct.failures, `${Math.round(c.direct.loadCpu * 100)}%`, '-'],
      ['proxied', c.proxied.perSec.toFixed(0), c.proxied.allPerSec.join(' / '), c.proxied.perConnectionP50Us.toFixed(0), c.proxied.failures, `${Math.round(c.proxied.loadCpu * 100)}%`, c.proxied.proxyCpu === undefined ? '?' : `${Math.round(c.proxied.proxyCpu * 100)}%`],
      ['proxied / direct', `${(c.ratio * 100).toFixed(1)}%`, '', '', '', '', ''],
    ],
  );
  const l = results.latencyToxic;
  table(
    `Latency toxic ${l.configuredMs} ms downstream, ${l.rttMs.n} round trips; error = RTT - ${l.configuredMs} ms - ${(baselineMs * 1000).toFixed(1)} µs (proxied p50) (ms)`,
    ['', 'min', 'p50', 'p90', 'p99', 'max', 'mean'],
    [
      ['RTT', ...['min', 'p50', 'p90', 'p99', 'max', 'mean'].map((k) => l.rttMs[k].toFixed(3))],
      ['error', ...['min', 'p50', 'p90', 'p99', 'max', 'mean'].map((k) => l.errorMs[k].toFixed(3))],
    ],
  );
  if (l.early > 0) console.log(`  ${l.early} replies arrived before ${l.configuredMs} ms had elapsed`);

  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  const checks = {
    throughputRatio: { value: b.ratio, target: `>= ${targets.throughputRatio * 100}%`, met: b.ratio >= targets.throughputRatio },
    addedRttP50Us: { value: t.addedP50Us, target: `< ${targets.addedRttP50Us} µs`, met: t.addedP50Us < targets.addedRttP50Us },
    latencyP99ErrorMs: {
      value: l.errorMs.p99,
      target: `< ${targets.latencyP99ErrorMs} ms`,
      met: Math.abs(l.errorMs.p99) < targets.latencyP99ErrorMs,
    },
  };
  table('Targets', ['figure', 'measured', 'target', 'verdict', 'official Go server'], [
    ['throughput proxied/direct', `${(b.ratio * 100).toFixed(1)}%`, checks.throughputRatio.target, verdict(checks.throughputRatio.met), goServer.throughputRatio],
    ['added round-trip p50', `${t.addedP50Us.toFixed(1)} µs`, checks.addedRttP50Us.target, verdict(checks.addedRttP50Us.met), `~${goServer.addedRttP50Us} µs`],
    ['latency toxic p99 error', `${l.errorMs.p99.toFixed(3)} ms`, checks.latencyP99ErrorMs.target, verdict(checks.latencyP99ErrorMs.met), `~${goServer.latencyP99ErrorMs} ms`],
  ]);
  console.log(
    `\nserver: ready in ${Math.round(server.startupMs)} ms; SIGTERM -> ${stop.killed ? 'did NOT exit, killed' : `exit code ${stop.code}${stop.signal ? ` signal ${stop.signal}` : ''}`} in ${Math.round(stop.ms)} ms`,
  );

  const json = {
    bench: 'geoctl-proxy',
    date: new Date().toISOString(),
    machine,
    config,
    results,
    targets: checks,
  };
  console.log(JSON.stringify(json, (key, value) => (typeof value === 'number' && !Number.isInteger(value) ? round(value, 3) : value)));
  const allMet = Object.values(checks).every((check) => check.met);
  if (!allMet) console.log('(one or more targets missed; see above)');
  return stop.killed || stop.code !== 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack : error}`);
    if (server) {
      const stderr = server.stderr().trim();
      if (stderr) console.error(`server stderr:\n${stderr}`);
      server.child.kill('SIGKILL');
    }
    process.exit(1);
  },
);
