import { formatAddress, isWildcard, splitHostPort } from '../chaos/embedded/net-address.js';
import type { LinkDraft, RegionDraft, TopologyDraft } from './read-topology.js';
import { describeRegions, findRegionExactly } from './resolve-region.js';
import { quote, type Field, type FieldReader } from './yaml-fields.js';

/**
 * Checks that span several fields: alias clashes, links naming known and distinct regions, and listen
 * addresses that would collide when deploy binds them. Returns the canonical region name for each link end
 * (a link may name a region by alias).
 */
export function checkTopology(draft: TopologyDraft, reader: FieldReader): Map<Field, string> {
  checkAliases(draft.regions, reader);
  const regionOf = checkLinkEnds(draft, reader);
  checkLinkPairs(draft.links, regionOf, reader);
  checkListenAddresses(draft, reader);
  return regionOf;
}

function checkAliases(regions: readonly RegionDraft[], reader: FieldReader): void {
  const owners = new Map<string, string>();
  for (const region of regions) {
    for (const alias of region.aliases) {
      const clash = aliasClash(alias.value, region.name, regions, owners);
      if (clash) reader.report(alias.offset, alias.path, `alias ${quote(alias.raw)} ${clash}`);
      else owners.set(alias.value, region.name);
    }
  }
}

/** Why an alias cannot be used, or undefined if it is free: every name and alias must pick one region. */
function aliasClash(
  alias: string,
  region: string,
  regions: readonly RegionDraft[],
  owners: ReadonlyMap<string, string>,
): string | undefined {
  if (regions.some((other) => other.name === alias)) return `is already the name of region ${alias}`;
  const owner = owners.get(alias);
  if (owner === region) return `is listed twice for region ${region}`;
  if (owner !== undefined) return `is already an alias of region ${owner}`;
  return undefined;
}

function checkLinkEnds(draft: TopologyDraft, reader: FieldReader): Map<Field, string> {
  const regionOf = new Map<Field, string>();
  const ends = draft.links.flatMap((link) => [link.from, link.to]);
  const lookup = draft.regions.map((region) => ({
    name: region.name,
    aliases: region.aliases.map((a) => a.value),
  }));
  for (const end of ends) {
    if (end === undefined) continue;
    const region = findRegionExactly(lookup, end.value);
    if (region) regionOf.set(end, region.name);
    else reportUnknownRegion(end, draft.regions, reader);
  }
  return regionOf;
}

function reportUnknownRegion(end: Field, regions: readonly RegionDraft[], reader: FieldReader): void {
  // Aliases shown as written: a `${VAR}` alias stays `${VAR}`, like every other value in a message.
  const shown = regions.map((region) => ({ name: region.name, aliases: region.aliases.map((a) => a.raw) }));
  const known = shown.length === 0 ? 'none are defined' : `known regions: ${describeRegions(shown)}`;
  reader.report(end.offset, end.path, `unknown region ${quote(end.raw)}; ${known}`);
}

function checkLinkPairs(
  links: readonly LinkDraft[],
  regionOf: Map<Field, string>,
  reader: FieldReader,
): void {
  const seen = new Map<string, LinkDraft>();
  for (const link of links) {
    const from = link.from && regionOf.get(link.from);
    const to = link.to && regionOf.get(link.to);
    if (from === undefined || to === undefined) continue;
    if (from === to) {
      reader.report(
        link.offset,
        link.path,
        `from and to are both region ${from}; a link joins two different regions`,
      );
      continue;
    }
    const first = seen.get(`${from} ${to}`);
    if (first) {
      const message = `${first.path} already links ${from} to ${to}; each direction between two regions has one link`;
      reader.report(link.offset, link.path, message);
    } else seen.set(`${from} ${to}`, link);
  }
}

/** Two proxies cannot bind one address, and a wildcard host takes the port on every interface. */
function checkListenAddresses(draft: TopologyDraft, reader: FieldReader): void {
  const listens = [...draft.regions, ...draft.links]
    .map((owner) => owner.listen)
    .filter((field): field is Field => field !== undefined)
    .sort((a, b) => a.offset - b.offset);
  const bound: Array<{ field: Field; host: string; port: number }> = [];
  for (const field of listens) {
    const parsed = splitHostPort(field.value);
    if (typeof parsed === 'string') continue;
    const host = canonicalHost(parsed.host);
    const clash = bound.find((other) => other.port === parsed.port && overlaps(other.host, host));
    if (clash) {
      const message = `listen address ${quote(field.raw)} is already used by ${clash.field.path}`;
      reader.report(field.offset, field.path, message);
    } else bound.push({ field, host, port: parsed.port });
  }
}

function canonicalHost(host: string): string {
  return isWildcard(host) ? '*' : formatAddress(host.toLowerCase(), 0);
}

function overlaps(a: string, b: string): boolean {
  return a === b || a === '*' || b === '*';
}
