import { GeoctlError } from '../../errors.js';
import type { Topology } from '../../topology/topology.js';
import { resolveToxiproxyUrl } from '../toxiproxy-url.js';
import { findEmbedded, startEmbedded, type EmbeddedRecord } from './embedded-daemon.js';

/** The Toxiproxy a topology's commands act on. `url` is undefined when the embedded server is not running. */
export interface ToxiproxyTarget {
  kind: 'embedded' | 'url';
  url: string | undefined;
  /** Where the URL came from, for messages. */
  from: string;
  embedded?: EmbeddedRecord;
}

export interface TargetOptions {
  flagUrl?: string | undefined;
  stateDir: string;
  /** Start the embedded server when it is not running (deploy does; the fault commands do not). */
  start?: boolean;
}

export async function resolveTarget(topology: Topology, options: TargetOptions): Promise<ToxiproxyTarget> {
  if (options.flagUrl) {
    return { kind: 'url', url: resolveToxiproxyUrl({ flag: options.flagUrl }).url, from: '--toxiproxy-url' };
  }
  if (topology.toxiproxy.kind === 'url') {
    return {
      kind: 'url',
      url: resolveToxiproxyUrl({ config: topology.toxiproxy.url }).url,
      from: topology.file,
    };
  }
  const running = await findEmbedded(options.stateDir);
  const embedded =
    running ?? (options.start ? await startEmbedded(options.stateDir, topology.file) : undefined);
  return {
    kind: 'embedded',
    url: embedded?.url,
    from: 'the embedded server',
    ...(embedded ? { embedded } : {}),
  };
}

/** The URL, or a clear error saying the embedded server is not running and how to start it. */
export function requireUrl(target: ToxiproxyTarget, topology: Topology): string {
  if (target.url) return target.url;
  throw new GeoctlError(
    'E_TOXIPROXY_UNREACHABLE',
    `the embedded Toxiproxy server (for ${topology.file}: toxiproxy: embedded) is not running, so there are no proxies to act on`,
    { hint: 'Run `geoctl deploy` first: it starts the embedded server and creates the proxies.' },
  );
}
