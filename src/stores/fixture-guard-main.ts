/**
 * The fixture guard's process (see fixture-guard.ts). It reads what to clean up from stdin, one JSON message
 * per line, and does nothing else until stdin closes. Closed after a `release` message: the fixture stopped
 * cleanly, exit. Closed without one: the fixture process died (SIGKILL, OOM killer, a crash that skipped its
 * cleanup), so stop every registered server that is still the process it was, then remove the paths.
 *
 * Only node: modules, so the guard starts fast and cannot fail on a missing dependency.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

interface Guarded {
  pid: number;
  /** /proc/PID/stat start time when registered: a different value means the PID was reused. */
  startTime: string | undefined;
  signal: NodeJS.Signals;
  /** The server leads its own process group: the last resort kills the whole group (its workers too). */
  group: boolean;
}

export type GuardMessage =
  { kill: number; signal: NodeJS.Signals; group: boolean } | { remove: string } | { release: true };

const GRACE_MS = 5_000;
const POLL_MS = 50;

const guarded: Guarded[] = [];
const paths: string[] = [];
let released = false;

function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is field 3, starttime field 22 (proc(5)).
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Still the process we registered, and not yet a zombie. Without /proc (not Linux), signal 0 decides. */
function stillOurs(entry: Guarded): boolean {
  if (entry.startTime === undefined) {
    try {
      process.kill(entry.pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  const now = procStat(entry.pid);
  return now !== undefined && now.state !== 'Z' && now.startTime === entry.startTime;
}

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function cleanUp(): Promise<void> {
  const live = guarded.filter(stillOurs);
  for (const entry of live) send(entry.pid, entry.signal);
  const deadline = Date.now() + GRACE_MS;
  while (live.some(stillOurs) && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
  for (const entry of live) if (stillOurs(entry)) send(entry.group ? -entry.pid : entry.pid, 'SIGKILL');
  while (live.some(stillOurs) && Date.now() < deadline + GRACE_MS)
    await new Promise((r) => setTimeout(r, POLL_MS));
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // nothing more a guard can do
    }
  }
}

// The terminal's Ctrl-C or a hang-up must not take the guard down with the fixture it watches.
for (const signal of ['SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let message: GuardMessage;
  try {
    message = JSON.parse(line) as GuardMessage;
  } catch {
    return;
  }
  if ('kill' in message)
    guarded.push({
      pid: message.kill,
      startTime: procStat(message.kill)?.startTime,
      signal: message.signal,
      group: message.group,
    });
  else if ('remove' in message) paths.push(message.remove);
  else if ('release' in message) released = true;
});
lines.on('close', () => {
  if (released) return;
  void cleanUp();
});
