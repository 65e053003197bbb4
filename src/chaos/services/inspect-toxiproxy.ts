import { ToxiproxyDriver, type ProxyState } from '../toxiproxy-driver.js';

export interface ToxiproxyInventory {
  url: string;
  version: string;
  proxies: ProxyState[];
}

/** What a Toxiproxy server holds: its version and every proxy with its toxics. */
export async function inspectToxiproxy(url: string): Promise<ToxiproxyInventory> {
  const driver = new ToxiproxyDriver(url);
  const version = await driver.version();
  const proxies = (await driver.listProxies()).sort((a, b) => a.name.localeCompare(b.name));
  return { url, version, proxies };
}
