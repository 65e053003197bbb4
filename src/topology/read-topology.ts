import { isScalar, type Document } from 'yaml';
import { LINK_PROTOCOL_NAMES } from '../chaos/link-check/protocols.js';
import { storeAdapters } from '../stores/registry.js';
import { didYouMean } from './did-you-mean.js';
import { childPath } from './problems.js';
import { REGION_NAME_PATTERN, type StoreSection, type ToxiproxyServer } from './topology.js';
import { quote, type Field, type FieldReader, type MapEntry } from './yaml-fields.js';

/**
 * The file's shape, read field by field. Fields that failed to read are left out (their problem is
 * already recorded), so the cross-checks can still run on whatever did read.
 */
export interface RegionDraft {
  name: string;
  nameOffset: number;
  path: string;
  aliases: Field[];
  listen?: Field;
  upstream?: Field;
}

export interface LinkDraft {
  offset: number;
  path: string;
  from?: Field;
  to?: Field;
  listen?: Field;
  upstream?: Field;
}

export interface TopologyDraft {
  toxiproxy?: ToxiproxyServer;
  protocol?: string;
  store?: StoreSection;
  regions: RegionDraft[];
  links: LinkDraft[];
}

const TOP_KEYS = ['toxiproxy', 'protocol', 'store', 'regions', 'links'] as const;
const REGION_KEYS = ['aliases', 'client'] as const;
const ENDPOINT_KEYS = ['listen', 'upstream'] as const;
const LINK_KEYS = ['from', 'to', 'listen', 'upstream'] as const;
const TOXIPROXY_EXPECTED = '"embedded" or an http(s) URL (e.g. http://127.0.0.1:8474)';
const NAME_RULE = 'lower-case letters, digits, "-" and "_", starting with a letter or digit';

export function readTopology(doc: Document, reader: FieldReader): TopologyDraft {
  const draft: TopologyDraft = { regions: [], links: [] };
  const root = reader.map(doc.contents, '', 0, 'a map with keys toxiproxy, regions and links');
  if (root === undefined) return draft;
  const entries = reader.known(root, '', TOP_KEYS);
  const at = reader.offsetOf(root, 0);
  const toxiproxy = required(reader, entries, 'toxiproxy', at, '', TOXIPROXY_EXPECTED);
  if (toxiproxy) draft.toxiproxy = readToxiproxy(reader, toxiproxy);
  const protocol = entries.get('protocol');
  if (protocol) draft.protocol = readProtocol(reader, protocol);
  const store = entries.get('store');
  if (store) draft.store = readStore(reader, store);
  const regions = required(reader, entries, 'regions', at, '', 'a map of regions');
  if (regions) draft.regions = readRegions(reader, regions);
  const links = entries.get('links');
  if (links && !isEmptyValue(links.value)) draft.links = readLinks(reader, links);
  return draft;
}

/** The entry for a required key, or undefined after reporting it missing at the enclosing map. */
function required(
  reader: FieldReader,
  entries: Map<string, MapEntry>,
  key: string,
  mapOffset: number,
  mapPath: string,
  expected: string,
): MapEntry | undefined {
  const entry = entries.get(key);
  if (entry === undefined) reader.report(mapOffset, childPath(mapPath, key), `missing; expected ${expected}`);
  return entry;
}

function readToxiproxy(reader: FieldReader, entry: MapEntry): ToxiproxyServer | undefined {
  const field = reader.string(entry.value, entry.path, entry.keyOffset, TOXIPROXY_EXPECTED);
  if (field === undefined) return undefined;
  if (field.value === 'embedded') return { kind: 'embedded' };
  if (isHttpUrl(field.value)) return { kind: 'url', url: field.value };
  reader.report(field.offset, field.path, `expected ${TOXIPROXY_EXPECTED}, got ${quote(field.raw)}`);
  return undefined;
}

/**
 * `store:` is read as plain data; its adapter checks the options (store/registry.ts) and its problems
 * are placed at the line of the option they concern. Adapters are checked later against the built
 * topology (they may need the regions), see checkStoreOptions in build-topology.ts.
 */
function readStore(reader: FieldReader, entry: MapEntry): StoreSection | undefined {
  const expected = `a map with type (${[...storeAdapters.keys()].join(', ')}) and its options`;
  const map = reader.map(entry.value, entry.path, entry.keyOffset, expected);
  if (map === undefined) return undefined;
  const offsets = new Map<string, number>();
  const options = reader.plain(map, 'store', entry.keyOffset, offsets) as Record<string, unknown>;
  const type = options.type;
  const names = [...storeAdapters.keys()];
  if (typeof type !== 'string') {
    reader.report(
      offsets.get('store.type') ?? entry.keyOffset,
      'store.type',
      `missing; expected one of ${names.join(', ')}`,
    );
    return undefined;
  }
  if (!storeAdapters.has(type)) {
    reader.report(
      offsets.get('store.type')!,
      'store.type',
      `unknown store type${didYouMean(type, names)}; expected one of ${names.join(', ')}`,
    );
    return undefined;
  }
  return { type, options, offsets, asWritten: reader.substituted };
}

