/**
 * Every toxic left on a Toxiproxy server, and every proxy left disabled, read from its HTTP API: ground
 * truth for "no fault left behind" that does not take geoctl's own word for it.
 */
export async function faultsLeftOn(url: string): Promise<string[]> {
  const res = await fetch(`${url}/proxies`);
  if (res.status !== 200) throw new Error(`GET ${url}/proxies: ${res.status}`);
  const proxies = (await res.json()) as Record<string, { enabled: boolean; toxics: Array<{ name: string }> }>;
  return Object.entries(proxies).flatMap(([name, p]) => [
    ...p.toxics.map((t) => `${name}: toxic ${t.name}`),
    ...(p.enabled ? [] : [`${name}: disabled`]),
  ]);
}

/** The Toxiproxy URL `geoctl deploy --json` used. */
export function deployedUrl(stdout: string): string {
  return (JSON.parse(stdout) as { url: string }).url;
}
