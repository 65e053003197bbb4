import { describe, expect, it } from 'vitest';
import { LINK_AP_US, LINK_EU_US, useFaultFixture } from '../../helpers/topology-fixture.js';

const fixture = useFaultFixture();

describe('geoctl heal', () => {
  it("removes only geoctl's own toxics; --all resets everything", async () => {
    const f = fixture();
    await f.deploy();
    // Someone else's toxic on the same link geoctl is about to fault.
    await f.addToxic(LINK_EU_US, {
      name: 'chaos-monkey',
      type: 'latency',
      stream: 'downstream',
      attributes: { latency: 5 },
    });
    const fault = await f.geoctlJson(['partition', 'us', 'eu', '--no-verify']);
    expect(await f.toxicNames()).toHaveLength(3);

    const status = await f.geoctlJson(['status']);
    expect(status.foreign).toEqual([{ proxy: LINK_EU_US, toxic: 'chaos-monkey', type: 'latency' }]);
    expect(status.faults.map((x: { id: string }) => x.id)).toEqual([fault.fault.id]);

    const healed = await f.geoctlJson(['heal']);
    expect(healed.resetAll).toBe(false);
    expect(healed.foreignLeft).toBe(1);
    expect(healed.faults).toEqual([fault.fault.id]);
    expect(healed.removed.map((r: { toxic: string }) => r.toxic).sort()).toEqual(
      fault.fault.toxics.map((t: { name: string }) => t.name).sort(),
    );
    // Traffic flows (5 ms slower) through the proxy that still has the foreign toxic.
    expect(healed.verdict).toBe('verified');
    expect(await f.toxicNames()).toEqual([`${LINK_EU_US}/chaos-monkey`]);

    await f.geoctlJson(['partition', 'ap', 'us', '--mode', 'down', '--no-verify']);
    expect((await f.proxies())[LINK_AP_US]!.enabled).toBe(false);
    const all = await f.geoctlJson(['heal', '--all']);
    expect(all.resetAll).toBe(true);
    expect(all.foreignLeft).toBe(0);
    expect(all.reenabled).toEqual([LINK_AP_US]);
    expect(all.verdict).toBe('verified');
    expect(await f.toxicNames()).toEqual([]);
    expect(Object.values(await f.proxies()).every((p) => p.enabled)).toBe(true);
  });

  it('heal A B removes only the faults on links between A and B', async () => {
    const f = fixture();
    await f.deploy();
    const partition = await f.geoctlJson(['partition', 'us', 'eu', '--no-verify']);
    const latency = await f.geoctlJson(['latency', 'ap', 'us', '50ms', '--no-verify']);

    // eu and ap have no link between them: nothing to remove.
    const none = await f.geoctlJson(['heal', 'eu', 'ap']);
    expect(none.removed).toEqual([]);
    expect(await f.toxicNames()).toHaveLength(4);

    const healed = await f.geoctlJson(['heal', 'eu-west', 'us-east']);
    expect(healed.faults).toEqual([partition.fault.id]);
    expect(new Set(healed.removed.map((r: { proxy: string }) => r.proxy))).toEqual(new Set([LINK_EU_US]));
    expect(healed.verdict).toBe('verified');

    const server = await f.proxies();
    expect(server[LINK_EU_US]!.toxics).toEqual([]);
    expect(server[LINK_AP_US]!.toxics.map((t) => t.name).sort()).toEqual(
      latency.fault.toxics.map((t: { name: string }) => t.name).sort(),
    );
    await (await f.tcp.connect(f.linkPort.euUs)).roundTrip('eu flows again\n');

    // --fault picks one fault by id.
    const byId = await f.geoctlJson(['heal', '--fault', latency.fault.id]);
    expect(byId.faults).toEqual([latency.fault.id]);
    expect(await f.toxicNames()).toEqual([]);
  });
});
