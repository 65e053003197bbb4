import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDuration } from '../chaos/faults/duration.js';
import { newFaultId } from '../chaos/faults/fault-name.js';
import type { FaultRequest } from '../chaos/faults/fault.js';
import { planFault } from '../chaos/faults/plan-fault.js';
import { heal, type HealResult } from '../chaos/services/heal.js';
import { injectFault, type InjectResult } from '../chaos/services/inject-fault.js';
import { faultViews, type FaultView } from '../chaos/services/status.js';
import { GeoctlError } from '../errors.js';
import { ensureDir } from '../state/state-dir.js';
import { waitForShutdownSignal } from './signals.js';
import type { TopologyContext } from './topology-context.js';

export interface FaultRunOptions {
  forMs: number | undefined;
  detach: boolean;
  verify: boolean;
}

export interface FaultIo {
  /** Diagnostics for people (stderr; silent under --json). */
  note(message: string): void;
  /** A live countdown line is drawn only on a terminal. */
  interactive: boolean;
}

export interface FaultRunResult extends InjectResult {
  /** Faults already on the server whose expiry passed (their healer never ran). */
  expiredFaults: FaultView[];
  /** With --for in the foreground: the heal at expiry or on a signal. */
  healed?: HealResult & { reason: 'expired' | NodeJS.Signals };
  /** With --for --detach: the background healer. */
  healer?: { pid: number; log: string; at: number };
  /** The signal that interrupted the command, if any (the fault was healed before exiting). */
  interruptedBy?: NodeJS.Signals;
}

const BACKUP_HEALER_GRACE_MS = 2_000;

const binPath = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/**
 * Everything a fault command does after parsing: plan, inject (all or nothing), verify, journal, then with
 * --for either count down and heal, or hand the timer to a detached healer. SIGINT/SIGTERM at any point
 * after injection heal the fault before the command exits.
 */
export async function runFault(
  ctx: TopologyContext,
  request: FaultRequest,
  options: FaultRunOptions,
  io: FaultIo,
): Promise<FaultRunResult> {
  const driver = ctx.driver();
  const shutdown = waitForShutdownSignal();
  let signal: NodeJS.Signals | undefined;
  void shutdown.promise.then((s) => (signal = s));
  try {
    const now = Date.now();
    // Planning first: a request that cannot work is a usage error whether or not Toxiproxy answers.
    const plan = planFault(ctx.topology, request, { id: newFaultId(), now, durationMs: options.forMs });
    const expiredFaults = faultViews(await driver.listProxies(), await ctx.journal.summaries(), now).filter(
      (f) => f.expired,
    );
    for (const fault of expiredFaults) io.note(expiredWarning(fault, now));
    // The healer starts before the toxics go in, so a kill at any moment after injecting (even during the
    // verification, which takes a second) still leaves something that removes them. In the foreground it
    // is the backup, a dead man's switch: if this process is killed outright (SIGKILL, OOM, a closed
    // laptop lid), it removes the fault shortly after its expiry. Normally we heal first and stop it.
    const healer =
      plan.expiresAt === undefined
        ? undefined
        : await spawnHealer(
            ctx,
            plan.id,
            options.detach ? plan.expiresAt : plan.expiresAt + BACKUP_HEALER_GRACE_MS,
            driver.url,
          );
    let injected: InjectResult;
    try {
      injected = await injectFault(driver, ctx.topology, plan, { verify: options.verify });
    } catch (error) {
      if (healer) killQuietly(healer.pid);
      throw error;
    }
    await ctx.journal.append({
      event: 'injected',
      id: plan.id,
      summary: plan.summary,
      server: driver.url,
      topology: ctx.topology.file,
      createdAt: plan.createdAt,
      expiresAt: plan.expiresAt,
      proxies: plan.targets.map((t) => t.proxy),
    });
    const result: FaultRunResult = { ...injected, expiredFaults };
    const healNow = async (reason: 'expired' | NodeJS.Signals): Promise<void> => {
      const healed = await heal(driver, ctx.topology, { faultId: plan.id }, { verify: options.verify });
      await ctx.journal.append({ event: 'healed', id: plan.id, at: Date.now(), how: reason });
      result.healed = { ...healed, reason };
    };
    if (signal) {
      result.interruptedBy = signal;
      try {
        await healNow(signal);
      } finally {
        if (healer) killQuietly(healer.pid);
      }
      return result;
    }
    if (plan.expiresAt === undefined || healer === undefined) return result;
    if (options.detach) {
      result.healer = healer;
      return result;
    }
    try {
      const outcome = await countdown(plan.summary, plan.expiresAt, shutdown.promise, io);
      if (outcome !== 'expired') result.interruptedBy = outcome;
      await healNow(outcome);
    } finally {
      killQuietly(healer.pid);
    }
    return result;
  } finally {
    shutdown.cancel();
  }
}

export function expiredWarning(fault: FaultView, now: number): string {
  const what = fault.summary ?? `${fault.kind} on ${fault.proxies.join(', ')}`;
  const ago = formatDuration(now - (fault.expiresAt ?? now));
  return `Warning: fault ${fault.id} (${what}) expired ${ago} ago but is still active; its healer did not run. \`geoctl heal --fault ${fault.id}\` (or \`geoctl heal\`) removes it.`;
}

async function countdown(
  summary: string,
  expiresAt: number,
  interrupted: Promise<NodeJS.Signals>,
  io: FaultIo,
): Promise<'expired' | NodeJS.Signals> {
  const remaining = (): number => Math.max(0, expiresAt - Date.now());
  let ticker: NodeJS.Timeout | undefined;
  if (io.interactive) {
    const draw = (): void => {
      process.stderr.write(
        `\r${summary}: heals in ${formatDuration(Math.ceil(remaining() / 1000) * 1000)} (Ctrl-C heals now) \x1b[K`,
      );
    };
    draw();
    ticker = setInterval(draw, 1000);
  } else {
    io.note(`${summary}: active for ${formatDuration(remaining())}; SIGINT or SIGTERM heals it now.`);
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    const arm = (): void => {
      const left = remaining();
      // setTimeout caps at 2^31-1 ms; longer faults re-arm.
      timer = setTimeout(left > 2 ** 30 ? arm : () => resolve('expired'), Math.min(left, 2 ** 30));
    };
    arm();
  });
  try {
    return await Promise.race([expired, interrupted]);
  } finally {
    clearTimeout(timer);
    if (ticker) {
      clearInterval(ticker);
      process.stderr.write('\r\x1b[K');
    }
  }
}

async function spawnHealer(
  ctx: TopologyContext,
  id: string,
  at: number,
  url: string,
): Promise<{ pid: number; log: string; at: number }> {
  const dir = await ensureDir(join(ctx.stateDir, 'healers'));
  const log = join(dir, `${id}.log`);
  const handle = await open(log, 'a', 0o600);
  const args = [
    binPath,
    'heal',
    '--fault',
    id,
    '--at',
    String(at),
    '--config',
    ctx.topology.file,
    '--toxiproxy-url',
    url,
    '--json',
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', handle.fd, handle.fd] });
  await handle.close();
  if (child.pid === undefined) {
    throw new GeoctlError(
      'E_INTERNAL',
      `internal error: could not start the background healer for fault ${id}`,
    );
  }
  child.unref();
  return { pid: child.pid, log, at };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
