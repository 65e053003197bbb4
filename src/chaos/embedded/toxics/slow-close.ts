import { INTERRUPTED } from '../toxic-stub.js';
import type { ToxicType } from './toxic-type.js';

/** Passes data unchanged; once the input ends, waits `delay` ms before closing the output. */
export const slowClose: ToxicType = {
  name: 'slow_close',
  goStruct: 'SlowCloseToxic',
  attributes: { delay: 'int64' },
  async pipe(stub, { delay = 0 }) {
    for (;;) {
      let item = stub.next();
      if (item instanceof Promise) item = await item;
      if (item === INTERRUPTED) return;
      if (item === null) {
        let slept = stub.sleep(delay);
        if (slept instanceof Promise) slept = await slept;
        // Interrupted mid-delay: the stub keeps reporting EOF, so a restart waits the full delay again
        // and removal closes at once, as in Toxiproxy.
        if (slept) stub.close();
        return;
      }
      stub.emit(item);
    }
  },
};
