import { now } from '../precise-timer.js';
import type { ToxicType } from './toxic-type.js';

/** Go computes `rate*100` in int64; above this it overflows negative and the slice expression panics. */
const MAX_RATE = 2 ** 63 / 100;

/**
 * Passes data at `rate` KB/s (KB = 1000 B). Like Toxiproxy, chunks larger than 100 ms worth of data go out
 * in 100 ms slices, and the owed sleep carries the timer's error into the next chunk so the long-run rate
 * stays exact.
 */
export const bandwidth: ToxicType = {
  name: 'bandwidth',
  goStruct: 'BandwidthToxic',
  attributes: { rate: 'int64' },
  validate({ rate = 0 }) {
    if (rate <= 0)
      return 'bandwidth rate must be greater than 0 (the official server stalls all data at 0 or less)';
    if (rate > MAX_RATE)
      return 'bandwidth rate is too large (the official server overflows rate*100 and crashes)';
    return undefined;
  },
  async pipe(stub, { rate = 0 }) {
    // Go's `sleep`: what this connection still owes in ms; negative when timers fired late.
    let owed = 0;
    // At rate <= 0 Go emits empty 100 ms slices forever: the data stalls until the toxic is interrupted.
    const sliceBytes = Math.max(0, rate * 100);
    for (;;) {
      let item = stub.nextChunk();
      if (item instanceof Promise) item = await item;
      if (!item) return;
      const arrivedAt = item.arrivedAt;
      let data = item.data;
      // Go: len * time.Millisecond / rate, in whole nanoseconds.
      owed = rate <= 0 ? 0 : owed + Math.floor((data.length * 1e6) / rate) / 1e6;
      while (data.length > sliceBytes) {
        let slept = stub.sleep(100);
        if (slept instanceof Promise) slept = await slept;
        if (!slept) {
          stub.emit({ data, arrivedAt });
          return;
        }
        if (sliceBytes > 0) stub.emit({ data: data.subarray(0, sliceBytes), arrivedAt });
        data = data.subarray(sliceBytes);
        owed -= 100;
      }
      const start = now();
      let slept = stub.sleep(owed);
      if (slept instanceof Promise) slept = await slept;
      if (!slept) {
        stub.emit({ data, arrivedAt });
        return;
      }
      owed -= now() - start;
      stub.emit({ data, arrivedAt });
    }
  },
};
