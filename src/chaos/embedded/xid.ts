import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Request ids in the format of github.com/rs/xid, which Toxiproxy puts in X-Toxiproxy-Request-Id: 12 bytes
 * (4 bytes of Unix seconds, 3 of machine id, 2 of pid, 3 of a counter) as 20 lowercase base32hex characters.
 * Clients that log or correlate the header see the same shape as from the official server.
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

const machineId = createHash('md5').update(hostname()).digest().subarray(0, 3);
let counter = randomBytes(3).readUIntBE(0, 3);

export function newXid(now: number = Date.now()): string {
  const id = Buffer.alloc(12);
  id.writeUInt32BE(Math.floor(now / 1000) >>> 0, 0);
  machineId.copy(id, 4);
  id.writeUInt16BE(process.pid & 0xffff, 7);
  counter = (counter + 1) & 0xffffff;
  id.writeUIntBE(counter, 9, 3);
  return encodeBase32Hex(id);
}

/** Unpadded base32hex, most significant bit first; 12 bytes give 20 characters. */
function encodeBase32Hex(bytes: Buffer): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 0x1f];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 0x1f];
  return out;
}
