/** Resolves with the signal's name on the first SIGINT or SIGTERM, and stops listening for both. */
export function waitForShutdownSignal(): { promise: Promise<NodeJS.Signals>; cancel(): void } {
  let handler: ((signal: NodeJS.Signals) => void) | undefined;
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    handler = (signal) => {
      cancel();
      resolve(signal);
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
  function cancel(): void {
    if (!handler) return;
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    handler = undefined;
  }
  return { promise, cancel };
}
