/**
 * Polls `check` every `intervalMs` until it returns something other than undefined or false, and returns that;
 * throws, naming `what` and the check's last error, once `timeoutMs` has passed. For effects of another process
 * (a replica catching up, a guard stopping servers) that give the test no event to await. A check that throws
 * is retried: servers refuse connections while they start.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
