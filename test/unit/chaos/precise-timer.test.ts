import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { atTime } from '../../../src/chaos/embedded/precise-timer.js';

/** Schedules callbacks at the given offsets (ms from now); resolves with [offset, fired late by ms]. */
function fireAll(offsets: readonly number[]): Promise<Array<[number, number]>> {
  const start = performance.now();
  const fired: Array<[number, number]> = [];
  return new Promise((resolve) => {
    for (const offset of offsets) {
      const deadline = start + offset;
      atTime(deadline, () => {
        fired.push([offset, performance.now() - deadline]);
        if (fired.length === offsets.length) resolve(fired);
      });
    }
  });
}

describe('precise timer', () => {
  it('never fires early, and fires in deadline order', async () => {
    // Offsets around whole milliseconds and the spin window, where a libuv timer fires early or rounds.
    const offsets = [0.2, 0.9, 1.0, 1.4, 2.3, 2.5, 3.1, 5.0, 7.7, 12.0, 25.0];
    const fired = await fireAll([...offsets].reverse());
    expect(fired.map(([offset]) => offset)).toEqual(offsets);
    for (const [, late] of fired) expect(late).toBeGreaterThanOrEqual(0);
  });

  it('does not fire a cancelled callback', async () => {
    let cancelledFired = false;
    const cancel = atTime(performance.now() + 3, () => (cancelledFired = true));
    cancel();
    await fireAll([6]);
    expect(cancelledFired).toBe(false);
  });

  it('lets the event loop run while it spins towards a deadline', async () => {
    // A release 2 ms away is inside the spin window from the start. The spin must keep yielding to the
    // event loop, so a chain of setImmediate callbacks goes on running until the release (hundreds of
    // turns; a spin that held the loop for the whole window would allow one or two).
    let turns = 0;
    let released = false;
    const chain = (): void => {
      if (released) return;
      turns++;
      setImmediate(chain);
    };
    await new Promise<void>((resolve) => {
      atTime(performance.now() + 2, () => {
        released = true;
        resolve();
      });
      setImmediate(chain);
    });
    expect(turns).toBeGreaterThan(20);
  });
});
