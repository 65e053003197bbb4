import { GeoctlError } from '../../errors.js';
import type { Topology } from '../../topology/topology.js';

/**
 * What `geoctl fixture postgres` starts for a topology, as plain data (no I/O): one PostgreSQL server per
 * region on its `client.upstream` port; the first region's is the primary, the others are hot standbys
 * (pg_basebackup) that stream from it through the link proxy from their region to the primary's
 * (`primary_conninfo` host/port = that link's listen address), each on its own physical replication slot.
 * docs/stores/postgres.md says why.
 */
export interface PostgresNodePlan {
  region: string;
  /** The server's own port (the region's client.upstream). */
  port: number;
  /** For a standby: the link proxy it streams through, and its replication slot on the primary. */
  standbyOf?: { host: string; port: number; link: string; slot: string };
}

export interface PostgresFixturePlan {
  primary: string;
  user: string;
  password: string;
  nodes: PostgresNodePlan[];
}

const LOOPBACK = '127.0.0.1';
/** The superuser's password when the topology's store has none (loopback only, throwaway data). */
export const DEFAULT_PASSWORD = 'geoctl-fixture-pg';

function splitAddress(address: string): { host: string; port: number } | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65_536 ? { host: match[1]!, port } : undefined;
}

/** A replication slot name for a region: lower-case letters, digits and _ only. */
export const slotName = (region: string): string =>
  `geoctl_${region.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);

export function planPostgresFixture(topology: Topology): PostgresFixturePlan {
  const problems: string[] = [];
  const store = topology.store;
  if (store?.type !== 'postgres')
    problems.push(`store.type must be postgres (got ${store?.type ?? 'no store:'})`);
  const user = store?.options.user ?? 'postgres';
  if (user !== 'postgres')
    problems.push(`store.user: the fixture's superuser is postgres (got ${String(user)})`);
  const password = store?.options.password ?? DEFAULT_PASSWORD;
  if (typeof password !== 'string' || !/^[A-Za-z0-9._~+-]+$/.test(password))
    problems.push('store.password: use letters, digits and ._~+- (it goes into primary_conninfo)');
  if (topology.regions.length < 2)
    problems.push('the fixture needs at least two regions (a primary and a standby)');
  const primary = topology.regions[0];
  const nodes: PostgresNodePlan[] = [];
  for (const region of topology.regions) {
    const own = splitAddress(region.client.upstream);
    if (own?.host !== LOOPBACK) {
      problems.push(
        `region ${region.name} client.upstream: the fixture binds ${LOOPBACK} only, got ${region.client.upstream}`,
      );
      continue;
    }
    const node: PostgresNodePlan = { region: region.name, port: own.port };
    if (primary && region.name !== primary.name) {
      const link = topology.links.find((l) => l.from === region.name && l.to === primary.name);
      const listen = link ? splitAddress(link.listen) : undefined;
      if (!link)
        problems.push(
          `a link from ${region.name} to ${primary.name} is needed (the standby streams through it)`,
        );
      else if (listen?.host !== LOOPBACK)
        problems.push(
          `link ${region.name} → ${primary.name} listen: expected ${LOOPBACK}:port, got ${link.listen}`,
        );
      else if (link.upstream !== primary.client.upstream)
        problems.push(
          `link ${region.name} → ${primary.name}: upstream ${link.upstream} must be the primary's server, ${primary.client.upstream}`,
        );
      else node.standbyOf = { ...listen, link: link.proxy, slot: slotName(region.name) };
    }
    nodes.push(node);
  }
  if (problems.length > 0)
    throw new GeoctlError(
      'E_CONFIG',
      `${topology.file} cannot run as a PostgreSQL streaming fixture:\n  ${problems.join('\n  ')}`,
      { hint: 'See fixtures/postgres-streaming/topology.yaml for the shape the fixture expects.' },
    );
  return { primary: primary!.name, user: 'postgres', password: password as string, nodes };
}

/** postgresql.conf lines for every server (fresh data directory, throwaway data). */
export function serverConfig(node: PostgresNodePlan, socketDir: string): string[] {
  return [
    '# geoctl fixture postgres',
    `listen_addresses = '${LOOPBACK}'`,
    `port = ${node.port}`,
    `unix_socket_directories = '${socketDir}'`,
    'fsync = off',
    'full_page_writes = off',
    'shared_buffers = 16MB',
    'max_connections = 50',
    'max_wal_senders = 10',
    'max_replication_slots = 10',
    // A slot keeps WAL for a cut-off standby; cap it so a long partition cannot fill the disk.
    'max_slot_wal_keep_size = 256MB',
    'wal_keep_size = 0',
    'hot_standby = on',
    // Notice a blackholed link after 2 s (not 60), and stream again within 0.5 s (not 5) after a heal.
    'wal_receiver_timeout = 2s',
    'wal_retrieve_retry_interval = 500ms',
    'wal_sender_timeout = 5s',
    "password_encryption = 'scram-sha-256'",
    'logging_collector = off',
  ];
}

export const HBA = [
  'local all all trust',
  'local replication all trust',
  `host all all ${LOOPBACK}/32 scram-sha-256`,
  `host replication all ${LOOPBACK}/32 scram-sha-256`,
];

/** The primary_conninfo and slot a standby streams with (appended to postgresql.auto.conf: the last wins). */
export function standbyAutoConfig(plan: PostgresFixturePlan, node: PostgresNodePlan): string[] {
  const via = node.standbyOf!;
  return [
    `primary_conninfo = 'host=${via.host} port=${via.port} user=${plan.user} password=${plan.password} application_name=${node.region}'`,
    `primary_slot_name = '${via.slot}'`,
  ];
}
