import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const binPath = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** The real CLI as a subprocess, as a user runs it (from the built dist/). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [binPath, ...args], {
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: 'pipe',
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new CliProcess(child);
}

export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 15_000,
): Promise<CliResult> {
  return spawnCli(args, env).result(timeoutMs);
}

/** Kills whatever a test left running; call from afterEach. */
export function killAllCli(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export class CliProcess {
  private stdoutText = '';
  private stderrText = '';
  private readonly lines: string[] = [];
  private lineWaiters: Array<(line: string) => void> = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (this.stdoutText += d));
    child.stderr.on('data', (d: string) => (this.stderrText += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const waiter = this.lineWaiters.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    });
  }

  /** The next stdout line; rejects if the process exits first or the time runs out. */
  async nextLine(timeoutMs = 10_000): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return queued;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no stdout line within ${timeoutMs} ms; stderr: ${this.stderrText}`)),
        timeoutMs,
      );
      const onExit = (): void => {
        clearTimeout(timer);
        reject(new Error(`process exited before printing a line; stderr: ${this.stderrText}`));
      };
      this.child.once('exit', onExit);
      this.lineWaiters.push((line) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve(line);
      });
    });
  }

  async result(timeoutMs = 15_000): Promise<CliResult> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      if (this.child.exitCode === null && this.child.signalCode === null) await once(this.child, 'exit');
      // 'exit' can precede the last stdio data; 'close' cannot.
      if (!this.child.stdout.closed) await once(this.child.stdout, 'close').catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
    return {
      code: this.child.exitCode,
      signal: this.child.signalCode,
      stdout: this.stdoutText,
      stderr: this.stderrText,
    };
  }
}
