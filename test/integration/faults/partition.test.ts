import { describe, expect, it } from 'vitest';
import { FaultFixture, LINK_AP_US, LINK_EU_US, useFaultFixture } from '../../helpers/topology-fixture.js';

/** How long a byte may take to cross a healthy loopback proxy before the test calls it dropped. */
const SILENCE_MS = 500;

describe('geoctl partition (blackhole)', () => {
  const fixture = useFaultFixture();

  it('stops traffic on a connection opened before the fault, verifies it, and heals', async () => {
    const f = fixture();
    await f.deploy();
    const early = await f.tcp.connect(f.linkPort.euUs);
    await early.roundTrip('before\n');
    const other = await f.tcp.connect(f.linkPort.apUs);

    const result = await f.geoctlJson(['partition', 'us', 'eu']);
    expect(result.fault.kind).toBe('partition');
    expect(result.fault.id).toMatch(/^[a-z0-9]{8}$/);
    expect(result.fault.targets.map((t: { proxy: string }) => t.proxy)).toEqual([LINK_EU_US]);
    expect(
      result.fault.toxics.map((t: { proxy: string; type: string; stream: string }) => [
        t.proxy,
        t.type,
        t.stream,
      ]),
    ).toEqual([
      [LINK_EU_US, 'timeout', 'upstream'],
      [LINK_EU_US, 'timeout', 'downstream'],
    ]);
    expect(result.verification).toHaveLength(1);
    expect(result.verification[0]).toMatchObject({ proxy: LINK_EU_US, verdict: 'verified' });
    expect(result.verification[0]!.check.outcome).toBe('blocked');
    expect(result.verdict).toBe('verified');

    // The server carries the toxics under geoctl's names.
    const toxics = (await f.proxies())[LINK_EU_US]!.toxics.map((t) => t.name);
    expect(toxics).toHaveLength(2);
    for (const name of toxics)
      expect(name).toMatch(new RegExp(`^geoctl\\.${result.fault.id}\\.partition\\.`));

    // The connection opened before the fault hangs: no echo, no close.
    const had = early.bytes;
    early.write('during\n');
    await expect(early.waitForBytes(had + 1, SILENCE_MS)).rejects.toThrow(/timed out/);
    expect(early.outcome).toBeUndefined();
    // The other link is untouched.
    await other.roundTrip('other link\n');

    const healed = await f.geoctlJson(['heal']);
    expect(healed.faults).toEqual([result.fault.id]);
    expect(healed.removed).toHaveLength(2);
    expect(healed.verification).toHaveLength(1);
    expect(healed.verification[0]).toMatchObject({ proxy: LINK_EU_US, verdict: 'verified' });
    expect(healed.verdict).toBe('verified');
    expect(await f.toxicNames()).toEqual([]);

    const fresh = await f.tcp.connect(f.linkPort.euUs);
    await fresh.roundTrip('after heal\n');
    expect(fresh.received.toString()).toBe('after heal\n');
  });

  it('prints a human report with the fault id, the check and how to heal', async () => {
    const f = fixture();
    await f.deploy();
    const result = await f.geoctl(['partition', 'eu', 'us']);
    expect(result.code).toBe(0);
    const id = /geoctl\.([a-z0-9]{8})\.partition/.exec((await f.toxicNames()).join(' '))?.[1];
    expect(id).toBeDefined();
    expect(result.stdout).toContain(`Injected fault ${id}: partition eu-west ↔ us-east (blackhole)`);
    expect(result.stdout).toMatch(/no answer \(blackhole\).*\bok\b/);
    expect(result.stdout).toContain(`geoctl heal --fault ${id}`);
  });
});

describe('geoctl partition --oneway', () => {
  // Stores that record what they read and answer only when the test writes, so each direction is seen
  // on its own; commands run with --no-verify so no probe connection reaches them.
  const fixture = useFaultFixture({ stores: 'sink' });

  async function directions(f: FaultFixture): Promise<{ toServer: boolean; toClient: boolean }> {
    const { client, server } = await f.pair(f.linkPort.euUs, f.stores['us-east']);
    client.write('from the dialler\n');
    server.write('from the dialled\n');
    const arrived = async (socket: typeof client, text: string): Promise<boolean> =>
      socket.waitForBytes(Buffer.byteLength(text), SILENCE_MS).then(
        () => socket.received.toString() === text,
        () => false,
      );
    const [toServer, toClient] = await Promise.all([
      arrived(server, 'from the dialler\n'),
      arrived(client, 'from the dialled\n'),
    ]);
    return { toServer, toClient };
  }

  it('partition eu us --oneway (eu dials us) cuts the upstream stream only', async () => {
    const f = fixture();
    await f.deploy();
    expect(await directions(f)).toEqual({ toServer: true, toClient: true });

    const result = await f.geoctlJson(['partition', 'eu', 'us', '--oneway', '--no-verify']);
    expect(result.fault.toxics).toHaveLength(1);
    expect(result.fault.toxics[0]).toMatchObject({ proxy: LINK_EU_US, type: 'timeout', stream: 'upstream' });
    expect(result.fault.summary).toContain('eu-west → us-east');
    expect((await f.proxies())[LINK_EU_US]!.toxics.map((t) => t.stream)).toEqual(['upstream']);
    expect((await f.proxies())[LINK_AP_US]!.toxics).toEqual([]);

    expect(await directions(f)).toEqual({ toServer: false, toClient: true });
  });

  it('partition us eu --oneway on the same link cuts the downstream stream only', async () => {
    const f = fixture();
    await f.deploy();

    const result = await f.geoctlJson(['partition', 'us', 'eu', '--oneway', '--no-verify']);
    expect(result.fault.toxics).toHaveLength(1);
    expect(result.fault.toxics[0]).toMatchObject({
      proxy: LINK_EU_US,
      type: 'timeout',
      stream: 'downstream',
    });
    expect((await f.proxies())[LINK_EU_US]!.toxics.map((t) => t.stream)).toEqual(['downstream']);

    expect(await directions(f)).toEqual({ toServer: true, toClient: false });

    await f.geoctlJson(['heal', '--no-verify']);
    expect(await directions(f)).toEqual({ toServer: true, toClient: true });
  });
});
