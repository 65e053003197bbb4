#!/usr/bin/env node
// Data-plane benchmark of geoctl's embedded Toxiproxy-compatible proxy. Not a test: it prints figures.
//
//   npm run bench                    (builds, then runs this and bench/startup.mjs)
//   node bench/proxy.mjs             (after `npm run build`)
//
// The proxy runs in its own process, as users run it (`node bin/run.js toxiproxy serve --port 0 --json`, which
// runs the server in a child process started with its Node flags; see src/cli/serve-relaunch.ts);
// proxies and toxics are created through its HTTP API. This process is the load generator. Its clients run
// on the main thread; the servers they talk to (a byte sink and an echo) run in two placements, both in this
// process and never in the proxy's:
//   separate  servers in a worker thread: client and server each have an event loop, as an app and its
//             database would (both directions of a round trip cross threads, bulk gets a writer and a reader)
//   shared    servers on the main thread, sharing the clients' event loop
// The placement changes the direct baseline a lot, so both are reported. Everything is on 127.0.0.1, every
// loop is bounded, and the script stops by itself (in about two minutes). It prints tables, then one JSON
// line.
//
// Figures, each direct (client -> server) and proxied (client -> proxy -> server), in each placement:
//   bulk      one-way throughput, 1 GiB per measurement, MiB/s and proxied/direct
//   rtt       64-byte ping-pong on one persistent connection, p50/p99 µs and what the proxy adds
//   connect   connections per second: connect, 1-byte echo, close, 8 at a time
// and last, through a proxy with a 25 ms downstream latency toxic, from a client in a fresh process to an echo in
// a process of its own (both set up as the proxy's process is: one GC thread, their other threads below the main
// one), so that the tail measures the proxy and this machine, not the bench's own heap or threads:
//   latency   error = RTT - 25 ms - the RTT p50 through a proxy with no toxic to the same echo, p50/p99, and a
//             95 % interval for the p99 (order statistics, no assumption about the distribution)
//   reference the same measurement with no proxy, the echo's process busy-waiting exactly 25 ms before it
//             echoes: what the machine and the measuring add to the error by themselves. The two alternate in
//             blocks of 50 round trips, so both see the same minutes of the machine
// The machine may be shared: before each measured round the script waits (60 s at most in all) until other
// processes use under a fifth of a core, and every table shows the CPU they used meanwhile ("other cpu").
//
// Smaller sizes for a quick look (docs/benchmarks.md reports the defaults):
//   BENCH_BULK_MIB=256 BENCH_RTT_ITERS=5000 BENCH_CONNS=1000 BENCH_LATENCY_SAMPLES=100 \
//   BENCH_REFERENCE_SAMPLES=100 node bench/proxy.mjs
// BENCH_LATENCY_WARMUP (20) and BENCH_LATENCY_BLOCK (50; 1000 runs the toxic's round trips first, then the
// reference's) change the latency part.
// BENCH_LATENCY_DUMP=file writes the latency part's every round trip there (see bench/trace/README.md).
// BENCH_PIN=1 pins this process to CPU 0 and the proxy to CPU 1 (taskset), for steadier figures.
// BENCH_SERVER_CMD='["/path/to/server", "arg"]' runs another server instead (it must print the same
// `{"event":"listening","url":...}` line and speak the Toxiproxy HTTP API), to compare servers the same way.

import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { deprioritizeOtherThreads } from '../dist/chaos/embedded/background-threads.js';
import {
  connectTo,
  listen,
  machineBusySeconds,
  percentileInterval,
  processCpuSeconds,
  summarize,
  withTimeout,
} from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';

const envInt = (name, fallback) => {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const config = {
  bulkMiB: envInt('BENCH_BULK_MIB', 1024), // per measurement
  bulkRounds: 3, // direct and proxied alternate; the median of the rounds is reported
  bulkWarmupMiB: 64,
  bulkWriteKiB: 64,
  rttIterations: envInt('BENCH_RTT_ITERS', 20_000), // per round, after warm-up
  rttRounds: 2, // samples of all rounds are pooled
  rttWarmup: 2_000,
  rttPayload: 64,
  connections: envInt('BENCH_CONNS', 2_500), // per round
  connRounds: 2, // the median (of 2: the mean) of the rounds is reported
  connWarmup: 500,
  connConcurrency: 8,
  latencyMs: 25,
  // 1,000 each so that a p99 rests on its ten largest samples and has a 95 % interval on both sides; the
  // reference gets as many as the toxic, so the two tails are read with the same resolution.
  latencySamples: envInt('BENCH_LATENCY_SAMPLES', 1_000),
  latencyWarmup: envInt('BENCH_LATENCY_WARMUP', 20),
  latencyBlock: envInt('BENCH_LATENCY_BLOCK', 50), // round trips per block; the toxic and the reference alternate
  latencyBlockWarmup: 1, // the first round trip of a block follows a pause of one block
  referenceSamples: envInt('BENCH_REFERENCE_SAMPLES', 1_000),
};

const placements = ['separate', 'shared'];
const targets = { throughputRatio: 0.4, addedRttP50Us: 40, latencyP99ErrorMs: 1 };
const goServer = {
  throughputRatio: 'about 25-35%',
  addedRttP50Us: 'about 75 µs',
  latencyP99ErrorMs: 'about 4 ms late',
};

// BENCH_PIN=1: this process (clients and servers, and the latency part's processes) on CPU 0, the proxy on
// CPU 1, with taskset. Off by default, since users do not pin; on, it removes the variance of the scheduler
// sometimes putting load and proxy on one core.
const pinned = process.env.BENCH_PIN === '1';
const onProxyCpu = (command) => (pinned ? ['taskset', '-c', '1', ...command] : command);

const serverCommand = onProxyCpu(
  process.env.BENCH_SERVER_CMD
    ? JSON.parse(process.env.BENCH_SERVER_CMD)
    : [process.execPath, join(root, 'bin/run.js'), 'toxiproxy', 'serve', '--port', '0', '--json'],
);

// ---------------------------------------------------------------------------------------------------------
// Small helpers

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[Math.floor(mid)];
};
const round = (value, digits = 1) => Number(value.toFixed(digits));
const pct = (value) => (value === undefined ? '?' : `${Math.round(value * 100)}%`);

