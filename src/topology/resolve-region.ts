import { GeoctlError } from '../errors.js';
import type { Region, Topology } from './topology.js';

/** What a region looks like in a list for the user: `eu-west (aliases: eu)`. */
export function describeRegion(region: Pick<Region, 'name' | 'aliases'>): string {
  return region.aliases.length === 0 ? region.name : `${region.name} (aliases: ${region.aliases.join(', ')})`;
}

export function describeRegions(regions: ReadonlyArray<Pick<Region, 'name' | 'aliases'>>): string {
  return regions.map(describeRegion).join(', ');
}

/** Exact name, then exact alias: the only forms a topology file may use, so adding a region never breaks it. */
export function findRegionExactly<R extends Pick<Region, 'name' | 'aliases'>>(
  regions: readonly R[],
  nameOrAlias: string,
): R | undefined {
  return (
    regions.find((region) => region.name === nameOrAlias) ??
    regions.find((region) => region.aliases.includes(nameOrAlias))
  );
}

/**
 * A region named on the command line: by exact name, by alias, or by a prefix of a name or alias that
 * matches exactly one region (`ap` for `ap-south`). Exact matches win, so an alias that is also a prefix of
 * another region's name still picks its own region.
 */
export function resolveRegion(topology: Topology, nameOrAlias: string): Region {
  const exact = findRegionExactly(topology.regions, nameOrAlias);
  if (exact) return exact;
  // Every name starts with "", so an empty input would silently pick the only region.
  const candidates =
    nameOrAlias === ''
      ? []
      : topology.regions.filter((region) =>
          [region.name, ...region.aliases].some((word) => word.startsWith(nameOrAlias)),
        );
  const [only] = candidates;
  if (candidates.length === 1 && only) return only;
  if (candidates.length > 1) throw ambiguousRegion(nameOrAlias, candidates);
  throw unknownRegion(topology, nameOrAlias);
}

/** `us-east,eu` → the regions in the order given, each once; empty entries (`us,,eu`) are mistakes. */
export function resolveRegionGroup(topology: Topology, group: string): Region[] {
  const entries = group.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) {
    throw new GeoctlError('E_INVALID_VALUE', `region group "${group}" has an empty entry`, {
      hint: `Separate region names with single commas, e.g. ${exampleGroup(topology)}.`,
      details: { group },
    });
  }
  const regions = new Map<string, Region>();
  for (const entry of entries) {
    const region = resolveRegion(topology, entry);
    if (!regions.has(region.name)) regions.set(region.name, region);
  }
  return [...regions.values()];
}

function unknownRegion(topology: Topology, input: string): GeoctlError {
  return new GeoctlError(
    'E_INVALID_VALUE',
    `unknown region "${input}"; known regions: ${describeRegions(topology.regions)}`,
    {
      hint: `Regions are defined in ${topology.file}; name one by its name, an alias or a unique prefix.`,
      details: { region: input, known: topology.regions.map(({ name, aliases }) => ({ name, aliases })) },
    },
  );
}

function ambiguousRegion(input: string, candidates: readonly Region[]): GeoctlError {
  return new GeoctlError(
    'E_INVALID_VALUE',
    `region "${input}" is ambiguous; it could be ${describeRegions(candidates)}`,
    {
      hint: 'Type more of the name, or use the full name or an alias.',
      details: { region: input, candidates: candidates.map((region) => region.name) },
    },
  );
}

function exampleGroup(topology: Topology): string {
  return topology.regions
    .slice(0, 2)
    .map((region) => region.name)
    .join(',');
}
