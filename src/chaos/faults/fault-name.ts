import { randomBytes } from 'node:crypto';
import { FAULT_KINDS, type FaultKind, type Stream } from './fault.js';

/**
 * Every toxic geoctl adds is named `geoctl.<fault id>.<kind>.<up|down>.<created>.<expires>` (Unix seconds,
 * 0 = no expiry). The name is the fault's identity on the server: after geoctl was killed or its state
 * directory lost, the next geoctl finds its own faults, their age and expiry there, and never mistakes
 * someone else's toxic for one of its own. Only characters Toxiproxy's routes take unescaped.
 */
export interface FaultToxicName {
  id: string;
  kind: FaultKind;
  stream: Stream;
  createdAt: number;
  expiresAt: number | undefined;
}

const NAME = /^geoctl\.([a-z0-9]{4,16})\.([a-z]+)\.(up|down)\.(\d+)\.(\d+)$/;

export function faultToxicName(name: FaultToxicName): string {
  const created = Math.floor(name.createdAt / 1000);
  const expires = name.expiresAt === undefined ? 0 : Math.ceil(name.expiresAt / 1000);
  const stream = name.stream === 'upstream' ? 'up' : 'down';
  return `geoctl.${name.id}.${name.kind}.${stream}.${created}.${expires}`;
}

export function parseFaultToxicName(name: string): FaultToxicName | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const kind = match[2] as FaultKind;
  if (!FAULT_KINDS.includes(kind)) return undefined;
  const expires = Number(match[5]);
  return {
    id: match[1]!,
    kind,
    stream: match[3] === 'up' ? 'upstream' : 'downstream',
    createdAt: Number(match[4]) * 1000,
    expiresAt: expires === 0 ? undefined : expires * 1000,
  };
}

/** Eight base-36 characters: unique enough per server, short enough to type in `geoctl heal --fault`. */
export function newFaultId(): string {
  const bytes = randomBytes(8);
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('');
}
