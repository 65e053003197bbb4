import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  LINK_EU_US,
  pidsMentioning,
  useFaultFixture,
  type FaultFixture,
} from '../../helpers/topology-fixture.js';
import { waitFor } from '../../helpers/wait-for.js';

const fixture = useFaultFixture();

/**
 * The id of the one geoctl fault on the server, once all its toxics are there (they are added one by
 * one; a partition puts two on the link).
 */
async function faultOnServer(f: FaultFixture, toxics = 2, timeoutMs = 8_000): Promise<string> {
  return waitFor(
    'the fault’s toxics on the server',
    async () => {
      const names = await f.toxicNames();
      return names.length === toxics ? /\/geoctl\.([a-z0-9]+)\./.exec(names[0]!)?.[1] : undefined;
    },
    timeoutMs,
  );
}

/** Background healers of fault `id` (they carry `heal --fault <id>` in their arguments). */
async function healers(id: string): Promise<number[]> {
  return pidsMentioning(`--fault\0${id}`);
}

describe('--for: the fault heals itself', () => {
  it('partition --for 1s exits 0 about a second after injecting, with the toxics gone', async () => {
    const f = fixture();
    await f.deploy();
    const cli = f.spawn(['partition', 'us', 'eu', '--for', '1s', '--json', '--no-verify']);
    await faultOnServer(f);
    const result = await cli.result(10_000);
    const exitedAt = Date.now();
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.fault.expiresAt - doc.fault.createdAt).toBe(1_000);
    expect(doc.healed.reason).toBe('expired');
    expect(doc.healed.removed).toHaveLength(2);
    expect(doc.interruptedBy).toBeUndefined();
    // Not before the expiry, and not long after it (the heal is a few HTTP requests).
    expect(exitedAt).toBeGreaterThanOrEqual(doc.fault.expiresAt);
    expect(exitedAt - doc.fault.expiresAt).toBeLessThan(2_000);
    expect(await f.toxicNames()).toEqual([]);
    // The backup healer is stopped once the command healed the fault itself.
    await waitFor('the backup healer to be gone', async () => (await healers(doc.fault.id)).length === 0);
  });

  it('SIGINT during --for 30s heals at once and exits 130', async () => {
    const f = fixture();
    await f.deploy();
    const cli = f.spawn(['partition', 'us', 'eu', '--for', '30s', '--json', '--no-verify']);
    const id = await faultOnServer(f);
    // A foreground --for keeps a backup healer in case the command itself is killed.
    await waitFor('the backup healer', async () => (await healers(id)).length > 0, 8_000);
    cli.child.kill('SIGINT');
    const result = await cli.result(10_000);
    expect(result.code).toBe(130);
    const doc = JSON.parse(result.stdout);
    expect(doc.interruptedBy).toBe('SIGINT');
    expect(doc.healed.reason).toBe('SIGINT');
    expect(doc.healed.faults).toEqual([id]);
    expect(await f.toxicNames()).toEqual([]);
    await waitFor('the backup healer to be gone', async () => (await healers(id)).length === 0);
    await (await f.tcp.connect(f.linkPort.euUs)).roundTrip('healed\n');
  });
});

describe('--for --detach', () => {
  it('returns at once and leaves the heal to a background healer', async () => {
    const f = fixture();
    await f.deploy();
    const doc = await f.geoctlJson(['partition', 'us', 'eu', '--for', '2s', '--detach', '--no-verify']);
    expect(doc.healed).toBeUndefined();
    const healer = doc.healer!;
    const expiresAt = doc.fault.expiresAt!;
    expect(healer.at).toBe(expiresAt);
    expect(healer.pid).toBeGreaterThan(0);
    expect(await healers(doc.fault.id)).toEqual([healer.pid]);
    // The command returned before the expiry, with the fault in place…
    const names = await f.toxicNames();
    expect(Date.now()).toBeLessThan(expiresAt);
    expect(names).toHaveLength(2);
    // …until the healer removes it and exits.
    await waitFor('the healer to heal', async () => (await f.toxicNames()).length === 0, 6_000, 100);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    await waitFor('the healer to exit', async () => (await healers(doc.fault.id)).length === 0);
  });
});