/** Time in ms, sub-µs resolution, comparable between threads (performance.now() has a per-thread origin). */
const clock = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc; figures show as "?" elsewhere)

const selfCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/**
 * Runs `fn` and returns its result with the wall time and the CPU used meanwhile, in cores: by this process
 * (clients and servers), by the proxy process, and by everything else on the machine (other jobs; a high
 * figure there means the run was disturbed).
 */
async function measured(fn, helperPids = []) {
  const sample = () => ({
    proxy: processCpuSeconds(server.pid),
    helper: helperPids.reduce((sum, pid) => {
      const seconds = processCpuSeconds(pid);
      return sum === undefined || seconds === undefined ? undefined : sum + seconds;
    }, 0),
    self: selfCpuSeconds(),
    machine: machineBusySeconds(),
  });
  const before = sample();
  const start = performance.now();
  const result = await fn();
  const wall = (performance.now() - start) / 1000;
  const after = sample();
  const perSecond = (key) =>
    before[key] === undefined || after[key] === undefined ? undefined : (after[key] - before[key]) / wall;
  const load = perSecond('self') + (perSecond('helper') ?? 0);
  const proxy = perSecond('proxy');
  const machine = perSecond('machine');
  const other =
    proxy === undefined || machine === undefined ? undefined : Math.max(0, machine - load - proxy);
  return { result, wall, cpu: { load, proxy, other } };
}

/**
 * This machine may be shared: before each measured round, wait (a bounded time) until other processes use
 * less than a fifth of a core, so one busy neighbour does not decide a figure. The wait is reported.
 */
const quiet = { budgetMs: 60_000, waitedMs: 0, waits: 0, gaveUp: 0 };
async function waitForQuiet() {
  if (machineBusySeconds() === undefined) return;
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const m = await measured(() => new Promise((resolve) => setTimeout(resolve, 250)));
    if (m.cpu.other === undefined || m.cpu.other < 0.2) {
      if (attempt > 0) {
        quiet.waits++;
        quiet.waitedMs += performance.now() - started;
      }
      return;
    }
    if (quiet.waitedMs + (performance.now() - started) > quiet.budgetMs) {
      quiet.gaveUp++;
      quiet.waitedMs += performance.now() - started;
      return;
    }
  }
}

const cpuText = ({ load, proxy, other }) =>
  `cpu: load ${pct(load)}, proxy ${pct(proxy)}, other ${pct(other)}`;

// ---------------------------------------------------------------------------------------------------------
// Servers the clients talk to: a byte sink and an echo

/**
 * The sink counts bytes per connection and calls `onArrived(clock())` once a connection has received the
 * expected total; the echo writes back whatever it reads.
 */
async function runServers(onArrived) {
  let expected = Infinity;
  const sink = await listen((socket) => {
    let received = 0;
    socket.on('data', (data) => {
      received += data.length;
      if (received >= expected) {
        expected = Infinity;
        onArrived(clock());
      }
    });
  });
  const echo = await listen((socket) => {
    socket.on('data', (data) => socket.write(data));
  });
  return {
    sinkPort: sink.address().port,
    echoPort: echo.address().port,
    expect(total) {
      expected = total;
    },
  };
}

/** Starts sink and echo on this thread ('shared') or in a worker thread ('separate'). */
async function startServers(placement) {
  if (placement === 'shared') {
    let waiter;
    const servers = await runServers((time) => waiter?.(time));
    return {
      sinkPort: servers.sinkPort,
      echoPort: servers.echoPort,
      /** Resolves once the sink is armed, with a promise of the arrival time of the last byte. */
      async expect(total) {
        servers.expect(total);
        return { arrived: new Promise((resolve) => (waiter = resolve)) };
      },
    };
  }
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'servers' } });
  worker.unref();
  const ports = await withTimeout(
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }),
    10_000,
    'starting the worker servers',
  );
  let armed;
  let waiter;
  worker.on('message', (message) => {
    if (message.armed) armed?.();
    if (message.arrived !== undefined) waiter?.(message.arrived);
  });
  return {
    sinkPort: ports.sinkPort,
    echoPort: ports.echoPort,
    async expect(total) {
      const ack = new Promise((resolve) => (armed = resolve));
      worker.postMessage({ expect: total });
      await ack;
      return { arrived: new Promise((resolve) => (waiter = resolve)) };
    },
  };
}

