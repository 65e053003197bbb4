import type { Clock } from './clock.js';

/**
 * Starts `operation` `rate` times a second (open loop: the schedule does not slip when operations are
 * slow) with at most `concurrency` in flight; when all slots are busy the next start waits for one, and
 * `late` counts how often that happened. Stops starting new operations when `signal` aborts, then waits
 * for those in flight.
 *
 * An operation that throws is a crash of the probe, not a data point: the pacer stops starting new ones,
 * waits for those in flight, and rethrows the first error, so the caller (a scenario run) can heal and
 * report it. Left in flight, the rejection would be unhandled and take the process down unhealed.
 */
export async function pace(
  options: { rate: number; concurrency: number; clock: Clock; signal: AbortSignal },
  operation: (index: number) => Promise<void>,
): Promise<{ started: number; late: number; elapsedMs: number }> {
  const { rate, concurrency, clock, signal } = options;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  if (signal.aborted) stop.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  const start = clock.now();
  let late = 0;
  let index = 0;
  // One promise for the whole run: a fresh one per saturated slot would pile up abort listeners.
  const stopped = abortPromise(stop.signal);
  try {
    while (!stop.signal.aborted) {
      const due = start + (index * 1000) / rate;
      const wait = due - clock.now();
      if (wait > 0) await clock.sleep(wait, stop.signal);
      if (stop.signal.aborted) break;
      if (inFlight.size >= concurrency) {
        late += 1;
        await Promise.race([...inFlight, stopped]);
        if (stop.signal.aborted) break;
      }
      const running: Promise<void> = operation(index)
        .catch((error: unknown) => {
          failure ??= { error };
          stop.abort();
        })
        .finally(() => inFlight.delete(running));
      inFlight.add(running);
      index += 1;
    }
    await Promise.all([...inFlight]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort(); // settles `stopped`
  }
  if (failure) throw failure.error;
  return { started: index, late, elapsedMs: clock.now() - start };
}

function abortPromise(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
