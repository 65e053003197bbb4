#!/usr/bin/env node
// Where the latency toxic's error comes from, hop by hop. Not a test, and not part of `npm run bench`: a
// diagnostic for the latency-tail figure of bench/proxy.mjs.
//
//   npm run build && node bench/latency-breakdown.mjs [--build DIR] [--samples N] [--rounds R]
//
// One way, no echo: this thread writes 64 bytes to a proxy with a 25 ms *upstream* latency toxic, whose
// upstream is a sink on this same thread, and times the write to the sink's read (then writes the next one).
// The error of a sample is that time - 25 ms - the p50 of the same one-way trip through a proxy without a
// toxic. Next to it, the reference: a process that reads, busy-waits exactly 25 ms and forwards to the same
// sink (an ideal latency proxy), measured the same way.
//
// With a build of the proxy instrumented by bench/latency-breakdown.patch (`--build DIR`), each sample is
// split into the proxy's own times, all on one clock (process.hrtime, shared by processes on one machine):
//   in       this thread's write -> the proxy reads the chunk (what the toxic counts from)
//   release  the toxic's due time -> the proxy writes the chunk (the precise timer's lateness)
//   out      the proxy's write -> the sink reads it
// and the late samples are listed with the proxy's GC pauses that overlapped them. To make such a build:
//
//   git worktree add /tmp/geoctl-breakdown HEAD && cd /tmp/geoctl-breakdown
//   git apply bench/latency-breakdown.patch && ln -s "$OLDPWD/node_modules" . && npm run build && cd -
//   node bench/latency-breakdown.mjs --build /tmp/geoctl-breakdown
//
// Everything is on 127.0.0.1 and the script stops by itself (about 35 s per round with the defaults).

import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';
import { parseArgs } from 'node:util';
import { connectTo, listen, summarize, withTimeout } from './lib.mjs';

const HOST = '127.0.0.1';
const LATENCY_MS = 25;
const PAYLOAD = 64;
const WARMUP = 20;
const BASELINE_SAMPLES = 4000;
/** A sample this much over its expected time is listed with its split. */
const LATE_MS = 1;

const hrMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The reference process: forwards every read to the sink, at once on one port, after a busy-wait on the other. */
async function runForwarder(delayMs, sinkPort) {
  const forwarder = (waitMs) =>
    listen((socket) => {
      const onward = connect({ host: HOST, port: sinkPort, noDelay: true });
      onward.on('error', () => undefined);
      socket.on('data', (data) => {
        const until = performance.now() + waitMs;
        while (performance.now() < until);
        onward.write(data);
      });
    });
  const [immediate, delayed] = [await forwarder(0), await forwarder(delayMs)];
  process.stdout.write(
    `${JSON.stringify({ immediate: immediate.address().port, delayed: delayed.address().port })}\n`,
  );
  process.on('SIGTERM', () => process.exit(0));
}

function firstJsonLine(child, what, test) {
  return withTimeout(
    new Promise((done, fail) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          const value = JSON.parse(line);
          if (test(value)) done(value);
        } catch {
          // not a JSON line
        }
      });
      child.once('exit', (code) => fail(new Error(`${what} exited with code ${code}`)));
    }),
    15_000,
    `starting ${what}`,
  );
}