async function serverWorker() {
  const servers = await runServers((time) => parentPort.postMessage({ arrived: time }));
  parentPort.on('message', (message) => {
    servers.expect(message.expect);
    parentPort.postMessage({ armed: true });
  });
  parentPort.postMessage({ sinkPort: servers.sinkPort, echoPort: servers.echoPort });
}

// ---------------------------------------------------------------------------------------------------------
// The proxy server, in its own process, driven through its HTTP API

let server;

async function startProxyServer() {
  const started = performance.now();
  const child = spawn(serverCommand[0], serverCommand.slice(1), {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (data) => {
    stderr += data;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        return;
      }
      // `serve` runs the server in a child process started with its Node flags and reports that pid; the
      // proxy's CPU is that process's. (Other servers report none: their own pid is the one.)
      if (event?.event === 'listening' && typeof event.url === 'string')
        resolve({ url: event.url, pid: Number.isInteger(event.pid) ? event.pid : child.pid });
    });
    exited.then(({ code, signal }) =>
      reject(
        new Error(`server exited before it was ready (code ${code}, signal ${signal}): ${stderr.trim()}`),
      ),
    );
    child.once('error', reject);
  });
  try {
    const { url, pid } = await withTimeout(ready, 30_000, 'waiting for the server to listen');
    return { child, pid, url, exited, startupMs: performance.now() - started, stderr: () => stderr };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

async function stopProxyServer() {
  const started = performance.now();
  server.child.kill('SIGTERM');
  try {
    const outcome = await withTimeout(server.exited, 10_000, 'waiting for the server to exit on SIGTERM');
    return { ...outcome, killed: false, ms: performance.now() - started };
  } catch {
    server.child.kill('SIGKILL');
    return { ...(await server.exited), killed: true, ms: performance.now() - started };
  }
}

async function api(method, path, body) {
  const response = await globalThis.fetch(new URL(path, server.url), {
    method,
    headers: body ? { 'content-type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Creates a proxy to `upstreamPort` on an ephemeral port; returns the port the server bound. */
async function createProxy(name, upstreamPort) {
  const proxy = await api('POST', '/proxies', {
    name,
    listen: `${HOST}:0`,
    upstream: `${HOST}:${upstreamPort}`,
  });
  const listenText = String(proxy?.listen);
  const port = Number(listenText.slice(listenText.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`proxy ${name}: unusable listen address ${listenText}`);
  return port;
}

// ---------------------------------------------------------------------------------------------------------
// Workloads

/** Sends `totalBytes` one way; MiB/s from the first write until the sink has the last byte. */
async function bulk(port, servers, totalBytes) {
  const socket = await connectTo(port);
  socket.on('error', () => undefined);
  const chunk = Buffer.alloc(config.bulkWriteKiB * 1024, 0x5a);
  const { arrived } = await servers.expect(totalBytes);
  const start = clock();
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
  return { mibPerSec: totalBytes / 2 ** 20 / ((end - start) / 1000) };
}

/**
 * One persistent connection for ping-pong: `run(iterations, warmup)` sends `payloadBytes`, waits for all of them
 * to come back, and repeats; it returns the round trips after the warm-up ones (`rttUs`, µs) and when each was
 * sent (`sentAt`, `performance.now()` ms). Runs can be repeated on the same connection, so two paths can be
 * measured in alternating blocks.
 */
async function openPinger(port, payloadBytes) {
  const socket = await connectTo(port);
  const payload = Buffer.alloc(payloadBytes, 0x61);
  let failed;
  let onFailure = () => undefined;
  const fail = (error) => {
    failed ??= error;
    onFailure(failed);
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed during ping-pong')));
  let onData = () => undefined;
  socket.on('data', (data) => onData(data));
  return {
    async run(iterations, warmup) {
      if (failed) throw failed;
      const samples = new Float64Array(iterations);
      const sentTimes = new Float64Array(iterations);
      let index = -warmup;
      const done = new Promise((resolve, reject) => {
        onFailure = reject;
        let pending = payloadBytes;
        let sentAt = 0;
        onData = (data) => {
          pending -= data.length;
          if (pending > 0) return;
          const now = performance.now();
          if (index >= 0) {
            samples[index] = (now - sentAt) * 1000;
            sentTimes[index] = sentAt;
          }
          index++;
          if (index >= iterations) {
            resolve();
            return;
          }
          pending = payloadBytes;
          sentAt = performance.now();
          socket.write(payload);
        };
        sentAt = performance.now();
        socket.write(payload);
      });
      try {
        await withTimeout(done, 120_000, 'ping-pong');
      } finally {
        onData = () => undefined;
        onFailure = () => undefined;
      }
      return { rttUs: samples, sentAt: sentTimes };
    },
    close() {
      socket.removeAllListeners('close');
      socket.on('error', () => undefined);
      socket.destroy();
    },
  };
}

/** Ping-pong of `payloadBytes` on one connection; round-trip times in µs, warm-up excluded. */
async function pingPong(port, iterations, warmup, payloadBytes) {
  const pinger = await openPinger(port, payloadBytes);
  try {
    return (await pinger.run(iterations, warmup)).rttUs;
  } finally {
    pinger.close();
  }
}

/** `total` connections, `concurrency` at a time: connect, send 1 byte, await its echo, end, await close. */
async function connectionChurn(port, total, concurrency) {
  const one = Buffer.from('x');
  let failures = 0;
  const start = performance.now();
  await withTimeout(
    new Promise((resolve) => {
      let started = 0;
      let finished = 0;
      const next = () => {
        if (started >= total) return;
        started++;
        let echoed = false;
        const socket = connect({ host: HOST, port, noDelay: true });
        socket.on('error', () => undefined);
        socket.once('connect', () => socket.write(one));
        socket.once('data', () => {
          echoed = true;
          socket.end();
        });
        socket.once('close', () => {
          if (!echoed) failures++;
          finished++;
          if (finished === total) resolve();
          else next();
        });
      };
      for (let i = 0; i < Math.min(concurrency, total); i++) next();
    }),
    120_000,
    'connection churn',
  );
  return { perSec: total / ((performance.now() - start) / 1000), failures };
}

/**
 * The far ends of the latency part, in a process of their own: an echo (the upstream of the latency proxies)
 * and, for the reference, an echo after a busy-wait of exactly `delayMs` (it burns the CPU instead of sleeping,
 * so it is never late). A kernel trace of the bench (docs/benchmarks.md, "Who is late") found the round trips
 * that missed by over a millisecond late mostly before the proxy ever held them: the echo, then a worker of
 * the bench's own process, answered late while that process ran GCs left over from the bulk parts. Here nothing
 * else shares the echo's heap, and the process is set up as the proxy's: one GC thread, and V8's other threads
 * below the main one (deprioritizeOtherThreads).
 */
async function runLatencyEndpoints(delayMs) {
  await deprioritizeOtherThreads();
  // Reading the clock allocates; read it every few thousand turns of a loop that does not, or the wait sets
  // off a minor GC every ~25 ms, and one that lands at the end of a wait makes the reply late.
  let spins = 0;
  const wait = (ms) => {
    const until = performance.now() + ms;
    for (;;) {
      for (let k = 0; k < 4096; k++) spins = (spins + k) | 0;
      if (performance.now() >= until) return;
    }
  };
  const echo = await listen((socket) => socket.on('data', (data) => socket.write(data)));
  const delayed = await listen((socket) =>
    socket.on('data', (data) => {
      wait(delayMs);
      socket.write(data);
    }),
  );
  process.stdout.write(`${JSON.stringify({ echo: echo.address().port, delayed: delayed.address().port })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

function p99Interval(samples) {
  const { lower, upper } = percentileInterval(Float64Array.from(samples).sort(), 99);
  return { lower, upper };
}

/**
 * This script again in a fresh process with one GC thread, `role` and `args` on its command line (on this
 * process's CPUs: with BENCH_PIN, the load's).
 */
function spawnRole(role, args, stdin = 'ignore') {
  const child = spawn(
    process.execPath,
    ['--single-threaded-gc', fileURLToPath(import.meta.url), role, ...args],
    { stdio: [stdin, 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  /** The next line the child prints, parsed as JSON. */
  const nextLine = (ms, what) =>
    withTimeout(
      new Promise((resolve, reject) => {
        lines.once('line', (line) => resolve(JSON.parse(line)));
        child.once('error', reject);
        exited.then((code) => reject(new Error(`${role} exited with code ${code}`)));
      }),
      ms,
      what,
    );
  return { child, nextLine, stop: () => child.kill('SIGTERM') };
}

async function startLatencyEndpoints() {
  const endpoints = spawnRole('--latency-endpoints', [String(config.latencyMs)]);
  try {
    const ports = await endpoints.nextLine(10_000, 'starting the latency endpoints');
    return { ports, pid: endpoints.child.pid, stop: endpoints.stop };
  } catch (error) {
    endpoints.stop();
    throw error;
  }
}

/**
 * The measuring side of the latency part, in a fresh process (`--latency-client`): the bench's own process has
 * by then allocated gigabytes in the bulk parts, and its heap's clean-up (V8's memory reducer: full GCs while
 * the allocation rate is low, with helper threads on both CPUs) fell into this part. It measures the two
 * baselines, warms up, prints `{"ready":true}`, waits for a line on stdin, measures the alternating blocks and
 * prints them with its own GCs, all on its own performance.now() clock.
 */
async function runLatencyClient(ports) {
  await deprioritizeOtherThreads();
  const baselineMs = async (port) =>
    summarize(await pingPong(port, config.rttIterations / 2, config.rttWarmup, config.rttPayload)).p50 / 1000;
  const toxicBaselineMs = await baselineMs(ports.baseline);
  const referenceBaselineMs = await baselineMs(ports.echo);
  const toxic = await openPinger(ports.toxic, config.rttPayload);
  const delayed = await openPinger(ports.delayed, config.rttPayload);
  await toxic.run(0, config.latencyWarmup);
  await delayed.run(0, config.latencyWarmup);
  const gcs = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcs.push([entry.startTime, entry.startTime + entry.duration]);
  });
  observer.observe({ entryTypes: ['gc'] });
  process.stdout.write('{"ready":true}\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const samples = { toxic: [], reference: [] };
  const sent = { toxic: [], reference: [] };
  const block = async (pinger, key, total) => {
    const n = Math.min(config.latencyBlock, total - samples[key].length);
    if (n === 0) return;
    const { rttUs, sentAt } = await pinger.run(n, config.latencyBlockWarmup);
    samples[key].push(...rttUs);
    sent[key].push(...sentAt);
  };
  while (samples.toxic.length < config.latencySamples || samples.reference.length < config.referenceSamples) {
    await block(toxic, 'toxic', config.latencySamples);
    await block(delayed, 'reference', config.referenceSamples);
  }
  observer.disconnect();
  toxic.close();
  delayed.close();
  // Stays until the bench stops it (stdin keeps it alive), so the bench can read its CPU time after this line.
  // monoOffsetMs: CLOCK_MONOTONIC minus this clock, to line the samples up with a kernel trace (trace_clock mono).
  const monoOffsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  process.stdout.write(
    `${JSON.stringify({ toxicBaselineMs, referenceBaselineMs, samples, sent, gcs, monoOffsetMs })}\n`,
  );
}

/**
 * The latency toxic and its no-proxy reference, measured in alternating blocks of round trips on two
 * persistent connections, so that both see the same minutes of this machine: a stall of the VM then shows in
 * both instead of in whichever happened to run during it. `ports`: the proxy with the toxic, a proxy without
 * one to the same echo (the toxic's baseline), and the endpoints' echo and delayed echo.
 */
async function benchLatency(ports, endpointsPid) {
  const client = spawnRole('--latency-client', [JSON.stringify(ports)], 'pipe');
  try {
    await client.nextLine(120_000, 'the latency client warming up');
    const seconds = Math.ceil(
      ((config.latencySamples + config.referenceSamples) * (config.latencyMs + 0.5)) / 1000,
    );
    progress(
      `latency toxic and reference: ${config.latencySamples} and ${config.referenceSamples} round trips of ${config.latencyMs} ms, in alternating blocks of ${config.latencyBlock}, about ${seconds} s`,
    );
    await waitForQuiet();
    const m = await measured(async () => {
      client.child.stdin.write('go\n');
      return client.nextLine(600_000, 'the latency blocks');
    }, [endpointsPid, client.child.pid]);
    const { samples, sent, gcs, toxicBaselineMs, referenceBaselineMs } = m.result;
    if (process.env.BENCH_LATENCY_DUMP) {
      // Every round trip, for bench/trace/late-round-trips.mjs: who ran instead, when one was late.
      const dump = {
        latencyMs: config.latencyMs,
        pids: { bench: process.pid, client: client.child.pid, endpoints: endpointsPid, server: server.pid },
      };
      writeFileSync(process.env.BENCH_LATENCY_DUMP, JSON.stringify({ ...dump, ...m.result }));
    }
    const describe = (key, baselineMs) => {
      const rttMs = samples[key].map((us) => us / 1000);
      const errorMs = rttMs.map((ms) => ms - config.latencyMs - baselineMs);
      const duringClientGc = (i) =>
        gcs.some(([start, end]) => start < sent[key][i] + rttMs[i] && end > sent[key][i]);
      const lateAt = errorMs.flatMap((e, i) => (e > 1 ? [i] : []));
      return {
        baselineMs,
        rttMs: summarize(rttMs),
        errorMs: summarize(errorMs),
        errorP99Ci95Ms: p99Interval(errorMs),
        overOneMs: lateAt.length,
        // Where in the sequence the late ones were: clustered indices point at a stall of the machine.
        overOneMsAt: lateAt,
        // Late ones that a GC of the measuring process's main thread overlapped: the bench's, not the path's.
        // They are counted in the figures all the same.
        overOneMsDuringOwnGc: lateAt.filter(duringClientGc).length,
        // One figure for both: they ran interleaved, and the reference's busy-wait is in `load`.
        cpu: m.cpu,
      };
    };
    return {
      latencyToxic: { configuredMs: config.latencyMs, ...describe('toxic', toxicBaselineMs) },
      referenceDelay: describe('reference', referenceBaselineMs),
      ownGc: { duringLatencyPhase: gcs.length },
    };
  } finally {
    client.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Output

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

const progress = (text) => process.stderr.write(`  ${text}\n`);

// ---------------------------------------------------------------------------------------------------------
// Phases

async function benchPlacement(placement, servers, routes) {
  const tag = `[${placement}]`;
  const modes = ['direct', 'proxied'];

  // Bulk: one warm-up transfer each way, then rounds alternating direct and proxied.
  const bulkBytes = config.bulkMiB * 2 ** 20;
  for (const mode of modes) await bulk(routes[mode].sink, servers, config.bulkWarmupMiB * 2 ** 20);
  const bulkRuns = { direct: [], proxied: [] };
  for (let r = 0; r < config.bulkRounds; r++) {
    for (const mode of modes) {
      await waitForQuiet();
      const m = await measured(() => bulk(routes[mode].sink, servers, bulkBytes));
      bulkRuns[mode].push({ mibPerSec: m.result.mibPerSec, cpu: m.cpu });
      progress(
        `${tag} bulk ${mode} ${r + 1}/${config.bulkRounds}: ${m.result.mibPerSec.toFixed(0)} MiB/s (${cpuText(m.cpu)})`,
      );
    }
  }
  const bulkOf = (mode) => {
    const runs = [...bulkRuns[mode]].sort((a, b) => a.mibPerSec - b.mibPerSec);
    const mid = runs[Math.floor((runs.length - 1) / 2)];
    return { mibPerSec: mid.mibPerSec, cpu: mid.cpu, runs: bulkRuns[mode].map((run) => run.mibPerSec) };
  };
  const bulkResult = { bytesPerRun: bulkBytes, direct: bulkOf('direct'), proxied: bulkOf('proxied') };
  bulkResult.ratio = bulkResult.proxied.mibPerSec / bulkResult.direct.mibPerSec;

  // Round trip on a persistent connection; samples of all rounds pooled.
  const rttSamples = { direct: [], proxied: [] };
  const rttCpu = { direct: [], proxied: [] };
  for (let r = 0; r < config.rttRounds; r++) {
    for (const mode of modes) {
      await waitForQuiet();
      const m = await measured(() =>
        pingPong(routes[mode].echo, config.rttIterations, config.rttWarmup, config.rttPayload),
      );
      rttSamples[mode].push(...m.result);
      rttCpu[mode].push(m.cpu);
      const s = summarize(m.result);
      progress(
        `${tag} rtt ${mode} ${r + 1}/${config.rttRounds}: p50 ${s.p50.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs (${cpuText(m.cpu)})`,
      );
    }
  }
  const rttResult = {
    payloadBytes: config.rttPayload,
    direct: { ...summarize(rttSamples.direct), cpu: rttCpu.direct[0] },
    proxied: { ...summarize(rttSamples.proxied), cpu: rttCpu.proxied[0] },
  };
  rttResult.addedP50Us = rttResult.proxied.p50 - rttResult.direct.p50;
  rttResult.addedP99Us = rttResult.proxied.p99 - rttResult.direct.p99;

  // New connections.
  for (const mode of modes)
    await connectionChurn(routes[mode].echo, config.connWarmup, config.connConcurrency);
  const connRuns = { direct: [], proxied: [] };
  for (let r = 0; r < config.connRounds; r++) {
    for (const mode of modes) {
      await waitForQuiet();
      const m = await measured(() =>
        connectionChurn(routes[mode].echo, config.connections, config.connConcurrency),
      );
      connRuns[mode].push({ ...m.result, cpu: m.cpu });
      progress(
        `${tag} connect ${mode} ${r + 1}/${config.connRounds}: ${m.result.perSec.toFixed(0)}/s, ${m.result.failures} failed (${cpuText(m.cpu)})`,
      );
    }
  }
  const connOf = (mode) => ({
    perSec: median(connRuns[mode].map((run) => run.perSec)),
    runs: connRuns[mode].map((run) => run.perSec),
    failures: connRuns[mode].reduce((sum, run) => sum + run.failures, 0),
    cpu: connRuns[mode][0].cpu,
  });
  const connResult = { direct: connOf('direct'), proxied: connOf('proxied') };
  connResult.ratio = connResult.proxied.perSec / connResult.direct.perSec;

  return { bulk: bulkResult, rtt: rttResult, connect: connResult };
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const machine = {
    nproc: cpus().length, // the machine's, not this process's affinity (BENCH_PIN)
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavgAtStart: loadavg().map((v) => round(v, 2)),
    pinned: pinned ? 'load on CPU 0, proxy on CPU 1' : false,
  };
  const serverText = serverCommand
    .map((part) => (part.startsWith(root) ? relative(root, part) : part))
    .join(' ');
  console.log(
    `geoctl proxy benchmark: ${machine.nproc} CPUs (${machine.cpu}), node ${machine.node}, load average ${machine.loadavgAtStart.join(' ')}`,
  );
  console.log(`proxy process: ${serverText.replace(process.execPath, 'node')}`);
  console.log(`cpu pinning: ${pinned ? 'this process on CPU 0, the proxy on CPU 1 (BENCH_PIN=1)' : 'none'}`);

  const servers = { separate: await startServers('separate'), shared: await startServers('shared') };
  server = await startProxyServer();
  progress(`proxy server ready in ${Math.round(server.startupMs)} ms at ${server.url}`);

  const routes = {};
  for (const placement of placements) {
    const s = servers[placement];
    routes[placement] = {
      direct: { sink: s.sinkPort, echo: s.echoPort },
      proxied: {
        sink: await createProxy(`bench_sink_${placement}`, s.sinkPort),
        echo: await createProxy(`bench_echo_${placement}`, s.echoPort),
      },
    };
  }
  const endpoints = await startLatencyEndpoints();
  const latencyPorts = {
    toxic: await createProxy('bench_latency', endpoints.ports.echo),
    baseline: await createProxy('bench_latency_baseline', endpoints.ports.echo),
    echo: endpoints.ports.echo,
    delayed: endpoints.ports.delayed,
  };
  await api('POST', '/proxies/bench_latency/toxics', {
    name: 'bench_latency_downstream',
    type: 'latency',
    stream: 'downstream',
    toxicity: 1,
    attributes: { latency: config.latencyMs, jitter: 0 },
  });

  const results = {};
  for (const placement of placements)
    results[placement] = await benchPlacement(placement, servers[placement], routes[placement]);
  try {
    Object.assign(results, await benchLatency(latencyPorts, endpoints.pid));
  } finally {
    endpoints.stop();
  }
  const stop = await stopProxyServer();
  results.server = {
    startupMs: server.startupMs,
    exit: { code: stop.code, signal: stop.signal, killed: stop.killed, ms: stop.ms },
  };
  results.quietWait = {
    waitedMs: quiet.waitedMs,
    roundsDelayed: quiet.waits,
    roundsStartedBusy: quiet.gaveUp,
  };

  // ------------------------------------------------------------------ report
  const other = (cpu) => pct(cpu?.other);
  for (const placement of placements) {
    const { bulk: b, rtt: t, connect: c } = results[placement];
    const title =
      placement === 'separate'
        ? 'servers in a worker thread (client and server on separate event loops)'
        : "servers on the clients' thread (one shared event loop)";
    console.log(`\n=== ${placement}: ${title}`);
    table(
      `Bulk throughput, one way, ${config.bulkMiB} MiB per run, ${config.bulkWriteKiB} KiB writes, median of ${config.bulkRounds} runs`,
      ['path', 'MiB/s', 'runs', 'load cpu', 'proxy cpu', 'other cpu'],
      [
        [
          'direct',
          b.direct.mibPerSec.toFixed(0),
          b.direct.runs.map((v) => v.toFixed(0)).join(' '),
          pct(b.direct.cpu.load),
          '',
          other(b.direct.cpu),
        ],
        [
          'proxied',
          b.proxied.mibPerSec.toFixed(0),
          b.proxied.runs.map((v) => v.toFixed(0)).join(' '),
          pct(b.proxied.cpu.load),
          pct(b.proxied.cpu.proxy),
          other(b.proxied.cpu),
        ],
        ['proxied / direct', `${(b.ratio * 100).toFixed(1)}%`],
      ],
    );
    const rttRow = (name, s) => [
      name,
      s.min.toFixed(1),
      s.p50.toFixed(1),
      s.p90.toFixed(1),
      s.p99.toFixed(1),
      s.max.toFixed(0),
      s.mean.toFixed(1),
      other(s.cpu),
    ];
    table(
      `Round trip, ${config.rttPayload}-byte ping-pong on one connection, ${t.direct.n} samples each, µs`,
      ['path', 'min', 'p50', 'p90', 'p99', 'max', 'mean', 'other cpu'],
      [
        rttRow('direct', t.direct),
        rttRow('proxied', t.proxied),
        [
          'added by proxy',
          '',
          t.addedP50Us.toFixed(1),
          (t.proxied.p90 - t.direct.p90).toFixed(1),
          t.addedP99Us.toFixed(1),
          '',
          (t.proxied.mean - t.direct.mean).toFixed(1),
        ],
      ],
    );
    table(
      `New connections (connect, 1-byte echo, close), ${config.connections} per run, ${config.connConcurrency} at a time, median of ${config.connRounds} runs`,
      ['path', 'conn/s', 'runs', 'failed', 'load cpu', 'proxy cpu', 'other cpu'],
      [
        [
          'direct',
          c.direct.perSec.toFixed(0),
          c.direct.runs.map((v) => v.toFixed(0)).join(' '),
          c.direct.failures,
          pct(c.direct.cpu.load),
          '',
          other(c.direct.cpu),
        ],
        [
          'proxied',
          c.proxied.perSec.toFixed(0),
          c.proxied.runs.map((v) => v.toFixed(0)).join(' '),
          c.proxied.failures,
          pct(c.proxied.cpu.load),
          pct(c.proxied.cpu.proxy),
          other(c.proxied.cpu),
        ],
        ['proxied / direct', `${(c.ratio * 100).toFixed(1)}%`],
      ],
    );
  }

  const l = results.latencyToxic;
  const r = results.referenceDelay;
  const ci = ({ lower, upper }) =>
    `${Number.isNaN(lower) ? '?' : lower.toFixed(3)}-${Number.isNaN(upper) ? '?' : upper.toFixed(3)} ms`;
  const msRow = (name, s) => [
    name,
    ...['min', 'p50', 'p90', 'p99', 'max', 'mean'].map((k) => s[k].toFixed(3)),
    other(s.cpu),
  ];
  table(
    `Latency toxic, ${l.configuredMs} ms downstream: ${l.rttMs.n} round trips through the proxy; error = RTT - ${l.configuredMs} ms - ${(l.baselineMs * 1000).toFixed(1)} µs (its RTT p50 through a proxy with no toxic), ms`,
    ['', 'min', 'p50', 'p90', 'p99', 'max', 'mean', 'other cpu'],
    [
      msRow('proxy: RTT', { ...l.rttMs, cpu: l.cpu }),
      msRow('proxy: error', { ...l.errorMs, cpu: l.cpu }),
      msRow('reference: RTT', { ...r.rttMs, cpu: r.cpu }),
      msRow('reference: error', { ...r.errorMs, cpu: r.cpu }),
    ],
  );
  console.log(
    `reference: no proxy, the echo's process busy-waits exactly ${l.configuredMs} ms before echoing, ${r.rttMs.n} round trips,\n` +
      `  alternating with the toxic's in blocks of ${config.latencyBlock};\n` +
      `  error = RTT - ${l.configuredMs} ms - ${(r.baselineMs * 1000).toFixed(1)} µs (its no-delay RTT p50): what the machine and the measuring add.\n` +
      `more than 1 ms late: proxy ${l.overOneMs} of ${l.errorMs.n}, reference ${r.overOneMs} of ${r.errorMs.n}` +
      ` (during a GC of the measuring process: ${l.overOneMsDuringOwnGc} and ${r.overOneMsDuringOwnGc}; its GCs in the phase: ${results.ownGc.duringLatencyPhase})\n` +
      `error p99, 95 % interval (order statistics): proxy ${ci(l.errorP99Ci95Ms)}, reference ${ci(r.errorP99Ci95Ms)}`,
  );

  const checks = {};
  for (const placement of placements) {
    const { bulk: b, rtt: t } = results[placement];
    checks[`throughputRatio_${placement}`] = { value: b.ratio, met: b.ratio >= targets.throughputRatio };
    checks[`addedRttP50Us_${placement}`] = { value: t.addedP50Us, met: t.addedP50Us < targets.addedRttP50Us };
  }
  checks.latencyP99ErrorMs = {
    value: l.errorMs.p99,
    ci95: l.errorP99Ci95Ms,
    met: Math.abs(l.errorMs.p99) < targets.latencyP99ErrorMs,
  };
  const verdict = (check) => (check.met ? 'met' : 'MISSED');
  table(
    'Targets',
    ['figure', 'separate', 'shared', 'target', 'official Go server'],
    [
      [
        'throughput, proxied / direct',
        `${(checks.throughputRatio_separate.value * 100).toFixed(1)}% ${verdict(checks.throughputRatio_separate)}`,
        `${(checks.throughputRatio_shared.value * 100).toFixed(1)}% ${verdict(checks.throughputRatio_shared)}`,
        `>= ${targets.throughputRatio * 100}%`,
        goServer.throughputRatio,
      ],
      [
        'round trip p50 added',
        `${checks.addedRttP50Us_separate.value.toFixed(1)} µs ${verdict(checks.addedRttP50Us_separate)}`,
        `${checks.addedRttP50Us_shared.value.toFixed(1)} µs ${verdict(checks.addedRttP50Us_shared)}`,
        `< ${targets.addedRttP50Us} µs`,
        goServer.addedRttP50Us,
      ],
      [
        'latency toxic p99 error',
        `${l.errorMs.p99.toFixed(3)} ms ${verdict(checks.latencyP99ErrorMs)} (95 %: ${ci(l.errorP99Ci95Ms)})`,
        '',
        `< ${targets.latencyP99ErrorMs} ms`,
        goServer.latencyP99ErrorMs,
      ],
    ],
  );
  console.log(
    `\nother processes were busy before ${quiet.waits + quiet.gaveUp} of the measured rounds; waited ${(quiet.waitedMs / 1000).toFixed(1)} s for them` +
      (quiet.gaveUp ? `; ${quiet.gaveUp} rounds started anyway (figures disturbed)` : ''),
  );
  const exitText = stop.killed
    ? 'did NOT exit within 10 s, killed'
    : `exited with code ${stop.code}${stop.signal ? `, signal ${stop.signal}` : ''}`;
  console.log(
    `\nproxy server: ready in ${Math.round(server.startupMs)} ms; on SIGTERM ${exitText} after ${Math.round(stop.ms)} ms`,
  );

  const json = {
    bench: 'geoctl-proxy',
    date: new Date().toISOString(),
    machine,
    server: serverText,
    config,
    results,
    targets: checks,
  };
  console.log(
    JSON.stringify(json, (key, value) =>
      typeof value === 'number' && !Number.isInteger(value) ? round(value, 3) : value,
    ),
  );
  return stop.killed || stop.code !== 0 ? 1 : 0;
}

if (!isMainThread && workerData?.role === 'servers') {
  await serverWorker();
} else if (process.argv[2] === '--latency-endpoints') {
  await runLatencyEndpoints(Number(process.argv[3]));
} else if (process.argv[2] === '--latency-client') {
  await runLatencyClient(JSON.parse(process.argv[3]));
} else if (pinned && process.env.BENCH_PINNED_LOAD !== '1') {
  // Re-run this script on CPU 0; the proxy it starts goes to CPU 1.
  const child = spawn('taskset', ['-c', '0', process.execPath, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED_LOAD: '1' },
  });
  child.once('error', (error) => {
    console.error(`bench: BENCH_PIN=1 needs taskset: ${error.message}`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  // Hard stop, so the script always ends by itself even if the proxy wedges.
  const watchdog = setTimeout(() => {
    console.error('bench: watchdog fired after 240 s, giving up');
    server?.child.kill('SIGKILL');
    process.exit(2);
  }, 240_000);
  watchdog.unref();
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(`bench failed: ${error instanceof Error ? error.stack : error}`);
      if (server) {
        const stderr = server.stderr().trim();
        if (stderr) console.error(`proxy server stderr:\n${stderr}`);
        server.child.kill('SIGKILL');
      }
      process.exit(1);
    },
  );
}
