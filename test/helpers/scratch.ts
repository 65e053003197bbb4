import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { killAllCli } from './cli.js';

export interface Scratch {
  /** A new temporary directory, removed after the test. */
  dir(prefix: string): Promise<string>;
  /** Undo something after the test, even when it fails (steps run in reverse order). */
  defer(step: () => Promise<unknown>): void;
}

/**
 * Per-test scratch space for tests that start real servers: after each test, CLI subprocesses still
 * running are killed, deferred steps run (stopping a fixture with SIGINT, a teardown), and the temporary
 * directories go. Call once at the top of a test file.
 */
export function useScratch(): Scratch {
  const dirs: string[] = [];
  const steps: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    killAllCli();
    for (const step of steps.splice(0).reverse()) await step().catch(() => undefined);
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }, 30_000);
  return {
    async dir(prefix) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    defer(step) {
      steps.push(step);
    },
  };
}
