import { latency } from './latency.js';
import { noop } from './noop.js';
import type { ToxicType } from './toxic-type.js';

/** Every toxic the embedded server knows, by the name clients use. Adding one: its file plus one line. */
const toxicTypes: readonly ToxicType[] = [latency, noop];

const byName = new Map(toxicTypes.map((toxic) => [toxic.name, toxic]));

export function findToxicType(name: string): ToxicType | undefined {
  return byName.get(name);
}

export function toxicTypeNames(): string[] {
  return [...byName.keys()];
}
