import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';

/*
 * Ports for topologies written on the fly (the demo, tests). A port found by binding to 0 and released at
 * once is in the kernel's ephemeral range, so the very next bind(0) or outgoing connection anywhere on the
 * machine may be handed it, and the proxy that later listens there fails with EADDRINUSE (seen in CI: an
 * embedded Toxiproxy started on port 0 took a link's port). Below that range only an explicit bind can take a
 * port, so that is where these come from.
 */

const LOWEST = 10_000;
/** Where the ephemeral range is unknown (not Linux), IANA's: 49152-65535. */
const IANA_EPHEMERAL_START = 49_152;

let cursor: number | undefined;

/** `count` distinct ports free on `host` right now, outside the ephemeral range where it can be. */
export async function freeLoopbackPorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const end = ephemeralStart();
  if (end - LOWEST < count * 100) return ephemeralPorts(count, host);
  const span = end - LOWEST;
  // A random start per process keeps concurrent processes (test workers) apart; the cursor keeps one
  // process from handing out the same port twice in a row.
  cursor ??= Math.floor(Math.random() * span);
  const held: Server[] = [];
  try {
    for (let tried = 0; held.length < count && tried < span; tried++) {
      const port = LOWEST + (cursor++ % span);
      const server = await tryListen(port, host);
      if (server) held.push(server);
    }
    if (held.length < count) return ephemeralPorts(count, host);
    return held.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await closeAll(held);
  }
}

function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) && value > 0 ? value : IANA_EPHEMERAL_START;
  } catch {
    return IANA_EPHEMERAL_START;
  }
}

function tryListen(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

/** The fallback: ports the kernel picks, held together so none repeats. */
async function ephemeralPorts(count: number, host: string): Promise<number[]> {
  const held: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = await tryListen(0, host);
      if (!server) throw new Error(`cannot listen on ${host}`);
      held.push(server);
    }
    return held.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await closeAll(held);
  }
}

function closeAll(servers: Server[]): Promise<unknown> {
  return Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
}
