import type { Attributes, ToxicType } from './toxics/toxic-type.js';

export type Direction = 'upstream' | 'downstream';

/** A toxic as configured on a proxy: what the API shows plus the type that runs it. */
export interface ToxicWrapper {
  name: string;
  type: ToxicType;
  /** The stream string as the client sent it (Toxiproxy echoes `UPSTREAM` verbatim). */
  stream: string;
  direction: Direction;
  /** float32, as Toxiproxy stores it. */
  toxicity: number;
  attributes: Attributes;
}

export function parseDirection(stream: string): Direction | undefined {
  const lower = stream.toLowerCase();
  return lower === 'upstream' || lower === 'downstream' ? lower : undefined;
}
