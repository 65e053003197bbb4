import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isWildcard, splitHostPort } from '../embedded/net-address.js';
import type { LinkProtocol } from './protocols.js';

/**
 * What one probe connection through a proxy saw:
 * - flowing: the request was answered (a full round trip through the proxy and the store);
 * - blocked: connected, but no answer and no close within the time limit (a blackhole);
 * - reset: the connection was reset (reset_peer);
 * - refused: nothing accepts on the listen address (the proxy is disabled, or not deployed);
 * - closed: the proxy closed the connection without an answer (often: nothing listens at its upstream);
 * - connected: connect-only protocol, the connection stayed open (cannot tell flowing from blocked).
 */
export type LinkCheckOutcome = 'flowing' | 'blocked' | 'reset' | 'refused' | 'closed' | 'connected';

export interface LinkCheck {
  address: string;
  outcome: LinkCheckOutcome;
  /** For flowing: request written → first byte of the answer, ms. */
  roundTripMs?: number;
  /** How long the check waited before concluding, ms. */
  waitedMs: number;
  detail?: string;
}

/** How long a connect-only check watches for the proxy closing on it. */
const CONNECT_ONLY_GRACE_MS = 150;
/** How long after connecting the check waits for a proxy whose upstream is down to close on it. */
const UPSTREAM_GRACE_MS = 100;

export function checkLink(address: string, protocol: LinkProtocol, timeoutMs: number): Promise<LinkCheck> {
  const started = performance.now();
  const target = splitHostPort(address);
  if (typeof target === 'string') {
    return Promise.resolve({ address, outcome: 'refused', waitedMs: 0, detail: target });
  }
  // A proxy listening on every interface is reached on loopback.
  const host = isWildcard(target.host) ? '127.0.0.1' : target.host;
  return new Promise((resolve) => {
    let sentAt = 0;
    let settled = false;
    const socket: Socket = connect({ host, port: target.port });
    const finish = (outcome: LinkCheckOutcome, extra: Partial<LinkCheck> = {}): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ address, outcome, waitedMs: round(performance.now() - started), ...extra });
    };
    const timer = setTimeout(
      () => {
        if (socket.connecting) finish('blocked', { detail: 'connect did not complete' });
        else if (protocol.request === undefined) finish('connected');
        else finish('blocked');
      },
      protocol.request === undefined ? CONNECT_ONLY_GRACE_MS : timeoutMs,
    );
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      if (protocol.request === undefined) return;
      // Toxiproxy accepts first and dials the upstream after; when that dial fails it closes at once. Waiting
      // a moment before sending tells that apart from a fault: closing with our request unread would be an
      // RST, indistinguishable from reset_peer.
      setTimeout(() => {
        if (settled) return;
        sentAt = performance.now();
        socket.write(protocol.request!);
      }, UPSTREAM_GRACE_MS);
    });
    const closedEarly = (): boolean => {
      if (!connected || sentAt !== 0 || protocol.request === undefined) return false;
      finish('closed', {
        detail: 'the proxy closed the connection before anything was sent: its upstream is unreachable',
      });
      return true;
    };
    socket.once('data', () => finish('flowing', { roundTripMs: round(performance.now() - sentAt) }));
    socket.once('end', () => closedEarly() || finish('closed'));
    socket.once('close', () => closedEarly() || finish('closed'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (closedEarly()) return;
      if (error.code === 'ECONNREFUSED') finish('refused');
      else if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish('reset');
      else finish('closed', { detail: error.code ?? error.message });
    });
  });
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
