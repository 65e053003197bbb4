import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freeLoopbackPorts } from '../../../src/topology/free-ports.js';

const ephemeralStart = Number(
  readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
);

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

describe('freeLoopbackPorts', () => {
  it('gives distinct ports below the ephemeral range that can be listened on, and none twice in a row', async () => {
    const first = await freeLoopbackPorts(8);
    const second = await freeLoopbackPorts(8);
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(16);
    for (const port of all) {
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(port).toBeLessThan(ephemeralStart);
    }
    const servers = await Promise.all(first.map(listen));
    await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  });

  it('skips a port someone else holds', async () => {
    const [taken] = await freeLoopbackPorts(1);
    const holder = await listen(taken! + 1);
    try {
      const next = await freeLoopbackPorts(3);
      expect(next).not.toContain(taken! + 1);
    } finally {
      await new Promise((done) => holder.close(done));
    }
  });
});
