import { parentPort, workerData } from 'node:worker_threads';
import { isGeoctlError } from '../../errors.js';
import { deprioritizeOtherThreads } from './background-threads.js';
import { startEmbeddedToxiproxy, type EmbeddedToxiproxyOptions } from './embedded-server.js';
import type { WorkerReport, WorkerCommand } from './server-worker-protocol.js';

/**
 * Worker-thread entry for `geoctl toxiproxy serve`. The data plane gets an isolate of its own, free of the
 * CLI's module graph: loading oclif into the proxy's isolate measurably slowed bulk forwarding (see
 * docs/benchmarks.md), and signals, output and the CLI stay on the main thread.
 */
const port = parentPort;
if (!port) throw new Error('server-worker.js must run as a worker thread');

const post = (report: WorkerReport): void => port.postMessage(report);
const options = workerData as Omit<EmbeddedToxiproxyOptions, 'log'>;

try {
  const server = await startEmbeddedToxiproxy({ ...options, log: (entry) => post({ type: 'log', entry }) });
  // This process runs only the server; its other threads (the CLI's main thread too) must not take a core
  // from this one.
  await deprioritizeOtherThreads();
  port.on('message', (command: WorkerCommand) => {
    if (command.type !== 'close') return;
    void server.close().then(() => {
      post({ type: 'closed' });
      port.close();
    });
  });
  post({
    type: 'listening',
    url: server.url,
    host: server.host,
    port: server.port,
    proxies: server.proxies.list().length,
  });
} catch (error) {
  post({
    type: 'failed',
    error: isGeoctlError(error)
      ? { code: error.code, message: error.message, hint: error.hint, details: error.details }
      : { code: 'E_INTERNAL', message: `internal error: ${(error as Error).message}` },
  });
  port.close();
}
