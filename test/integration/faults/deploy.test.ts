import { describe, expect, it } from 'vitest';
import {
  clientProxy,
  type DeployJson,
  LINK_AP_US,
  LINK_EU_US,
  REGIONS,
  useFaultFixture,
} from '../../helpers/topology-fixture.js';

const fixture = useFaultFixture();

const ALL_PROXIES = [...REGIONS.map(clientProxy), LINK_EU_US, LINK_AP_US].sort();

function actions(result: DeployJson): Record<string, string> {
  return Object.fromEntries(result.proxies.map((p) => [p.name, p.action]));
}

describe('geoctl deploy', () => {
  it('creates the five proxies, then finds them unchanged', async () => {
    const f = fixture();
    const first = await f.geoctlJson(['deploy']);
    expect(first.url).toBe(f.toxiproxyUrl);
    expect(first.dryRun).toBe(false);
    expect(first.server.kind).toBe('url');
    expect(first.proxies.map((p) => p.name).sort()).toEqual(ALL_PROXIES);
    expect(new Set(first.proxies.map((p) => p.action))).toEqual(new Set(['created']));

    const onServer = await f.proxies();
    expect(Object.keys(onServer).sort()).toEqual(ALL_PROXIES);
    expect(onServer[LINK_EU_US]).toMatchObject({
      listen: `127.0.0.1:${f.linkPort.euUs}`,
      upstream: `127.0.0.1:${f.stores['us-east'].port}`,
      enabled: true,
      toxics: [],
    });
    expect(onServer[clientProxy('ap-south')]).toMatchObject({
      listen: `127.0.0.1:${f.clientPort['ap-south']}`,
      upstream: `127.0.0.1:${f.stores['ap-south'].port}`,
    });

    const second = await f.geoctlJson(['deploy']);
    expect(new Set(second.proxies.map((p) => p.action))).toEqual(new Set(['unchanged']));
    expect(second.proxies.every((p) => p.changes.length === 0)).toBe(true);
  });

  it('updates exactly the proxy whose upstream changed in the file', async () => {
    const f = fixture();
    await f.deploy();
    const moved = `127.0.0.1:${f.stores['us-east'].port}`; // any other live address will do
    await f.writeTopology({ clientUpstream: { 'eu-west': moved } });

    const result = await f.geoctlJson(['deploy']);
    const changed = result.proxies.filter((p) => p.action !== 'unchanged');
    expect(changed.map((p) => [p.name, p.action])).toEqual([[clientProxy('eu-west'), 'updated']]);
    expect(changed[0]!.changes).toEqual([`upstream 127.0.0.1:${f.stores['eu-west'].port} → ${moved}`]);
    expect((await f.proxies())[clientProxy('eu-west')]!.upstream).toBe(moved);

    // The client endpoint now reaches us-east's store: a round trip through it lands there.
    const before = f.stores['us-east'].connections.length;
    const client = await f.tcp.connect(f.clientPort['eu-west']);
    await client.roundTrip('moved\n');
    expect(f.stores['us-east'].connections.length).toBe(before + 1);
  });

  it('--dry-run reports the change and leaves the server as it was', async () => {
    const f = fixture();
    await f.deploy();
    const serverBefore = await f.proxies();
    const moved = `127.0.0.1:${f.stores['eu-west'].port}`;
    await f.writeTopology({ clientUpstream: { 'ap-south': moved } });

    const dry = await f.geoctlJson(['deploy', '--dry-run']);
    expect(dry.dryRun).toBe(true);
    expect(actions(dry)[clientProxy('ap-south')]).toBe('updated');
    expect(Object.values(actions(dry)).filter((a) => a !== 'unchanged')).toHaveLength(1);
    expect(await f.proxies()).toEqual(serverBefore);

    // Still pending after the dry run: a real deploy applies it.
    const real = await f.geoctlJson(['deploy']);
    expect(actions(real)[clientProxy('ap-south')]).toBe('updated');
    expect((await f.proxies())[clientProxy('ap-south')]!.upstream).toBe(moved);
  });

  it('--dry-run on an empty server says everything would be created, and creates nothing', async () => {
    const f = fixture();
    const dry = await f.geoctlJson(['deploy', '--dry-run']);
    expect(new Set(dry.proxies.map((p) => p.action))).toEqual(new Set(['created']));
    expect(await f.proxies()).toEqual({});
  });

  it('recreates everything after the Toxiproxy server restarted, and traffic flows again', async () => {
    const f = fixture();
    await f.deploy();
    const before = await f.tcp.connect(f.linkPort.euUs);
    expect(await before.roundTrip('before\n')).toBeLessThan(1_000);

    await f.restartServer();
    expect(await f.proxies()).toEqual({});
    expect(await f.tcp.connectOutcome(f.linkPort.euUs)).toBe('ECONNREFUSED');

    const result = await f.geoctlJson(['deploy']);
    expect(new Set(result.proxies.map((p) => p.action))).toEqual(new Set(['created']));
    expect(Object.keys(await f.proxies()).sort()).toEqual(ALL_PROXIES);
    const after = await f.tcp.connect(f.linkPort.euUs);
    await after.roundTrip('after\n');
    expect(after.received.toString()).toBe('after\n');
  });
});
