import { describe, expect, it } from 'vitest';
import { clientProxy, LINK_AP_US, LINK_EU_US, useFaultFixture } from '../../helpers/topology-fixture.js';

const SILENCE_MS = 500;
const fixture = useFaultFixture();

describe('geoctl isolate', () => {
  it('blackholes the region’s client endpoint and every link to or from it, and nothing else', async () => {
    const f = fixture();
    await f.deploy();
    const result = await f.geoctlJson(['isolate', 'eu']);
    expect(result.fault.kind).toBe('isolate');
    expect(result.fault.targets.map((t: { proxy: string }) => t.proxy).sort()).toEqual(
      [clientProxy('eu-west'), LINK_EU_US].sort(),
    );
    expect(result.fault.toxics).toHaveLength(4);
    expect(result.verdict).toBe('verified');
    expect(result.verification.map((v: { verdict: string }) => v.verdict)).toEqual(['verified', 'verified']);

    const cut = [f.clientPort['eu-west'], f.linkPort.euUs];
    const open = [f.clientPort['us-east'], f.clientPort['ap-south'], f.linkPort.apUs];
    await Promise.all(
      cut.map(async (port) => {
        const socket = await f.tcp.connect(port);
        socket.write('anyone there?\n');
        await expect(socket.waitForBytes(1, SILENCE_MS)).rejects.toThrow(/timed out/);
      }),
    );
    await Promise.all(
      open.map(async (port) => {
        const socket = await f.tcp.connect(port);
        await socket.roundTrip('still here\n');
      }),
    );

    const server = await f.proxies();
    for (const name of [clientProxy('us-east'), clientProxy('ap-south'), LINK_AP_US])
      expect(server[name]!.toxics).toEqual([]);
  });

  it('--mode down disables the proxies (connections refused) and heal re-enables them', async () => {
    const f = fixture();
    await f.deploy();
    // Both links dial us-east, so isolating it takes both down with its client endpoint.
    const result = await f.geoctlJson(['isolate', 'us-east', '--mode', 'down']);
    const cut = [clientProxy('us-east'), LINK_EU_US, LINK_AP_US].sort();
    expect([...result.fault.disable].sort()).toEqual(cut);
    expect(result.verdict).toBe('verified');
    expect(result.verification).toHaveLength(3);
    for (const v of result.verification) {
      expect(v.verdict).toBe('verified');
      expect(v.check.outcome).toBe('refused');
    }

    const server = await f.proxies();
    for (const name of cut) expect(server[name]!.enabled).toBe(false);
    for (const port of [f.clientPort['us-east'], f.linkPort.euUs, f.linkPort.apUs])
      expect(await f.tcp.connectOutcome(port)).toBe('ECONNREFUSED');
    await (await f.tcp.connect(f.clientPort['eu-west'])).roundTrip('eu clients still served\n');

    const status = await f.geoctlJson(['status']);
    const conditions = Object.fromEntries(
      status.proxies.map((p: { name: string; condition: string }) => [p.name, p.condition]),
    );
    expect(conditions).toEqual({
      [clientProxy('us-east')]: 'down',
      [clientProxy('eu-west')]: 'ok',
      [clientProxy('ap-south')]: 'ok',
      [LINK_EU_US]: 'down',
      [LINK_AP_US]: 'down',
    });

    const healed = await f.geoctlJson(['heal']);
    expect([...healed.reenabled].sort()).toEqual(cut);
    expect(healed.verdict).toBe('verified');
    const after = await f.proxies();
    for (const name of cut) {
      expect(after[name]!.enabled).toBe(true);
      expect(after[name]!.toxics).toEqual([]);
    }
    for (const port of [f.clientPort['us-east'], f.linkPort.euUs, f.linkPort.apUs])
      await (await f.tcp.connect(port)).roundTrip('back\n');
  });
});
