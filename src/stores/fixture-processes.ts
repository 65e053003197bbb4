import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { open, readFile } from 'node:fs/promises';
import { GeoctlError } from '../errors.js';
import { FixtureGuard } from './fixture-guard.js';

/**
 * The server processes a real-store fixture (`geoctl fixture redis|postgres`) keeps as its children: each
 * with its own log file, watched so that one dying while the fixture runs fails the whole fixture, and
 * stopped together with escalating signals. A FixtureGuard stops them and removes the fixture's files if
 * this process dies without doing so.
 */
export interface FixtureChild {
  name: string;
  port: number;
  log: string;
  process: ChildProcess;
  exited: Promise<void>;
  done: boolean;
}

export type FixtureExitEvent = {
  event: 'exited';
  process: string;
  pid: number | undefined;
  code: number | null;
  signal: string | null;
};

export interface FixtureProcessesOptions {
  onEvent?: ((event: FixtureExitEvent) => void) | undefined;
  /** A log line that means the port was taken: the failure is then E_ADDRESS_IN_USE naming it. */
  portInUse?: RegExp;
  /** What the guard sends each server if this process dies without stopping them (SIGKILL 5 s later). */
  abandonSignal: NodeJS.Signals;
}

/** How a fixture stops its children: the first signal to each (in that order), then escalations. */
export interface StopPlan {
  /** Runs first, once exits no longer count as failures (a Redis fixture stops its keeper here). */
  before?: () => Promise<void>;
  signal: NodeJS.Signals;
  reverse?: boolean;
  escalate: Array<{ afterMs: number; signal: NodeJS.Signals }>;
}

export class FixtureProcesses {
  readonly children: FixtureChild[] = [];
  /** Rejects when a child exits (or cannot start) before stop(). */
  readonly failed: Promise<never>;
  /** Set once the fixture is up, so an exit is reported as "while the fixture ran" rather than "while starting". */
  started = false;
  private stopping = false;
  private rejectFailed: (error: Error) => void = () => undefined;
  private readonly guard = FixtureGuard.start();

  constructor(private readonly options: FixtureProcessesOptions) {
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined);
  }

  /** Spawns `file args` with stdout and stderr appended to `log`. */
  async launch(
    name: string,
    port: number,
    log: string,
    file: string,
    args: string[],
    spawnOptions: SpawnOptions = {},
    onLogCreated: (log: string) => Promise<void> = async () => undefined,
  ): Promise<FixtureChild> {
    const out = await open(log, 'a');
    await onLogCreated(log);
    const child = spawn(file, args, { ...spawnOptions, stdio: ['ignore', out.fd, out.fd] });
    await out.close();
    this.guard.killOnAbandon(child.pid, this.options.abandonSignal, spawnOptions.detached === true);
    const entry: FixtureChild = { name, port, log, process: child, exited: Promise.resolve(), done: false };
    entry.exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        entry.done = true;
        if (!this.stopping)
          this.rejectFailed(new GeoctlError('E_INTERNAL', `${name} could not start: ${error.message}`));
        resolve();
      });
      child.once('exit', (code, signal) => {
        entry.done = true;
        if (!this.stopping) {
          this.options.onEvent?.({ event: 'exited', process: name, pid: child.pid, code, signal });
          void tail(log).then((text) => this.rejectFailed(this.exitError(entry, code, signal, text)));
        }
        resolve();
      });
    });
    this.children.push(entry);
    return entry;
  }

  /** Stops every child per `plan` and waits for each; idempotent. */
  async stop(plan: StopPlan): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await plan.before?.();
    const order = plan.reverse ? [...this.children].reverse() : this.children;
    for (const child of order) if (!child.done) child.process.kill(plan.signal);
    await Promise.all(
      this.children.map(async (child) => {
        const timers = plan.escalate.map(({ afterMs, signal }) =>
          setTimeout(() => child.process.kill(signal), afterMs),
        );
        await child.exited;
        for (const timer of timers) clearTimeout(timer);
      }),
    );
  }

  /** A file or directory of the fixture's that must go even if this process dies without cleaning up. */
  removeOnAbandon(path: string): void {
    this.guard.removeOnAbandon(path);
  }

  /** Call once the fixture has stopped its children and removed its files: the guard then leaves them be. */
  release(): void {
    this.guard.release();
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private exitError(
    child: FixtureChild,
    code: number | null,
    signal: NodeJS.Signals | null,
    text: string,
  ): GeoctlError {
    const inUse = this.options.portInUse?.test(text) ?? false;
    return new GeoctlError(
      inUse ? 'E_ADDRESS_IN_USE' : 'E_STORE_UNREACHABLE',
      `${child.name} exited (${signal ?? `code ${code}`}) ${this.started ? 'while the fixture ran' : 'while starting'}${inUse ? `: 127.0.0.1:${child.port} is in use` : ''}`,
      { hint: `Its last log lines:\n${text}` },
    );
  }
}

/** The last ten lines of a log, for error hints. */
export async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-10).join('\n');
}

/** E_ADDRESS_IN_USE naming every port someone else listens on, before any child is started. */
export async function checkPortsFree(ports: number[], hint: string): Promise<void> {
  const taken: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) taken.push(port);
  }
  if (taken.length > 0)
    throw new GeoctlError('E_ADDRESS_IN_USE', `127.0.0.1 port ${taken.join(', ')} is in use`, {
      hint,
      details: { ports: taken },
    });
}
