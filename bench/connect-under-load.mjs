#!/usr/bin/env node
// New connections through the proxy to an upstream given by host name ("localhost", so every dial resolves it
// on libuv's thread pool), while busy loops keep every core of the machine saturated. It prices what the
// server's other threads being put below its data plane costs (src/chaos/embedded/background-threads.ts):
// DNS lookups run on those threads. Not a test: it prints figures. Compare builds by giving several bin/run.js
// paths; rounds alternate between them.
//
//   npm run build && node bench/connect-under-load.mjs [path/to/bin/run.js ...]

import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { summarize, withTimeout } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bins = process.argv.length > 2 ? process.argv.slice(2) : [join(root, 'bin/run.js')];
const ROUNDS = 3;
const CONNECTIONS = 40; // per round and build

const echo = createServer((socket) => {
  socket.on('error', () => undefined);
  socket.on('data', (data) => socket.write(data));
});
await new Promise((resolve) => echo.listen(0, '127.0.0.1', resolve));

async function round(bin) {
  const server = spawn(process.execPath, [bin, 'toxiproxy', 'serve', '--port', '0', '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const burners = [];
  try {
    const line = await withTimeout(
      new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve)),
      30_000,
      'the server to listen',
    );
    const { url } = JSON.parse(line);
    const created = await globalThis.fetch(`${url}/proxies`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'p',
        listen: '127.0.0.1:0',
        upstream: `localhost:${echo.address().port}`,
      }),
    });
    const port = Number((await created.json()).listen.split(':').pop());
    for (let i = 0; i < cpus().length; i++) burners.push(spawn(process.execPath, ['-e', 'for (;;);']));
    const ms = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const start = performance.now();
      await withTimeout(
        new Promise((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.write('x'));
          socket.once('error', reject);
          socket.once('data', () => {
            socket.destroy();
            resolve();
          });
        }),
        10_000,
        'a connection through the proxy',
      );
      ms.push(performance.now() - start);
    }
    return ms;
  } finally {
    for (const burner of burners) burner.kill('SIGKILL');
    server.kill('SIGTERM');
  }
}

const samples = new Map(bins.map((bin) => [bin, []]));
for (let r = 0; r < ROUNDS; r++) for (const bin of bins) samples.get(bin).push(...(await round(bin)));
echo.close();
console.log(
  `connect, 1-byte echo, close through the proxy to localhost:<port>, ${cpus().length} busy loops running; ms`,
);
const results = {};
for (const [bin, ms] of samples) {
  const s = summarize(ms);
  results[bin] = s;
  console.log(
    `${bin}: n ${s.n}, p50 ${s.p50.toFixed(2)}, p90 ${s.p90.toFixed(2)}, p99 ${s.p99.toFixed(2)}, max ${s.max.toFixed(2)}`,
  );
}
console.log(JSON.stringify({ bench: 'geoctl-connect-under-load', date: new Date().toISOString(), results }));
