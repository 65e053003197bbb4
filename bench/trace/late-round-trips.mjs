#!/usr/bin/env node
// Who made the latency toxic's late round trips late: lines up bench/proxy.mjs's round trips (BENCH_LATENCY_DUMP)
// with a kernel scheduler trace of the same run (bench/trace/trace.sh) and, for every round trip more than 1 ms
// late, prints how long each hop took against its median and which tasks held the CPU meanwhile. A diagnostic
// (Linux, root), not a test. See bench/trace/README.md.
//
//   node bench/trace/late-round-trips.mjs TRACE DUMP

import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
// --reference: the no-proxy reference's round trips (client -> delayed echo -> client) instead of the toxic's.
const reference = args.includes('--reference');
const [tracePath, dumpPath] = args.filter((a) => a !== '--reference');
if (!tracePath || !dumpPath) {
  console.error('usage: node bench/trace/late-round-trips.mjs [--reference] TRACE DUMP');
  process.exit(2);
}
const dump = JSON.parse(readFileSync(dumpPath, 'utf8'));

// ------------------------------------------------------------------ the trace
// "  comm-tid  (  tgid) [cpu] flags  seconds: event: fields"
const LINE = /^\s*(.+?)-(\d+)\s+\(\s*([-\d]+)\)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (sched_\w+): (.*)$/;
const events = [];
const names = new Map(); // tid -> "comm(tgid)"
const tgidOf = new Map();
for await (const line of createInterface({ input: createReadStream(tracePath) })) {
  const m = LINE.exec(line);
  if (!m) continue;
  const [, comm, tid, tgid, cpu, seconds, name, rest] = m;
  if (tgid !== '-------') {
    names.set(tid, `${comm}[${tid}](${tgid})`);
    tgidOf.set(tid, tgid);
  }
  const fields = Object.fromEntries([...rest.matchAll(/(\w+)=(\S+)/g)].map((f) => [f[1], f[2]]));
  if (name === 'sched_switch') names.set(fields.next_pid, names.get(fields.next_pid) ?? fields.next_comm);
  events.push({ t: Number(seconds) * 1000, cpu: Number(cpu), tid, name, f: fields });
}
const times = events.map((e) => e.t);
const lowerBound = (t) => {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
const find = (from, to, pred) => {
  for (let i = lowerBound(from); i < events.length && events[i].t < to; i++)
    if (pred(events[i])) return events[i];
  return undefined;
};
const findLast = (from, to, pred) => {
  let found;
  for (let i = lowerBound(from); i < events.length && events[i].t < to; i++)
    if (pred(events[i])) found = events[i];
  return found;
};

// The threads: the client's and the endpoints' main threads, and the proxy's busiest thread (its data plane).
const client = String(dump.pids.client);
const echo = String(dump.pids.endpoints);
const counts = new Map();
for (const e of events)
  if (tgidOf.get(e.tid) === String(dump.pids.server) && e.tid !== String(dump.pids.server))
    counts.set(e.tid, (counts.get(e.tid) ?? 0) + 1);
const proxy = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
if (!proxy) {
  console.error(
    `no thread of the proxy's process ${dump.pids.server} in the trace: was it recorded during the run?`,
  );
  process.exit(1);
}

/** CPU time of other tasks on `cpu` during [from, to], largest first ("idle" when the CPU was idle). */
function othersOn(cpu, from, to, self) {
  const used = new Map();
  let running = findLast(from - 1000, from, (e) => e.name === 'sched_switch' && e.cpu === cpu)?.f.next_pid;
  let since = from;
  const add = (tid, until) => {
    if (tid === undefined || tid === self || until <= since) return;
    const who = tid === '0' ? 'idle' : (names.get(tid) ?? tid);
    used.set(who, (used.get(who) ?? 0) + until - since);
  };
  for (let i = lowerBound(from); i < events.length && events[i].t < to; i++) {
    const e = events[i];
    if (e.name !== 'sched_switch' || e.cpu !== cpu) continue;
    add(running, e.t);
    running = e.f.next_pid;
    since = e.t;
  }
  add(running, to);
  return [...used].sort((a, b) => b[1] - a[1]);
}

/** `wakee` woken by `waker` after `from`: when it was asked for, when it got a CPU, and who had it meanwhile. */
function wake(waker, wakee, from, to) {
  const waking = find(from, to, (e) => e.name === 'sched_waking' && e.tid === waker && e.f.pid === wakee);
  if (!waking) return undefined;
  const runs = find(waking.t, to + 20, (e) => e.name === 'sched_switch' && e.f.next_pid === wakee);
  if (!runs) return undefined;
  return {
    at: waking.t,
    ran: runs.t,
    took: runs.t - waking.t,
    others: othersOn(runs.cpu, waking.t, runs.t, wakee),
  };
}

/** Who ran while `tid` was runnable but preempted during [from, to]. */
function preemptedBy(tid, from, to) {
  const used = new Map();
  for (let i = lowerBound(from); i < events.length && events[i].t < to; i++) {
    const e = events[i];
    if (e.name !== 'sched_switch' || e.f.prev_pid !== tid || !e.f.prev_state.startsWith('R')) continue;
    const back = find(e.t, to + 20, (x) => x.name === 'sched_switch' && x.f.next_pid === tid);
    for (const [who, ms] of othersOn(e.cpu, e.t, Math.min(back?.t ?? to, to), tid))
      used.set(who, (used.get(who) ?? 0) + ms);
  }
  return [...used].sort((a, b) => b[1] - a[1]);
}

// ------------------------------------------------------------------ the round trips
const latencyMs = dump.latencyMs;
/** A reference round trip: the client wakes the echo's process, which busy-waits 25 ms and wakes the client. */
function referenceHops(rtt, i) {
  const sent = dump.sent.reference[i] + dump.monoOffsetMs;
  const end = sent + rtt;
  const out = [];
  const toEcho = wake(client, echo, sent - 0.05, sent + 2);
  if (toEcho) out.push({ hop: 'client -> echo', ms: toEcho.took, others: toEcho.others });
  const back = findLast(
    sent + latencyMs - 5,
    end,
    (e) => e.name === 'sched_waking' && e.tid === echo && e.f.pid === client,
  );
  if (toEcho && back)
    out.push({
      hop: 'echo waits',
      ms: back.t - toEcho.ran - latencyMs,
      others: preemptedBy(echo, toEcho.ran, back.t),
    });
  const toClient = back && wake(echo, client, back.t - 0.001, end + 1);
  if (toClient) {
    out.push({ hop: 'echo -> client', ms: toClient.took, others: toClient.others });
    out.push({ hop: 'client reads', ms: end - toClient.ran, others: preemptedBy(client, toClient.ran, end) });
  }
  return { i, errorMs: rtt - latencyMs - dump.referenceBaselineMs, hops: out };
}

const hops = (reference ? dump.samples.reference : dump.samples.toxic).map((us, i) =>
  reference ? referenceHops(us / 1000, i) : toxicHops(us / 1000, i),
);

/** A round trip through the toxic: client -> proxy -> echo -> proxy (held 25 ms) -> client. */
function toxicHops(rtt, i) {
  const sent = dump.sent.toxic[i] + dump.monoOffsetMs;
  const end = sent + rtt;
  const out = [];
  const toProxy = wake(client, proxy, sent - 0.05, sent + 2);
  if (toProxy) out.push({ hop: 'client -> proxy', ms: toProxy.took, others: toProxy.others });
  const toEcho = wake(proxy, echo, sent, end - latencyMs + 1);
  if (toEcho) out.push({ hop: 'proxy -> echo', ms: toEcho.took, others: toEcho.others });
  const back = wake(echo, proxy, toEcho?.ran ?? sent, end - latencyMs + 1);
  if (toEcho && back)
    out.push({
      hop: 'echo answers',
      ms: back.at - toEcho.ran,
      others: preemptedBy(echo, toEcho.ran, back.at),
    });
  if (back) out.push({ hop: 'echo -> proxy', ms: back.took, others: back.others });
  const releaseAt = findLast(
    sent + latencyMs - 5,
    end,
    (e) => e.name === 'sched_waking' && e.tid === proxy && e.f.pid === client,
  );
  if (back && releaseAt) {
    const deadline = back.ran + latencyMs;
    out.push({
      hop: 'release late',
      ms: releaseAt.t - deadline,
      others: preemptedBy(proxy, deadline - 2, releaseAt.t),
    });
  }
  if (releaseAt) {
    const toClient = wake(proxy, client, releaseAt.t - 0.001, end + 1);
    if (toClient) {
      out.push({ hop: 'proxy -> client', ms: toClient.took, others: toClient.others });
      out.push({
        hop: 'client reads',
        ms: end - toClient.ran,
        others: preemptedBy(client, toClient.ran, end),
      });
    }
  }
  return { i, errorMs: rtt - latencyMs - dump.toxicBaselineMs, hops: out };
}

/** "comm[tid](tgid)" as the part of the bench it is, for the tally. */
function role(who) {
  const m = /^(.*)\[(\d+)\]\((\d+)\)$/.exec(who);
  if (!m) return who;
  const [, comm, tid, tgid] = m;
  const part = { [dump.pids.client]: 'client', [dump.pids.endpoints]: 'echo', [dump.pids.server]: 'proxy' }[
    tgid
  ];
  if (part) return `${part} ${tid === tgid ? 'main thread' : tid === proxy ? 'data plane' : 'other thread'}`;
  return tgid === String(dump.pids.bench) ? `bench ${tid === tgid ? 'main thread' : 'other thread'}` : comm;
}

const medians = new Map();
for (const name of new Set(hops.flatMap((h) => h.hops.map((x) => x.hop)))) {
  const values = hops
    .flatMap((h) => h.hops.filter((x) => x.hop === name).map((x) => x.ms))
    .sort((a, b) => a - b);
  medians.set(name, values[Math.floor(values.length / 2)]);
}
const fmt = (ms) => ms.toFixed(2);
console.log(
  `${reference ? 'reference' : 'toxic'}; proxy data-plane thread ${proxy}; hop medians over ${hops.length} round trips, ms:`,
);
console.log(`  ${[...medians].map(([name, ms]) => `${name} ${fmt(ms)}`).join(', ')}`);
const blame = new Map();
const late = hops.filter((h) => h.errorMs > 1);
console.log(
  `\n${late.length} round trips more than 1 ms late (error, then each hop's excess over its median):`,
);
for (const h of late) {
  const excess = h.hops
    .map((x) => ({ ...x, excess: x.ms - medians.get(x.hop) }))
    .sort((a, b) => b.excess - a.excess);
  const worst = excess[0];
  const culprit = worst
    ? (worst.others.find(([who]) => who !== 'idle')?.[0] ?? 'nothing (idle CPU)')
    : 'unknown';
  const key = worst ? `${worst.hop}: ${role(culprit)}` : 'no hops found';
  blame.set(key, (blame.get(key) ?? 0) + 1);
  console.log(
    `#${h.i} error ${fmt(h.errorMs)}: ` +
      excess.map((x) => `${x.hop} +${fmt(x.excess)}`).join(', ') +
      (worst
        ? `\n    worst: ${worst.hop}; ran meanwhile: ${worst.others.map(([w, ms]) => `${w} ${fmt(ms)}`).join(', ') || '-'}`
        : ''),
  );
}
console.log('\nworst hop and what held its CPU, over the late round trips:');
for (const [key, n] of [...blame].sort((a, b) => b[1] - a[1])) console.log(`  ${n}  ${key}`);