function readProtocol(reader: FieldReader, entry: MapEntry): string | undefined {
  const expected = `one of ${LINK_PROTOCOL_NAMES.join(', ')}`;
  const field = reader.string(entry.value, entry.path, entry.keyOffset, expected);
  if (field === undefined) return undefined;
  if (LINK_PROTOCOL_NAMES.includes(field.value)) return field.value;
  reader.report(field.offset, field.path, `expected ${expected}, got ${quote(field.raw)}`);
  return undefined;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function readRegions(reader: FieldReader, entry: MapEntry): RegionDraft[] {
  const map = reader.map(entry.value, entry.path, entry.keyOffset, 'a map of regions');
  if (map === undefined) return [];
  const regions = reader.entries(map, entry.path).map((region) => readRegion(reader, region));
  if (regions.length === 0)
    reader.report(reader.offsetOf(map, entry.keyOffset), entry.path, 'expected at least one region');
  return regions;
}

function readRegion(reader: FieldReader, entry: MapEntry): RegionDraft {
  const draft: RegionDraft = { name: entry.key, nameOffset: entry.keyOffset, path: entry.path, aliases: [] };
  if (!REGION_NAME_PATTERN.test(entry.key)) {
    reader.report(entry.keyOffset, entry.path, `region names use ${NAME_RULE}, got ${quote(entry.key)}`);
  }
  const map = reader.map(entry.value, entry.path, entry.keyOffset, 'a map with client: { listen, upstream }');
  if (map === undefined) return draft;
  const entries = reader.known(map, entry.path, REGION_KEYS);
  const aliases = entries.get('aliases');
  if (aliases) draft.aliases = readAliases(reader, aliases);
  const client = required(
    reader,
    entries,
    'client',
    reader.offsetOf(map, entry.keyOffset),
    entry.path,
    'a map with listen and upstream',
  );
  if (client) readClient(reader, client, draft);
  return draft;
}

function readAliases(reader: FieldReader, entry: MapEntry): Field[] {
  const seq = reader.seq(entry.value, entry.path, entry.keyOffset, 'a list of aliases (e.g. [eu])');
  if (seq === undefined) return [];
  const fallback = reader.offsetOf(seq, entry.keyOffset);
  const aliases = seq.items.map((item, index) =>
    reader.string(item, childPath(entry.path, index), fallback, 'an alias'),
  );
  return aliases.filter((alias): alias is Field => alias !== undefined && isValidAlias(reader, alias));
}

function isValidAlias(reader: FieldReader, alias: Field): boolean {
  if (REGION_NAME_PATTERN.test(alias.value)) return true;
  reader.report(alias.offset, alias.path, `aliases use ${NAME_RULE}, got ${quote(alias.raw)}`);
  return false;
}

function readClient(reader: FieldReader, entry: MapEntry, draft: RegionDraft): void {
  const map = reader.map(entry.value, entry.path, entry.keyOffset, 'a map with listen and upstream');
  if (map === undefined) return;
  const entries = reader.known(map, entry.path, ENDPOINT_KEYS);
  const at = reader.offsetOf(map, entry.keyOffset);
  Object.assign(draft, readEndpoint(reader, entries, at, entry.path, ['127.0.0.1:17002', '127.0.0.1:7002']));
}

/** listen and upstream, both required, from a client or link map. */
function readEndpoint(
  reader: FieldReader,
  entries: Map<string, MapEntry>,
  at: number,
  path: string,
  [listenExample, upstreamExample]: [string, string],
): { listen?: Field; upstream?: Field } {
  const endpoint: { listen?: Field; upstream?: Field } = {};
  for (const [key, example] of [
    ['listen', listenExample],
    ['upstream', upstreamExample],
  ] as const) {
    const entry = required(reader, entries, key, at, path, `host:port (e.g. ${example})`);
    const field = entry && reader.hostPort(entry.value, entry.path, entry.keyOffset, example);
    if (field) endpoint[key] = field;
  }
  return endpoint;
}

function readLinks(reader: FieldReader, entry: MapEntry): LinkDraft[] {
  const expected = 'a list of links (e.g. - { from: eu-west, to: us-east, listen: ..., upstream: ... })';
  const seq = reader.seq(entry.value, entry.path, entry.keyOffset, expected);
  if (seq === undefined) return [];
  const fallback = reader.offsetOf(seq, entry.keyOffset);
  return seq.items.map((item, index) => readLink(reader, item, childPath(entry.path, index), fallback));
}

function readLink(reader: FieldReader, node: unknown, path: string, fallback: number): LinkDraft {
  const offset = reader.offsetOf(node, fallback);
  const draft: LinkDraft = { offset, path };
  const map = reader.map(node, path, fallback, 'a map with from, to, listen and upstream');
  if (map === undefined) return draft;
  const entries = reader.known(map, path, LINK_KEYS);
  for (const key of ['from', 'to'] as const) {
    const entry = required(reader, entries, key, offset, path, 'a region name or alias');
    const field = entry && reader.string(entry.value, entry.path, entry.keyOffset, 'a region name or alias');
    if (field) draft[key] = field;
  }
  return { ...draft, ...readEndpoint(reader, entries, offset, path, ['127.0.0.1:18021', '127.0.0.1:7001']) };
}

/** `links:` with nothing after it means no links, like leaving the key out. */
function isEmptyValue(node: unknown): boolean {
  return isScalar(node) && node.value === null;
}
