import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Node flags for the process that runs the embedded Toxiproxy server. With --single-threaded-gc the latency
 * toxic's tail was shorter in every interleaved comparison on a 2-core machine (docs/benchmarks.md, "What
 * changed"); V8 otherwise runs parts of each GC on helper threads, which compete with the clients for the
 * cores. --expose-gc lets the latency toxics' timer run a minor GC well before a release instead of V8 starting
 * one during it (precise-timer.ts); the process runs only geoctl's code, so nothing else sees `gc`. V8 reads
 * these flags when it sets up a heap, so they cannot be turned on in a running process
 * (v8.setFlagsFromString('--single-threaded-gc') crashes it at the next GC): the process has to start with them.
 */
export const SERVER_NODE_FLAGS = ['--single-threaded-gc', '--expose-gc'] as const;

/** Set in the relaunched server, which stops when its launcher goes away (even by SIGKILL). */
const RELAUNCHED_ENV = 'GEOCTL_SERVE_RELAUNCHED';

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function isServeCommand(args: readonly string[]): boolean {
  return (args[0] === 'toxiproxy' && args[1] === 'serve') || args[0] === 'toxiproxy:serve';
}

function hasServerFlags(): boolean {
  return SERVER_NODE_FLAGS.every((flag) => process.execArgv.includes(flag));
}

/**
 * `geoctl toxiproxy serve` started without SERVER_NODE_FLAGS: runs it again as a child with them and stands
 * in for it (signals forwarded once each, the same exit code or signal), and returns true; otherwise false.
 * The child gets its own process group, so a Ctrl-C reaches it once, through this process, not twice.
 */
export function relaunchServeWithServerFlags(args: readonly string[], binUrl: string): boolean {
  if (!isServeCommand(args) || hasServerFlags()) return false;
  const child = spawn(
    process.execPath,
    [...process.execArgv, ...SERVER_NODE_FLAGS, fileURLToPath(binUrl), ...args],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
      env: { ...process.env, [RELAUNCHED_ENV]: '1' },
    },
  );
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  child.once('error', (error) => {
    process.stderr.write(`geoctl: could not start the server process: ${error.message}\n`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    for (const s of FORWARDED_SIGNALS) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
  return true;
}

/**
 * In the relaunched server: when the launcher goes away without a signal (SIGKILL, a crash), stop as on
 * SIGTERM, so no server is left holding its ports. The IPC channel closes whenever the launcher dies.
 */
export function stopWhenLauncherGoes(): void {
  if (process.env[RELAUNCHED_ENV] !== '1' || !process.connected) return;
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
