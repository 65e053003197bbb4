import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';

/**
 * Puts every other thread of this process (the main thread, V8's compiler and GC task runners, libuv's pool)
 * below the calling thread: the SCHED_IDLE policy where `chrt` (util-linux) is there to set it, nice 19 in any
 * case. Meant for the data plane's thread. A kernel trace of the latency benchmark (docs/benchmarks.md, "Who is
 * late") found V8 compile jobs of the server's process, woken by the spinning timer thread, put on that
 * thread's own core (while the other vCPU idled; probably this guest reports a halted vCPU as preempted) and
 * holding it for 2-4 ms across a release. A SCHED_IDLE thread gives way the moment a normal one wakes on its
 * core; at nice 19 alone a job that has just started may still run out its time slice first (the trace showed
 * 3.7 ms). The cost: work those threads do for the calling one (DNS lookups of upstream host names run on
 * libuv's pool) waits while every core is busy (bench/connect-under-load.mjs).
 *
 * Linux only (threads are listed in /proc; setpriority and sched_setscheduler on a thread id apply to that
 * thread alone); elsewhere, or when /proc cannot be read, it changes nothing. Resolves to the number of
 * threads it lowered and how.
 */
export async function deprioritizeOtherThreads(): Promise<{ threads: number; policy: 'idle' | 'nice' }> {
  let others: string[];
  try {
    // "<pid>/task/<tid>": the calling thread's id, which Node does not otherwise expose.
    const self = readlinkSync('/proc/thread-self').split('/').pop();
    others = readdirSync('/proc/self/task').filter((tid) => tid !== self);
  } catch {
    return { threads: 0, policy: 'nice' };
  }
  const lowered = others.filter((tid) => {
    try {
      setPriority(Number(tid), constants.priority.PRIORITY_LOW);
      return true;
    } catch {
      return false; // exited since the listing
    }
  });
  const idle = await Promise.all(
    lowered.map(
      (tid) =>
        new Promise<boolean>((resolve) =>
          execFile('chrt', ['--idle', '--pid', '0', tid], { timeout: 5_000 }, (error) => resolve(!error)),
        ),
    ),
  );
  return { threads: lowered.length, policy: idle.length > 0 && idle.every(Boolean) ? 'idle' : 'nice' };
}
