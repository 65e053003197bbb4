import { GeoctlError } from '../errors.js';
import type { LinkDraft, RegionDraft, TopologyDraft } from './read-topology.js';
import { clientProxyName, linkProxyName, type Link, type Region, type Topology } from './topology.js';
import type { Field } from './yaml-fields.js';

/**
 * Turns a draft that passed every check into the model. Only called when no problem was recorded, so a
 * missing field here is a bug in the checks, not in the user's file.
 */
export function buildTopology(
  file: string,
  draft: TopologyDraft,
  regionOf: ReadonlyMap<Field, string>,
): Topology {
  return {
    file,
    toxiproxy: present(draft.toxiproxy, 'toxiproxy'),
    protocol: draft.protocol ?? 'tcp',
    ...(draft.store ? { store: draft.store } : {}),
    regions: draft.regions.map(buildRegion),
    links: draft.links.map((link) => buildLink(link, regionOf)),
  };
}

function buildRegion(draft: RegionDraft): Region {
  return {
    name: draft.name,
    aliases: draft.aliases.map((alias) => alias.value),
    client: {
      listen: present(draft.listen, `${draft.path}.client.listen`).value,
      upstream: present(draft.upstream, `${draft.path}.client.upstream`).value,
      proxy: clientProxyName(draft.name),
    },
  };
}

function buildLink(draft: LinkDraft, regionOf: ReadonlyMap<Field, string>): Link {
  const from = present(regionOf.get(present(draft.from, `${draft.path}.from`)), `${draft.path}.from`);
  const to = present(regionOf.get(present(draft.to, `${draft.path}.to`)), `${draft.path}.to`);
  return {
    from,
    to,
    listen: present(draft.listen, `${draft.path}.listen`).value,
    upstream: present(draft.upstream, `${draft.path}.upstream`).value,
    proxy: linkProxyName(from, to),
  };
}

function present<T>(value: T | undefined, path: string): T {
  if (value === undefined) {
    throw new GeoctlError('E_INTERNAL', `topology check passed but ${path} was not read`);
  }
  return value;
}
