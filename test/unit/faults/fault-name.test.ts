import { describe, expect, it } from 'vitest';
import { faultToxicName, newFaultId, parseFaultToxicName } from '../../../src/chaos/faults/fault-name.js';

describe('fault toxic names', () => {
  it('round-trips identity, stream, creation and expiry (to the second)', () => {
    const identity = {
      id: 'k3f9a2x1',
      kind: 'partition' as const,
      stream: 'downstream' as const,
      createdAt: 1_795_333_357_000,
      expiresAt: 1_795_333_387_000,
    };
    const name = faultToxicName(identity);
    expect(name).toBe('geoctl.k3f9a2x1.partition.down.1795333357.1795333387');
    expect(parseFaultToxicName(name)).toEqual(identity);
  });

  it('writes 0 for no expiry and reads it back as undefined', () => {
    const name = faultToxicName({
      id: 'abcd1234',
      kind: 'latency',
      stream: 'upstream',
      createdAt: 5_000,
      expiresAt: undefined,
    });
    expect(name).toBe('geoctl.abcd1234.latency.up.5.0');
    expect(parseFaultToxicName(name)?.expiresAt).toBeUndefined();
  });

  it('rounds expiry up so a fault never looks expired before it is', () => {
    const name = faultToxicName({
      id: 'abcd1234',
      kind: 'latency',
      stream: 'upstream',
      createdAt: 1_000,
      expiresAt: 2_001,
    });
    expect(parseFaultToxicName(name)?.expiresAt).toBe(3_000);
  });

  it.each([
    'latency_downstream',
    'geoctl.x.partition.up.1.0',
    'geoctl.abcd1234.unknown.up.1.0',
    'geoctl.abcd1234.partition.sideways.1.0',
    'mine.abcd1234.partition.up.1.0',
  ])('does not claim toxics it did not create: %s', (name) => {
    expect(parseFaultToxicName(name)).toBeUndefined();
  });

  it('makes ids of 8 base-36 characters that differ', () => {
    const ids = new Set(Array.from({ length: 1000 }, newFaultId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]{8}$/);
  });
});
