#!/usr/bin/env node
// CLI startup time: `geoctl --version` and `geoctl --help` next to `node -e 0` (the floor: Node itself).
//
//   npm run bench                    (builds, then runs bench/proxy.mjs and this)
//   node bench/startup.mjs           (after `npm run build`)
//
// Each command runs once to warm the file cache, then 10 times, the three commands interleaved so a busy
// moment hits all of them alike; wall time from spawn to exit, median reported. Before each round it waits
// (20 s at most in all) until other processes use under a fifth of a core, as bench/proxy.mjs does. Prints a
// table, then one JSON line.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { machineBusySeconds } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 10;
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const commands = [
  { name: 'node -e 0', args: ['-e', '0'], check: () => true },
  {
    name: 'geoctl --version',
    args: [join(root, 'bin/run.js'), '--version'],
    check: (out) => out.includes(version),
  },
  {
    name: 'geoctl --help',
    args: [join(root, 'bin/run.js'), '--help'],
    check: (out) => out.includes('toxiproxy'),
  },
];

function runOnce(command) {
  const start = performance.now();
  const result = spawnSync(process.execPath, command.args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
  const ms = performance.now() - start;
  if (result.error) throw result.error;
  if (result.status !== 0 || !command.check(result.stdout)) {
    throw new Error(`${command.name} failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  }
  return ms;
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const quiet = { budgetMs: 20_000, waitedMs: 0, delayed: 0 };
async function waitForQuiet() {
  const started = performance.now();
  for (let attempt = 0; quiet.waitedMs + (performance.now() - started) < quiet.budgetMs; attempt++) {
    const before = machineBusySeconds();
    await setTimeout(250);
    const after = machineBusySeconds();
    if (before === undefined || after === undefined || (after - before) / 0.25 < 0.2) {
      if (attempt > 0) quiet.delayed++;
      break;
    }
  }
  quiet.waitedMs += performance.now() - started - 250;
}

for (const command of commands) runOnce(command);
const times = new Map(commands.map((command) => [command.name, []]));
for (let i = 0; i < RUNS; i++) {
  await waitForQuiet();
  for (const command of commands) times.get(command.name).push(runOnce(command));
}

const results = {};
for (const [name, samples] of times) {
  const sorted = [...samples].sort((a, b) => a - b);
  results[name] = {
    median: percentile(sorted, 50),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    runs: samples,
  };
}
const floor = results['node -e 0'].median;

console.log(
  `geoctl startup: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
console.log(`\nStartup wall time, median of ${RUNS} runs (after one warm-up run), ms`);
const rows = [['command', 'median', 'min', 'max', 'over node -e 0']];
for (const [name, r] of Object.entries(results)) {
  rows.push([
    name,
    r.median.toFixed(0),
    r.min.toFixed(0),
    r.max.toFixed(0),
    name === 'node -e 0' ? '' : `+${(r.median - floor).toFixed(0)}`,
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
const line = (row) =>
  row
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
    .join('  ')
    .trimEnd();
console.log(line(rows[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows.slice(1)) console.log(line(row));
if (quiet.delayed > 0) {
  console.log(
    `other processes were busy before ${quiet.delayed} of ${RUNS} rounds; waited ${(quiet.waitedMs / 1000).toFixed(1)} s`,
  );
}

const round = (value) => Math.round(value * 10) / 10;
console.log(
  JSON.stringify({
    bench: 'geoctl-startup',
    date: new Date().toISOString(),
    machine: { nproc: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    runs: RUNS,
    results: Object.fromEntries(
      Object.entries(results).map(([name, r]) => [
        name,
        { median: round(r.median), min: round(r.min), max: round(r.max), runs: r.runs.map(round) },
      ]),
    ),
  }),
);
