import { Worker } from 'node:worker_threads';
import { GeoctlError } from '../../errors.js';
import type { EmbeddedToxiproxyOptions } from './embedded-server.js';
import type { WorkerCommand, WorkerReport } from './server-worker-protocol.js';

export interface ThreadedToxiproxy {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Proxies loaded from the config file at startup. */
  readonly initialProxies: number;
  close(): Promise<void>;
}

/**
 * Runs the embedded server on a worker thread of this process (what `geoctl toxiproxy serve` does), and
 * resolves once it listens. Failures to start reject with the worker's GeoctlError, rebuilt here.
 */
export function startEmbeddedToxiproxyThread(
  options: EmbeddedToxiproxyOptions = {},
): Promise<ThreadedToxiproxy> {
  const { log, ...workerOptions } = options;
  const worker = new Worker(new URL('./server-worker.js', import.meta.url), { workerData: workerOptions });
  return new Promise((resolve, reject) => {
    let closed: (() => void) | undefined;
    let closing: Promise<void> | undefined;
    worker.on('message', (report: WorkerReport) => {
      switch (report.type) {
        case 'log':
          log?.(report.entry);
          break;
        case 'failed':
          reject(new GeoctlError(report.error.code, report.error.message, report.error));
          break;
        case 'closed':
          closed?.();
          break;
        case 'listening':
          resolve({
            url: report.url,
            host: report.host,
            port: report.port,
            initialProxies: report.proxies,
            close() {
              closing ??= new Promise<void>((done) => {
                closed = done;
                worker.once('exit', () => done());
                worker.postMessage({ type: 'close' } satisfies WorkerCommand);
              });
              return closing;
            },
          });
          break;
      }
    });
    worker.once('error', (error) =>
      reject(new GeoctlError('E_INTERNAL', `internal error: the server thread failed: ${error.message}`)),
    );
    worker.once('exit', () => closed?.());
  });
}
