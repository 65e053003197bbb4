import { GeoctlError } from '../errors.js';

export const DEFAULT_TOXIPROXY_URL = 'http://127.0.0.1:8474';

export interface ToxiproxyUrlSources {
  flag?: string | undefined;
  config?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** Which Toxiproxy to talk to: the flag, else the topology/config, else TOXIPROXY_URL, else the default. */
export function resolveToxiproxyUrl(sources: ToxiproxyUrlSources): { url: string; from: string } {
  const env = sources.env ?? process.env;
  const candidates: Array<[string | undefined, string]> = [
    [sources.flag, '--toxiproxy-url'],
    [sources.config, 'the config file'],
    [env.TOXIPROXY_URL, 'TOXIPROXY_URL'],
  ];
  for (const [value, from] of candidates) {
    if (value !== undefined && value !== '') return { url: normaliseUrl(value, from), from };
  }
  return { url: DEFAULT_TOXIPROXY_URL, from: 'the default' };
}

function normaliseUrl(value: string, from: string): string {
  // toxiproxy-cli accepts a bare host:port; so do we.
  const withScheme = /^[a-z]+:\/\//i.test(value) ? value : `http://${value}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new GeoctlError('E_INVALID_VALUE', `${from}: "${value}" is not a Toxiproxy URL`, {
      hint: 'Expected something like http://127.0.0.1:8474.',
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new GeoctlError('E_INVALID_VALUE', `${from}: "${value}" must be an http:// or https:// URL`, {
      hint: 'Expected something like http://127.0.0.1:8474.',
    });
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}
