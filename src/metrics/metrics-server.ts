import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { GeoctlError } from '../errors.js';

/** Serves GET /metrics from `registry` on 127.0.0.1 unless told otherwise; port 0 picks one. */
export async function serveMetrics(
  registry: Registry,
  port: number,
  host = '127.0.0.1',
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new GeoctlError(
          error.code === 'EADDRINUSE' ? 'E_ADDRESS_IN_USE' : 'E_BIND',
          `--metrics-port ${port}: cannot listen on ${host}:${port}: ${error.message}`,
          {
            hint: 'Choose another port (0 picks a free one).',
          },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host}:${actual}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
