import { passThrough } from '../toxic-stub.js';
import type { ToxicType } from './toxic-type.js';

export const noop: ToxicType = {
  name: 'noop',
  goStruct: 'NoopToxic',
  attributes: {},
  pipe: (stub) => passThrough(stub),
};
