import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { RecordingSocket } from '../../helpers/tcp.js';
import { LINK_AP_US, LINK_EU_US, useFaultFixture } from '../../helpers/topology-fixture.js';

/** Median of `count` echo round trips on one connection, ms. */
async function medianRoundTrip(socket: RecordingSocket, count: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await socket.roundTrip(`ping ${i}\n`));
  samples.sort((a, b) => a - b);
  return samples[Math.floor(count / 2)]!;
}

describe('geoctl latency (measured on the wire)', () => {
  const fixture = useFaultFixture();
  const LATENCY_MS = 100;
  // The latency toxic never delivers early; the upper bound leaves room for a busy 2-core machine.
  const BELOW_MS = 10;
  const ABOVE_MS = 40;

  it('adds the delay in each direction: a round trip grows by twice the value', async () => {
    const f = fixture();
    await f.deploy();
    const result = await f.geoctlJson(['latency', 'us', 'eu', `${LATENCY_MS}ms`]);
    expect(
      result.fault.toxics.map((t: { stream: string; type: string; attributes: object }) => [
        t.stream,
        t.type,
        t.attributes,
      ]),
    ).toEqual([
      ['upstream', 'latency', { latency: LATENCY_MS, jitter: 0 }],
      ['downstream', 'latency', { latency: LATENCY_MS, jitter: 0 }],
    ]);
    expect(result.verdict).toBe('verified');
    expect(result.verification[0]!.check.roundTripMs).toBeGreaterThanOrEqual(2 * LATENCY_MS - BELOW_MS);

    const link = await f.tcp.connect(f.linkPort.euUs);
    const rtt = await medianRoundTrip(link, 5);
    expect(rtt).toBeGreaterThanOrEqual(2 * LATENCY_MS - BELOW_MS);
    expect(rtt).toBeLessThanOrEqual(2 * LATENCY_MS + ABOVE_MS);

    // The other link is not delayed.
    const other = await f.tcp.connect(f.linkPort.apUs);
    expect(await medianRoundTrip(other, 3)).toBeLessThan(LATENCY_MS / 2);
    expect((await f.proxies())[LINK_AP_US]!.toxics).toEqual([]);
  });

  it('--oneway delays only traffic from A toward B: a round trip grows by the value once', async () => {
    const f = fixture();
    await f.deploy();
    const result = await f.geoctlJson(['latency', 'us', 'eu', `${LATENCY_MS}ms`, '--oneway']);
    // us → eu on a link eu-west dials is the reply direction: downstream.
    expect(result.fault.toxics).toHaveLength(1);
    expect(result.fault.toxics[0]).toMatchObject({ proxy: LINK_EU_US, stream: 'downstream' });
    expect(result.verdict).toBe('verified');

    const link = await f.tcp.connect(f.linkPort.euUs);
    const rtt = await medianRoundTrip(link, 5);
    expect(rtt).toBeGreaterThanOrEqual(LATENCY_MS - BELOW_MS);
    expect(rtt).toBeLessThanOrEqual(LATENCY_MS + ABOVE_MS);

    // Heal takes it away again.
    await f.geoctlJson(['heal']);
    expect(await medianRoundTrip(link, 3)).toBeLessThan(LATENCY_MS / 2);
  });
});

describe('geoctl bandwidth (measured on the wire)', () => {
  // Stores answer only when the test writes, so the test pushes data in either direction itself.
  const fixture = useFaultFixture({ stores: 'sink' });
  const RATE = 200_000; // B/s
  const PAYLOAD = 400_000; // 2 s at the limit

  it('bandwidth us eu 200KB/s --oneway limits us → eu to the rate, and leaves eu → us alone', async () => {
    const f = fixture();
    await f.deploy();
    const result = await f.geoctlJson(['bandwidth', 'us', 'eu', '200KB/s', '--oneway', '--no-verify']);
    expect(result.fault.toxics).toHaveLength(1);
    expect(result.fault.toxics[0]).toMatchObject({
      proxy: LINK_EU_US,
      type: 'bandwidth',
      stream: 'downstream',
      attributes: { rate: 200 },
    });

    const { client, server } = await f.pair(f.linkPort.euUs, f.stores['us-east']);
    // us-east's store sends to the eu-west dialler: limited.
    const sentAt = performance.now();
    server.write(Buffer.alloc(PAYLOAD, 'u'));
    const doneAt = await client.waitForBytes(PAYLOAD, 6_000);
    const rate = PAYLOAD / ((doneAt - sentAt) / 1000);
    expect(rate).toBeGreaterThan(RATE * 0.8);
    expect(rate).toBeLessThan(RATE * 1.2);

    // eu-west's dialler sends to us-east: not limited (well over ten times the rate on loopback).
    const upAt = performance.now();
    client.write(Buffer.alloc(PAYLOAD, 'e'));
    const upDoneAt = await server.waitForBytes(PAYLOAD, 6_000);
    expect(PAYLOAD / ((upDoneAt - upAt) / 1000)).toBeGreaterThan(RATE * 10);
  });
});
