/**
 * How geoctl checks that traffic flows through a link without harming the store behind it: a request the
 * store answers (any answer proves a round trip) and that changes nothing. One entry per protocol; adding a
 * protocol is one line here. `tcp` sends nothing, so it can show a proxy refusing connections but cannot
 * tell a blackhole from an idle link.
 */
export interface LinkProtocol {
  readonly name: string;
  readonly description: string;
  /** Bytes to send; undefined for connect-only. */
  readonly request: Buffer | undefined;
}

const protocols: readonly LinkProtocol[] = [
  { name: 'tcp', description: 'connect only (cannot detect a blackhole)', request: undefined },
  {
    name: 'echo',
    description: 'any bytes come back (echo servers, the geoctl fixture store)',
    request: Buffer.from('geoctl-check\n'),
  },
  { name: 'redis', description: 'PING, answered by +PONG or an error', request: Buffer.from('PING\r\n') },
  // SSLRequest: the server answers one byte, 'S' or 'N', before any authentication.
  {
    name: 'postgres',
    description: 'SSLRequest, answered by one byte',
    request: Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]),
  },
  { name: 'http', description: 'HEAD / over HTTP/1.0', request: Buffer.from('HEAD / HTTP/1.0\r\n\r\n') },
];

export const LINK_PROTOCOL_NAMES: readonly string[] = protocols.map((p) => p.name);

export function linkProtocol(name: string): LinkProtocol {
  const found = protocols.find((p) => p.name === name);
  if (!found) throw new Error(`unknown link protocol ${name}`);
  return found;
}
