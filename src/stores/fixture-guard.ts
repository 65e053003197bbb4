import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GuardMessage } from './fixture-guard-main.js';

/**
 * A real-store fixture's servers must not outlive it, even when the fixture process is killed outright
 * (SIGKILL, the OOM killer) and runs none of its own cleanup. Linux has no portable "die with your parent"
 * for a child we do not control, so a small guard process watches instead: it holds the read end of a pipe
 * whose only writer is this process, and when that pipe closes without a release, it stops the servers it
 * was told about and removes the fixture's files (fixture-guard-main.ts).
 *
 * The guard runs detached, in its own session, so the terminal's Ctrl-C (which geoctl handles by stopping
 * the fixture itself) does not reach it, and it never keeps geoctl's event loop alive.
 */
export class FixtureGuard {
  private constructor(private readonly child: ChildProcess) {}

  static start(): FixtureGuard {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./fixture-guard-main.js', import.meta.url))],
      {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    // A guard that failed to start protects nothing, but must not take the fixture down either.
    child.on('error', () => undefined);
    child.stdin!.on('error', () => undefined);
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    return new FixtureGuard(child);
  }

  /** Stop `pid` with `signal` if this process dies; SIGKILL (its whole group when `group`) 5 s later. */
  killOnAbandon(pid: number | undefined, signal: NodeJS.Signals, group: boolean): void {
    if (pid !== undefined) this.send({ kill: pid, signal, group });
  }

  /** Remove `path` (recursively) if this process dies, after the servers stopped. */
  removeOnAbandon(path: string): void {
    this.send({ remove: path });
  }

  /** The fixture cleaned up after itself: the guard exits without touching anything. */
  release(): void {
    this.send({ release: true });
    this.child.stdin?.end();
  }

  private send(message: GuardMessage): void {
    const stdin = this.child.stdin;
    if (stdin && !stdin.destroyed && stdin.writable) stdin.write(`${JSON.stringify(message)}\n`);
  }
}
