import type { Attributes, ToxicType } from './toxic-type.js';

/**
 * Splits each chunk into pieces of about `average_size` ± `size_variation` bytes, `delay` µs apart.
 * The split is Toxiproxy's: halve recursively, moving each cut by U[-variation, variation] bytes.
 */
export const slicer: ToxicType = {
  name: 'slicer',
  goStruct: 'SlicerToxic',
  attributes: { average_size: 'int', size_variation: 'int', delay: 'int' },
  validate: validateSlicer,
  async pipe(stub, { average_size = 0, size_variation = 0, delay = 0 }) {
    for (;;) {
      let item = stub.nextChunk();
      if (item instanceof Promise) item = await item;
      if (!item) return;
      const { data, arrivedAt } = item;
      let from = 0;
      for (const to of sliceEnds(data.length, average_size, size_variation)) {
        stub.emit({ data: data.subarray(from, to), arrivedAt });
        from = to;
        // Go waits after every piece, the last one included.
        let slept = stub.sleep(delay / 1000);
        if (slept instanceof Promise) slept = await slept;
        if (!slept) {
          if (from < data.length) stub.emit({ data: data.subarray(from), arrivedAt });
          return;
        }
      }
    }
  },
};

function validateSlicer({ average_size = 0, size_variation = 0 }: Attributes): string | undefined {
  if (average_size <= 0) {
    return 'slicer average_size must be greater than 0 (the official server crashes on 0 or less)';
  }
  if (size_variation < 0) {
    return 'slicer size_variation must not be negative (the official server can crash on it)';
  }
  if (size_variation >= average_size) {
    return 'slicer size_variation must be less than average_size (the official server can crash with out-of-range slices)';
  }
  return undefined;
}

/** End offset of each piece of a `length`-byte chunk, in order; the last is `length`. */
export function sliceEnds(
  length: number,
  average: number,
  variation: number,
  random = Math.random,
): number[] {
  const ends: number[] = [];
  const randInt = (n: number): number => Math.floor(random() * n);
  const split = (start: number, end: number): void => {
    if (end - start - average <= variation || end - start < 2) {
      ends.push(end);
      return;
    }
    let mid = start + Math.floor((end - start) / 2);
    // Toxiproxy skips the jitter when size_variation is 0 (rand.Intn(0) would panic).
    if (variation > 0) mid += randInt(variation * 2) - variation + randInt(2);
    // Attributes that pass validate() never need this clamp (nor the `< 2` above); they only stop bad ones
    // from recursing forever, where Toxiproxy overflows its stack or slices out of range.
    mid = Math.min(Math.max(mid, start + 1), end - 1);
    split(start, mid);
    split(mid, end);
  };
  if (length > 0) split(0, length);
  return ends;
}
