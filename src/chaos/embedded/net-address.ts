import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Go's net.SplitHostPort plus port parsing, with Go's error texts (the API repeats them verbatim):
 * "address X: missing port in address", "address X: too many colons in address", "address X: invalid port".
 */
export function splitHostPort(address: string): HostPort | string {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) return `address ${address}: missing ']' in address`;
    host = address.slice(1, close);
    const rest = address.slice(close + 1);
    if (rest === '') return `address ${address}: missing port in address`;
    if (!rest.startsWith(':')) return `address ${address}: missing port in address`;
    portText = rest.slice(1);
    if (portText.includes(':')) return `address ${address}: too many colons in address`;
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) return `address ${address}: missing port in address`;
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(':')) return `address ${address}: too many colons in address`;
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    if (portText === '') return { host, port: 0 };
    return `address ${address}: invalid port`;
  }
  return { host, port: Number(portText) };
}

export function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Hosts Go treats as "every interface" for a "tcp" listener, shown as [::]. */
export function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}

/**
 * Resolves a listen address the way Go's ResolveTCPAddr("tcp", …) does: names resolve with IPv4 preferred,
 * a wildcard host stays a wildcard. Returns the host to bind and the canonical text Toxiproxy compares.
 */
export async function resolveTcpAddress(
  address: string,
): Promise<{ bindHost: string; port: number; text: string }> {
  const parsed = splitHostPort(address);
  if (typeof parsed === 'string') throw new Error(parsed);
  const { host, port } = parsed;
  if (isWildcard(host))
    return { bindHost: '::', port, text: host === '' ? `:${port}` : formatAddress(host, port) };
  if (isIP(host)) return { bindHost: host, port, text: formatAddress(host, port) };
  try {
    const found = await lookup(host, { all: true });
    const chosen = found.find((a) => a.family === 4) ?? found[0];
    if (!chosen) throw new Error('no addresses');
    return { bindHost: chosen.address, port, text: formatAddress(chosen.address, port) };
  } catch {
    throw new Error(`lookup ${host}: no such host`);
  }
}
