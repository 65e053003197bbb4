import type { ToxicType } from './toxic-type.js';

/**
 * Delays each chunk by latency ± jitter, measured from the chunk's arrival, in order. Chunks queue behind
 * one another, so a chunk never overtakes the one before it even when jitter would allow it.
 */
export const latency: ToxicType = {
  name: 'latency',
  goStruct: 'LatencyToxic',
  attributes: { latency: 'int64', jitter: 'int64' },
  // Toxiproxy buffers 1024 chunks (up to 32 KiB each) so data in flight does not stall the sender.
  bufferBytes: 32 << 20,
  validate({ jitter = 0 }) {
    // Go draws rand.Int63n(2*jitter): from 2^62 the product overflows and Int63n panics, killing the server.
    if (jitter >= 2 ** 62)
      return 'latency jitter must be less than 4611686018427387904 (the official server crashes on it)';
    return undefined;
  },
  async pipe(stub, { latency = 0, jitter = 0 }) {
    for (;;) {
      let item = stub.nextChunk();
      if (item instanceof Promise) item = await item;
      if (!item) return;
      // Go: latency + rand.Int63n(2*jitter) - jitter, i.e. U[-jitter, +jitter).
      const offset = jitter > 0 ? Math.floor(Math.random() * 2 * jitter) - jitter : 0;
      const releaseAt = item.arrivedAt + latency + offset;
      let slept = stub.sleepUntil(releaseAt);
      if (slept instanceof Promise) slept = await slept;
      if (!slept) {
        // Interrupted mid-wait: pass the chunk on now rather than drop it, as Toxiproxy does.
        stub.emit(item);
        return;
      }
      // Re-stamp so a latency toxic further down the chain adds its delay on top of this one.
      stub.emit({ data: item.data, arrivedAt: Math.max(releaseAt, item.arrivedAt) });
    }
  },
};
