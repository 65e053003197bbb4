import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { slicer, sliceEnds } from '../../../src/chaos/embedded/toxics/slicer.js';
import { useTcpHarness } from '../../helpers/tcp.js';
import { toxic, useProxyHarness } from './proxy-harness.js';

const tcp = useTcpHarness();
const proxies = useProxyHarness();

function pieceSizes(ends: number[]): number[] {
  return ends.map((end, i) => end - (i === 0 ? 0 : ends[i - 1]!));
}

describe('slicer toxic', () => {
  it('delivers the data intact', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    await proxy.toxics.add(
      toxic('slicer', { average_size: 100, size_variation: 20, delay: 0 }, { stream: 'upstream' }),
    );
    const client = await tcp.connect(port);
    const server = await sink.connection();
    const payload = randomBytes(50_000);
    client.write(payload);
    await server.waitForBytes(payload.length);
    expect(server.received.equals(payload)).toBe(true);
  });

  it('sends the pieces `delay` µs apart, so they arrive separately and spread in time', async () => {
    const sink = await tcp.sinkServer();
    const { proxy, port } = await proxies.proxyTo(sink.port);
    await proxy.toxics.add(
      toxic('slicer', { average_size: 100, size_variation: 20, delay: 10_000 }, { stream: 'upstream' }),
    );
    const client = await tcp.connect(port);
    const server = await sink.connection();
    const payload = randomBytes(1000);
    client.write(payload);
    await server.waitForBytes(payload.length);
    expect(server.received.equals(payload)).toBe(true);
    // 1000 B in pieces of at most 120 B: at least 9 pieces, 10 ms apart.
    const arrivals = server.arrivals;
    expect(arrivals.length).toBeGreaterThanOrEqual(5);
    expect(arrivals.at(-1)!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(70);
  });

  it('splits recursively into pieces of about average ± variation', () => {
    for (const length of [1, 50, 120, 121, 1000, 4096, 32_768]) {
      for (let run = 0; run < 20; run++) {
        const ends = sliceEnds(length, 100, 20);
        const sizes = pieceSizes(ends);
        expect(ends.at(-1)).toBe(length);
        expect(sizes.every((size) => size > 0 && size <= 120)).toBe(true);
        if (length > 120) expect(sizes.every((size) => size >= 30)).toBe(true);
      }
    }
  });

  it('halves exactly when size_variation is 0', () => {
    // A piece is split while it is longer than average + variation, so 125 B stays whole at 125 …
    expect(pieceSizes(sliceEnds(1000, 125, 0))).toEqual(Array(8).fill(125));
    // … but not at 100: Toxiproxy halves it again.
    expect(pieceSizes(sliceEnds(1000, 100, 0))).toEqual(Array(8).fill([62, 63]).flat());
    expect(sliceEnds(100, 100, 0)).toEqual([100]);
  });

  it('rejects attributes that crash the official server', () => {
    const validate = slicer.validate!;
    expect(validate({ average_size: 0, size_variation: 0, delay: 0 })).toMatch(
      /average_size must be greater than 0/,
    );
    expect(validate({})).toMatch(/average_size must be greater than 0/);
    expect(validate({ average_size: -1 })).toMatch(/average_size must be greater than 0/);
    expect(validate({ average_size: 10, size_variation: -1 })).toMatch(/size_variation must not be negative/);
    expect(validate({ average_size: 10, size_variation: 10 })).toMatch(/less than average_size/);
    expect(validate({ average_size: 10, size_variation: 9, delay: -5 })).toBeUndefined();
    expect(validate({ average_size: 1 })).toBeUndefined();
  });
});
