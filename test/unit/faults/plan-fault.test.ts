import { describe, expect, it } from 'vitest';
import { parseFaultToxicName } from '../../../src/chaos/faults/fault-name.js';
import type { FaultRequest } from '../../../src/chaos/faults/fault.js';
import { planFault } from '../../../src/chaos/faults/plan-fault.js';
import { GeoctlError } from '../../../src/errors.js';
import { clientProxyName, linkProxyName, type Topology } from '../../../src/topology/topology.js';

const region = (name: string, port: number) => ({
  name,
  aliases: [],
  client: { listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${port + 1000}`, proxy: clientProxyName(name) },
});
const link = (from: string, to: string, port: number) => ({
  from,
  to,
  listen: `127.0.0.1:${port}`,
  upstream: `127.0.0.1:${port + 1000}`,
  proxy: linkProxyName(from, to),
});

// us-east is dialled by eu-west and dials ap-south itself, so both link orientations are covered.
const topology: Topology = {
  file: '/tmp/geoctl.yaml',
  toxiproxy: { kind: 'embedded' },
  protocol: 'echo',
  regions: [region('us-east', 17001), region('eu-west', 17002), region('ap-south', 17003)],
  links: [
    link('eu-west', 'us-east', 18001),
    link('us-east', 'ap-south', 18002),
    link('ap-south', 'eu-west', 18003),
  ],
};
const plan = (request: FaultRequest, durationMs?: number) =>
  planFault(topology, request, { id: 'abcd1234', now: 1_000_000, durationMs });
const streamsOn = (p: ReturnType<typeof plan>) =>
  Object.fromEntries(
    p.targets.map((t) => [t.proxy, p.toxics.filter((x) => x.proxy === t.proxy).map((x) => x.stream)]),
  );

describe('planFault', () => {
  it('a partition cuts both streams of every link between the two sides, whichever side dials', () => {
    const p = plan({
      kind: 'partition',
      a: ['us-east'],
      b: ['eu-west', 'ap-south'],
      oneway: false,
      mode: 'blackhole',
    });
    expect(streamsOn(p)).toEqual({
      'geoctl.link.eu-west.us-east': ['upstream', 'downstream'],
      'geoctl.link.us-east.ap-south': ['upstream', 'downstream'],
    });
    expect(p.toxics.every((t) => t.type === 'timeout' && t.attributes.timeout === 0)).toBe(true);
    expect(p.disable).toEqual([]);
  });

  it('--oneway A B cuts the upstream stream where A dials B, and the downstream stream where B dials A', () => {
    const aDials = plan({
      kind: 'partition',
      a: ['us-east'],
      b: ['ap-south'],
      oneway: true,
      mode: 'blackhole',
    });
    expect(streamsOn(aDials)).toEqual({ 'geoctl.link.us-east.ap-south': ['upstream'] });
    const bDials = plan({
      kind: 'partition',
      a: ['us-east'],
      b: ['eu-west'],
      oneway: true,
      mode: 'blackhole',
    });
    expect(streamsOn(bDials)).toEqual({ 'geoctl.link.eu-west.us-east': ['downstream'] });
  });

  it('modes: reset is reset_peer 0; down disables the proxies and leaves a noop marker per stream', () => {
    const reset = plan({ kind: 'partition', a: ['us-east'], b: ['eu-west'], oneway: false, mode: 'reset' });
    expect(reset.toxics.map((t) => [t.type, t.attributes.timeout])).toEqual([
      ['reset_peer', 0],
      ['reset_peer', 0],
    ]);
    const down = plan({ kind: 'partition', a: ['us-east'], b: ['eu-west'], oneway: false, mode: 'down' });
    expect(down.disable).toEqual(['geoctl.link.eu-west.us-east']);
    expect(down.toxics.map((t) => t.type)).toEqual(['noop', 'noop']);
  });

  it('isolate takes the client proxy and every link to or from the region, and nothing else', () => {
    const p = plan({ kind: 'isolate', region: 'ap-south', mode: 'blackhole' });
    expect(p.targets.map((t) => t.proxy).sort()).toEqual(
      ['geoctl.client.ap-south', 'geoctl.link.ap-south.eu-west', 'geoctl.link.us-east.ap-south'].sort(),
    );
    expect(p.toxics).toHaveLength(6);
  });

  it('latency and bandwidth carry their attributes', () => {
    const l = plan({
      kind: 'latency',
      a: ['eu-west'],
      b: ['us-east'],
      oneway: false,
      latencyMs: 120,
      jitterMs: 20,
    });
    expect(l.toxics.map((t) => t.attributes)).toEqual([
      { latency: 120, jitter: 20 },
      { latency: 120, jitter: 20 },
    ]);
    const b = plan({ kind: 'bandwidth', a: ['eu-west'], b: ['us-east'], oneway: true, kbPerSecond: 512 });
    expect(b.toxics).toEqual([
      expect.objectContaining({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 512 } }),
    ]);
  });

  it('writes identity and expiry into every toxic name', () => {
    const p = plan(
      { kind: 'partition', a: ['us-east'], b: ['eu-west'], oneway: false, mode: 'blackhole' },
      30_000,
    );
    expect(p.expiresAt).toBe(1_030_000);
    for (const toxic of p.toxics) {
      expect(parseFaultToxicName(toxic.name)).toMatchObject({
        id: 'abcd1234',
        kind: 'partition',
        expiresAt: 1_030_000,
      });
    }
    expect(new Set(p.toxics.map((t) => t.name)).size).toBe(p.toxics.length);
  });

  it('refuses a region on both sides, regions with no link between them, and --oneway with --mode down', () => {
    const fails = (request: FaultRequest, code: string, text: RegExp) => {
      try {
        plan(request);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(GeoctlError);
        expect((error as GeoctlError).code).toBe(code);
        expect((error as GeoctlError).message).toMatch(text);
      }
    };
    fails(
      { kind: 'partition', a: ['us-east'], b: ['us-east'], oneway: false, mode: 'blackhole' },
      'E_INVALID_VALUE',
      /both sides/,
    );
    const sparse: Topology = { ...topology, links: [topology.links[0]!] };
    expect(() =>
      planFault(
        sparse,
        { kind: 'partition', a: ['ap-south'], b: ['us-east'], oneway: false, mode: 'blackhole' },
        { id: 'x1234567', now: 0 },
      ),
    ).toThrow(/no replication link between ap-south and us-east/);
    fails(
      { kind: 'partition', a: ['us-east'], b: ['eu-west'], oneway: true, mode: 'down' },
      'E_USAGE',
      /--oneway/,
    );
  });
});
