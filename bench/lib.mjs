// Helpers the benchmark scripts share: timeouts, percentiles, and CPU accounting from /proc.
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/**
 * A distribution-free confidence interval for the p-th percentile of what `sorted` was sampled from: the
 * order statistics whose ranks bracket it with at least `confidence` (the count of samples below the true
 * percentile is Binomial(n, p/100)). A p99 from a few hundred samples rests on its few largest values, so
 * a figure near a target is only read with this next to it. NaN where n is too small for the bound.
 */
export function percentileInterval(sorted, p, confidence = 0.95) {
  const n = sorted.length;
  const q = p / 100;
  const tail = (1 - confidence) / 2;
  // Binomial(n, q) CDF, built up from the pmf in log space so n in the tens of thousands does not underflow.
  const logPmf = (k) => logChoose(n, k) + k * Math.log(q) + (n - k) * Math.log1p(-q);
  let cdf = 0;
  let lower = Number.NaN;
  let upper = Number.NaN;
  for (let k = 0; k <= n; k++) {
    const before = cdf;
    cdf += Math.exp(logPmf(k));
    // P(B <= k - 1) <= tail: the (k+1)-th smallest sample (1-based) is at or below the percentile often enough.
    if (before <= tail) lower = k === 0 ? Number.NaN : sorted[k - 1];
    if (cdf >= 1 - tail) {
      upper = k < n ? sorted[k] : Number.NaN;
      break;
    }
  }
  return { confidence, lower, upper };
}

function logChoose(n, k) {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const logFactorials = [0];
function logFactorial(n) {
  for (let i = logFactorials.length; i <= n; i++) logFactorials[i] = logFactorials[i - 1] + Math.log(i);
  return logFactorials[n];
}

export function summarize(samples) {
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

/** CPU seconds (user + system) a process has used, all threads. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (every core, every process). */
export function machineBusySeconds() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // Interrupt and softirq time (where much loopback TCP work is booked) is left out: it belongs to no
    // process, so it would show up as "other" during our own transfers. Steal (the hypervisor running
    // someone else) counts.
    const [user, nice, system, , , , , steal] = fields;
    return (user + nice + system + steal) / 100;
  } catch {
    return undefined;
  }
}

/** A server on 127.0.0.1, on a port the kernel picks, Nagle off; errors of accepted sockets are ignored. */
export function listen(onSocket) {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server));
  });
}

/** A connection to 127.0.0.1:`port` with Nagle off, once it is established. */
export function connectTo(port) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
