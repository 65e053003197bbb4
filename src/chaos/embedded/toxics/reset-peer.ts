import { atTime, now } from '../precise-timer.js';
import { INTERRUPTED } from '../toxic-stub.js';
import type { ToxicType } from './toxic-type.js';

/**
 * On the first chunk (dropped) or EOF, waits `timeout` ms and closes the connection. The RST itself comes
 * from `resetsConnections`: connections accepted while this toxic exists close with SO_LINGER 0; one it
 * is added to later closes with a plain FIN, exactly like Toxiproxy.
 */
export const resetPeer: ToxicType = {
  name: 'reset_peer',
  goStruct: 'ResetToxic',
  attributes: { timeout: 'int64' },
  resetsConnections: true,
  async pipe(stub, { timeout = 0 }) {
    let item = stub.next();
    if (item instanceof Promise) item = await item;
    if (item === INTERRUPTED) return;
    // Go waits on time.After alone, not on the interrupt: an update or removal blocks until the reset.
    if (timeout > 0) await new Promise<void>((resolve) => atTime(now() + timeout, resolve));
    stub.close();
  },
};
