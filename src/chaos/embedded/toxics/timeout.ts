import { now } from '../precise-timer.js';
import { INTERRUPTED, TIMED_OUT } from '../toxic-stub.js';
import type { ToxicType } from './toxic-type.js';

/**
 * Drops all data. With `timeout` > 0 it closes the connection once no data has arrived for that many ms;
 * every dropped chunk restarts the wait (Go builds a new time.After on each loop). 0 blackholes forever.
 */
export const timeout: ToxicType = {
  name: 'timeout',
  goStruct: 'TimeoutToxic',
  attributes: { timeout: 'int64' },
  async pipe(stub, { timeout: ms = 0 }) {
    for (;;) {
      let item = ms > 0 ? stub.nextUntil(now() + ms) : stub.next();
      if (item instanceof Promise) item = await item;
      if (item === INTERRUPTED) return;
      if (item === TIMED_OUT || item === null) {
        stub.close();
        return;
      }
    }
  },
  // The data it swallowed is gone, so the connection cannot continue: removal closes it.
  cleanup: (stub) => stub.close(),
};
