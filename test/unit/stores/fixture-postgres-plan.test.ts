import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GeoctlError } from '../../../src/errors.js';
import {
  planPostgresFixture,
  serverConfig,
  slotName,
  standbyAutoConfig,
} from '../../../src/stores/fixture-postgres/postgres-plan.js';
import { findPostgresPrograms } from '../../../src/stores/fixture-postgres/postgres-programs.js';
import { loadTopology } from '../../../src/topology/load-topology.js';

const shipped = fileURLToPath(new URL('../../../fixtures/postgres-streaming/topology.yaml', import.meta.url));

describe('planPostgresFixture (the shipped fixtures/postgres-streaming/topology.yaml)', () => {
  it('a primary in the first region, standbys streaming through their link proxies on their own slots', async () => {
    const plan = planPostgresFixture(await loadTopology({ path: shipped, store: 'deferred' }));
    expect(plan).toMatchObject({ primary: 'us-east', user: 'postgres', password: 'geoctl-fixture-pg' });
    expect(plan.nodes.map((n) => [n.region, n.port, n.standbyOf?.port, n.standbyOf?.slot])).toEqual([
      ['us-east', 7401, undefined, undefined],
      ['eu-west', 7402, 18421, 'geoctl_eu_west'],
      ['ap-south', 7403, 18431, 'geoctl_ap_south'],
    ]);
    const eu = plan.nodes[1]!;
    expect(standbyAutoConfig(plan, eu)).toEqual([
      "primary_conninfo = 'host=127.0.0.1 port=18421 user=postgres password=geoctl-fixture-pg application_name=eu-west'",
      "primary_slot_name = 'geoctl_eu_west'",
    ]);
    const conf = serverConfig(eu, '/tmp/x');
    expect(conf).toContain('port = 7402');
    expect(conf).toContain("listen_addresses = '127.0.0.1'");
    expect(conf).toContain('wal_receiver_timeout = 2s');
    expect(slotName('Eu-West.2')).toBe('geoctl_eu_west_2');
  });

  it('E_CONFIG naming every problem: another store type, a standby without a link to the primary', async () => {
    const topology = await loadTopology({ path: shipped, store: 'deferred' });
    const broken = {
      ...topology,
      store: { ...topology.store!, type: 'redis' },
      links: topology.links.filter((l) => l.from !== 'ap-south'),
    };
    let error: unknown;
    try {
      planPostgresFixture(broken);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GeoctlError);
    expect((error as GeoctlError).code).toBe('E_CONFIG');
    expect((error as GeoctlError).message).toContain('store.type must be postgres');
    expect((error as GeoctlError).message).toContain('a link from ap-south to us-east is needed');
  });
});

describe('findPostgresPrograms', () => {
  it('E_MISSING_PROGRAM naming the postgresql package when neither the lib dir nor PATH has them', async () => {
    const error = await findPostgresPrograms({ PATH: '/nonexistent' }, '/nonexistent/lib').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GeoctlError);
    expect((error as GeoctlError).code).toBe('E_MISSING_PROGRAM');
    expect((error as GeoctlError).message).toContain('initdb, pg_ctl, postgres, pg_basebackup');
    expect((error as GeoctlError).hint).toContain('apt-get install -y postgresql');
  });
});
