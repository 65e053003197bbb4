// How late the latency toxics' timer releases, and how many GCs its spin sets off, next to plain setTimeout.
//
//   npm run build && node bench/precise-timer.mjs [releases] [module]
//
// One release at a time, each 25 ms after the previous one was released (as a ping-pong through a latency
// toxic does), in this process with nothing else to do. `module` (default: the build's precise timer) lets
// another build be measured the same way. Prints a table, then one JSON line.
import { cpus, loadavg } from 'node:os';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';

const releases = Number(process.argv[2] ?? 1000);
const modulePath =
  process.argv[3] ?? fileURLToPath(new URL('../dist/chaos/embedded/precise-timer.js', import.meta.url));
const DELAY_MS = 25;

const { atTime } = await import(pathToFileURL(modulePath).href);

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });

/** Runs `releases` delays through `schedule(deadline, callback)`; lateness in ms, GCs, CPU ms. */
async function measure(schedule) {
  const late = [];
  const gcsBefore = gcs;
  const cpuBefore = process.cpuUsage();
  await new Promise((resolve) => {
    const next = () => {
      const deadline = performance.now() + DELAY_MS;
      schedule(deadline, () => {
        late.push(performance.now() - deadline);
        if (late.length < releases) next();
        else resolve();
      });
    };
    next();
  });
  const cpu = process.cpuUsage(cpuBefore);
  // Let the observer's callback for the last GCs run before counting.
  await new Promise((resolve) => setTimeout(resolve, 50));
  late.sort((a, b) => a - b);
  const at = (q) => late[Math.min(late.length - 1, Math.floor(q * late.length))];
  return {
    releases,
    lateMs: { min: at(0), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: late.at(-1) },
    early: late.filter((l) => l < 0).length,
    over100us: late.filter((l) => l > 0.1).length,
    gcs: gcs - gcsBefore,
    cpuMsPerRelease: (cpu.user + cpu.system) / 1000 / releases,
  };
}

const setTimeoutSchedule = (deadline, callback) => setTimeout(callback, deadline - performance.now());

console.log(
  `precise timer benchmark: ${cpus().length} CPUs (${cpus()[0]?.model}), node ${process.version}, load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}; ${releases} releases of ${DELAY_MS} ms each; module ${modulePath}`,
);
await measure(atTime); // warm-up, so that the measured rounds run optimised code
const results = { setTimeout: await measure(setTimeoutSchedule), precise: await measure(atTime) };

const f = (ms) => ms.toFixed(3).padStart(7);
console.log('\ntimer       late ms:  p50      p90      p99      max   > 0.1 ms  early  GCs  CPU ms/release');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(18)} ${f(r.lateMs.p50)}  ${f(r.lateMs.p90)}  ${f(r.lateMs.p99)}  ${f(r.lateMs.max)}  ${String(r.over100us).padStart(8)}  ${String(r.early).padStart(5)}  ${String(r.gcs).padStart(3)}  ${r.cpuMsPerRelease.toFixed(3).padStart(14)}`,
  );
}
console.log(
  JSON.stringify({
    bench: 'geoctl-precise-timer',
    date: new Date().toISOString(),
    module: modulePath,
    results,
  }),
);