describe('recovery when geoctl was killed', () => {
  it('the backup healer removes a --for fault shortly after expiry when the command was SIGKILLed', async () => {
    const f = fixture();
    await f.deploy();
    const cli = f.spawn(['partition', 'us', 'eu', '--for', '2s']);
    const id = await faultOnServer(f);
    cli.child.kill('SIGKILL');
    const killed = await cli.result();
    expect(killed.signal).toBe('SIGKILL');
    const names = await f.toxicNames();
    expect(names).toHaveLength(2);
    // The expiry the name carries (Unix seconds, rounded up).
    const expiresAt = Number(/\.(\d+)$/.exec(names[0]!)![1]) * 1000;

    // Expiry is 2 s after injection, the healer waits 2 s more: gone within 8 s of the kill.
    await waitFor('the backup healer to heal', async () => (await f.toxicNames()).length === 0, 8_000, 100);
    // Not before the fault's own expiry (1 s for the rounding of the name), nor long after its grace.
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 1_000);
    expect(Date.now()).toBeLessThan(expiresAt + 2_000 + 3_000);
    await waitFor('the healer to exit', async () => (await healers(id)).length === 0);
    await (await f.tcp.connect(f.linkPort.euUs)).roundTrip('healed\n');
  });

  it('heal finds a fault by its toxic names after the command was killed and the state dir deleted', async () => {
    const f = fixture();
    await f.deploy();
    const cli = f.spawn(['partition', 'us', 'eu', '--for', '60s', '--json', '--no-verify']);
    const id = await faultOnServer(f);
    cli.child.kill('SIGKILL');
    await cli.result();
    await rm(f.stateDir, { recursive: true, force: true });

    const status = await f.geoctlJson(['status']);
    expect(status.faults.map((x: { id: string }) => x.id)).toEqual([id]);
    expect(status.faults[0]!.summary).toBeUndefined(); // the journal went with the state dir
    expect(status.faults[0]!.remainingMs).toBeGreaterThan(50_000);

    const healed = await f.geoctlJson(['heal']);
    expect(healed.faults).toEqual([id]);
    expect(healed.removed).toHaveLength(2);
    expect(healed.verdict).toBe('verified');
    expect(await f.toxicNames()).toEqual([]);
  });

  it('a fault past its expiry but still present is reported as expired by status and fault commands', async () => {
    const f = fixture();
    await f.deploy();
    const now = Math.floor(Date.now() / 1000);
    const name = `geoctl.abcd1234.partition.up.${now - 120}.${now - 60}`;
    await f.addToxic(LINK_EU_US, { name, type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });

    const human = await f.geoctl(['status']);
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/Warning: fault abcd1234 .*expired/);
    expect(human.stderr).toContain('geoctl heal --fault abcd1234');
    expect(human.stdout).toMatch(/EXPIRED/);

    const json = await f.geoctl(['status', '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.expired.map((x: { id: string }) => x.id)).toEqual(['abcd1234']);
    expect(doc.expired[0].expired).toBe(true);
    expect(doc.expired[0].remainingMs).toBeLessThanOrEqual(-59_000);
    expect(doc.proxies.find((p: { name: string }) => p.name === LINK_EU_US).condition).toBe('faulted');

    // A new fault command reports it too.
    const next = await f.geoctlJson(['latency', 'ap', 'us', '10ms', '--no-verify']);
    expect(next.expiredFaults.map((x: { id: string }) => x.id)).toEqual(['abcd1234']);

    const healed = await f.geoctlJson(['heal', '--fault', 'abcd1234']);
    expect(healed.removed.map((r: { toxic: string }) => r.toxic)).toEqual([name]);
    expect((await f.proxies())[LINK_EU_US]!.toxics).toEqual([]);
  });
});
