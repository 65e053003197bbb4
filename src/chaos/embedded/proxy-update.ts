import { apiErrors } from './api-error.js';
import type { ProxyBody } from './api-go-types.js';
import { resolveTcpAddress } from './net-address.js';
import type { Proxy } from './proxy.js';

/**
 * Toxiproxy's Proxy.Update: when the listen address (resolved, compared with the bound address) or the
 * upstream differs, the proxy is stopped and takes the new values; then, if `enabled` differs, it is
 * started or stopped. So an address change restarts an enabled proxy and leaves a disabled one disabled,
 * and a failed bind leaves it disabled with the new values (a 500 with Go's bind error).
 */
export async function updateProxy(proxy: Proxy, input: ProxyBody): Promise<void> {
  const resolvedListen = await resolveListen(input.listen);
  if (resolvedListen !== proxy.listen || input.upstream !== proxy.upstream) {
    await proxy.stop();
    proxy.listen = input.listen;
    proxy.upstream = input.upstream;
  }
  if (input.enabled !== proxy.enabled) {
    if (input.enabled) await proxy.start();
    else await proxy.stop();
  }
}

/**
 * What Go's net.ResolveTCPAddr("tcp", listen).String() prints: "" is ":0", an empty host stays empty,
 * IP literals print as such ("[::]:80"), names resolve to an address. Errors are Go's texts, as a 500.
 */
async function resolveListen(listen: string): Promise<string> {
  try {
    return (await resolveTcpAddress(listen === '' ? ':0' : listen)).text;
  } catch (error) {
    throw apiErrors.internal(error instanceof Error ? error.message : String(error));
  }
}
