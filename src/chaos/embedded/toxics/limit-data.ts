import type { ToxicType } from './toxic-type.js';

/** Bytes this connection already passed in this direction; kept on the stub so updates don't reset it. */
class LimitDataState {
  transmitted = 0;
}

/** Passes at most `bytes` per connection and direction, then closes the connection. */
export const limitData: ToxicType = {
  name: 'limit_data',
  goStruct: 'LimitDataToxic',
  attributes: { bytes: 'int64' },
  newState: () => new LimitDataState(),
  async pipe(stub, { bytes = 0 }) {
    const state = stub.state instanceof LimitDataState ? stub.state : (stub.state = new LimitDataState());
    for (;;) {
      let item = stub.nextChunk();
      if (item instanceof Promise) item = await item;
      if (!item) return;
      const remaining = Math.max(0, bytes - state.transmitted);
      const data = item.data.length > remaining ? item.data.subarray(0, remaining) : item.data;
      if (data.length > 0) {
        stub.emit({ data, arrivedAt: item.arrivedAt });
        state.transmitted += data.length;
      }
      // Checked after a chunk, not at start: with `bytes` 0 the connection closes at its first data.
      if (bytes - state.transmitted <= 0) {
        stub.close();
        return;
      }
    }
  },
};