async function main() {
  const { values } = parseArgs({
    options: {
      build: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
      samples: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '1' },
    },
  });
  const build = resolve(values.build);
  const samples = Number(values.samples);
  const rounds = Number(values.rounds);
  if (!(samples > 0) || !(rounds > 0)) throw new Error('--samples and --rounds take positive numbers');

  let onSink = () => undefined;
  const sink = await listen((socket) => socket.on('data', (data) => onSink(data.length)));
  const sinkPort = sink.address().port;

  /** `n` one-way trips through `port` after `warmup`; per trip [sent, arrived] in hrtime ms. */
  async function oneWay(port, n, warmup) {
    const socket = await connectTo(port);
    await sleep(50); // let the proxy's upstream connection settle
    const payload = Buffer.alloc(PAYLOAD, 0x61);
    const sent = new Float64Array(n + warmup);
    const arrived = new Float64Array(n + warmup);
    let i = 0;
    let pending = PAYLOAD;
    await withTimeout(
      new Promise((done) => {
        onSink = (bytes) => {
          pending -= bytes;
          if (pending > 0) return;
          arrived[i] = hrMs();
          if (++i === n + warmup) return done();
          pending = PAYLOAD;
          sent[i] = hrMs();
          socket.write(payload);
        };
        sent[0] = hrMs();
        socket.write(payload);
      }),
      (n + warmup) * (LATENCY_MS + 50),
      'one-way trips',
    );
    socket.destroy();
    return { sent: sent.subarray(warmup), arrived: arrived.subarray(warmup), all: { sent, arrived } };
  }

  const errorsOf = (trips, baselineMs, delayMs) =>
    Array.from(trips.sent, (sent, k) => trips.arrived[k] - sent - delayMs - baselineMs);
  const baselineOf = (trips) => summarize(Array.from(trips.sent, (sent, k) => trips.arrived[k] - sent)).p50;
  const ms = (value) => value.toFixed(3).padStart(7);
  const line = (label, values) => {
    const s = summarize(values);
    const late = values.filter((v) => v > LATE_MS).length;
    return `${label.padEnd(26)} ${ms(s.p50)} ${ms(s.p90)} ${ms(s.p99)} ${ms(s.max)}   ${String(late).padStart(4)} / ${values.length}`;
  };

  const traceFile = join(mkdtempSync(join(tmpdir(), 'geoctl-breakdown-')), 'trace.json');
  const serve = spawn(
    process.execPath,
    [join(build, 'bin/run.js'), 'toxiproxy', 'serve', '--port', '0', '--json'],
    {
      env: {
        ...process.env,
        GEOCTL_BREAKDOWN_FILE: traceFile,
        // Releases the proxy records before it writes the trace: every round's warm-up and samples.
        GEOCTL_BREAKDOWN_RELEASES: String(rounds * (samples + WARMUP)),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const forwarderProcess = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--forwarder', String(LATENCY_MS), String(sinkPort)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const { url } = await firstJsonLine(serve, 'the proxy server', (v) => typeof v?.url === 'string');
    const forwarder = await firstJsonLine(forwarderProcess, 'the reference forwarder', (v) => v?.delayed > 0);
    const api = async (method, path, body) => {
      const response = await globalThis.fetch(new URL(path, url), {
        method,
        body: body && JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.json();
    };
    const proxyPort = async (name) => {
      const proxy = await api('POST', '/proxies', {
        name,
        listen: `${HOST}:0`,
        upstream: `${HOST}:${sinkPort}`,
      });
      return Number(proxy.listen.split(':').at(-1));
    };
    const plainPort = await proxyPort('breakdown_plain');
    const latencyPort = await proxyPort('breakdown_latency');
    await api('POST', '/proxies/breakdown_latency/toxics', {
      name: 'breakdown_latency',
      type: 'latency',
      stream: 'upstream',
      attributes: { latency: LATENCY_MS, jitter: 0 },
    });

    console.log(
      `latency breakdown: ${cpus().length} CPUs (${cpus()[0]?.model}), node ${process.version}, load average ${loadavg()
        .map((v) => v.toFixed(2))
        .join(
          ' ',
        )}; build ${build}; ${rounds} round(s) of ${samples} one-way trips through a ${LATENCY_MS} ms latency toxic`,
    );
    const header = `${'error ms'.padEnd(26)}     p50     p90     p99     max   > ${LATE_MS} ms`;
    const proxied = [];
    for (let round = 1; round <= rounds; round++) {
      const proxyBaseline = baselineOf(await oneWay(plainPort, BASELINE_SAMPLES, 500));
      const trips = await oneWay(latencyPort, samples, WARMUP);
      proxied.push({ trips, baselineMs: proxyBaseline });
      const referenceBaseline = baselineOf(await oneWay(forwarder.immediate, BASELINE_SAMPLES, 500));
      const reference = await oneWay(forwarder.delayed, samples, WARMUP);
      console.log(
        `\nround ${round}: one-way p50 without a toxic: proxy ${(proxyBaseline * 1000).toFixed(1)} µs, reference ${(referenceBaseline * 1000).toFixed(1)} µs`,
      );
      console.log(header);
      console.log(line('proxy, latency toxic', errorsOf(trips, proxyBaseline, LATENCY_MS)));
      console.log(line('reference (busy-wait)', errorsOf(reference, referenceBaseline, LATENCY_MS)));
    }

    // The instrumented build writes its trace once it has made every release; give it a moment.
    for (let wait = 0; wait < 20 && !existsSync(traceFile); wait++) await sleep(100);
    if (!existsSync(traceFile)) {
      console.log(
        '\n(no trace: this build is not instrumented; see the header of this script for the split)',
      );
      return;
    }
    const { hrtimeOffset, trace, gcs } = JSON.parse(readFileSync(traceFile, 'utf8'));
    // Reads of chunks that enter the latency toxic, and its releases, in order; the plain proxy's reads have
    // no toxic (0) and are skipped.
    const reads = [];
    const releases = [];
    for (let k = 0; k < trace.length; k += 4) {
      if (trace[k] === 0 && trace[k + 1] > 0) reads.push(trace[k + 2] + hrtimeOffset);
      if (trace[k] === 1)
        releases.push({ due: trace[k + 2] + hrtimeOffset, written: trace[k + 3] + hrtimeOffset });
    }
    const split = { in: [], release: [], out: [] };
    const late = [];
    proxied.forEach(({ trips, baselineMs }, round) => {
      const base = round * (samples + WARMUP);
      for (let k = 0; k < samples + WARMUP; k++) {
        const read = reads[base + k];
        const release = releases[base + k];
        if (read === undefined || release === undefined)
          throw new Error('the trace does not match the trips');
        if (k < WARMUP) continue;
        const parts = {
          in: read - trips.all.sent[k],
          release: release.written - release.due,
          out: trips.all.arrived[k] - release.written,
        };
        for (const key of Object.keys(split)) split[key].push(parts[key]);
        const error = trips.all.arrived[k] - trips.all.sent[k] - LATENCY_MS - baselineMs;
        if (error > LATE_MS) {
          const from = trips.all.sent[k] - hrtimeOffset;
          const to = trips.all.arrived[k] - hrtimeOffset;
          const overlapping = [];
          for (let g = 0; g < gcs.length; g += 2)
            if (gcs[g] < to && gcs[g] + gcs[g + 1] > from) overlapping.push(`${gcs[g + 1].toFixed(2)} ms`);
          late.push({ error, ...parts, gcs: overlapping });
        }
      }
    });
    console.log(
      `\nsplit of the proxied trips (ms; all rounds)\n${'part'.padEnd(26)}     p50     p90     p99     max   > ${LATE_MS} ms`,
    );
    for (const [key, values] of Object.entries(split)) console.log(line(key, values));
    const durations = [];
    for (let g = 0; g < gcs.length; g += 2) durations.push(gcs[g + 1]);
    if (durations.length > 0) console.log(line(`proxy GC pauses (${durations.length})`, durations));
    console.log(
      `\nsamples more than ${LATE_MS} ms late (${late.length}): error = in + release + out - baseline`,
    );
    for (const l of late)
      console.log(
        `  error ${ms(l.error)}  in ${ms(l.in)}  release ${ms(l.release)}  out ${ms(l.out)}  ${l.gcs.length ? `GC ${l.gcs.join(', ')}` : ''}`,
      );
  } finally {
    serve.kill('SIGTERM');
    forwarderProcess.kill('SIGTERM');
    sink.close();
    rmSync(join(traceFile, '..'), { recursive: true, force: true });
  }
}

if (process.argv[2] === '--forwarder') {
  await runForwarder(Number(process.argv[3]), Number(process.argv[4]));
} else {
  try {
    await main();
    process.exit(0);
  } catch (error) {
    console.error(`latency breakdown failed: ${error.message}`);
    process.exit(1);
  }
}
