import { bandwidth } from './bandwidth.js';
import { latency } from './latency.js';
import { limitData } from './limit-data.js';
import { noop } from './noop.js';
import { resetPeer } from './reset-peer.js';
import { slicer } from './slicer.js';
import { slowClose } from './slow-close.js';
import { timeout } from './timeout.js';
import type { ToxicType } from './toxic-type.js';

/** Every toxic the embedded server knows, by the name clients use. Adding one: its file plus one line. */
const toxicTypes: readonly ToxicType[] = [
  latency,
  noop,
  bandwidth,
  slowClose,
  timeout,
  resetPeer,
  slicer,
  limitData,
];

const byName = new Map(toxicTypes.map((toxic) => [toxic.name, toxic]));

export function findToxicType(name: string): ToxicType | undefined {
  return byName.get(name);
}

export function toxicTypeNames(): string[] {
  return [...byName.keys()];
}
