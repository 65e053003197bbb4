import { describe, expect, it } from 'vitest';
import { GeoctlError } from '../../../src/errors.js';
import { resolveRegion, resolveRegionGroup } from '../../../src/topology/resolve-region.js';
import type { Region, Topology } from '../../../src/topology/topology.js';

function region(name: string, aliases: string[] = []): Region {
  return {
    name,
    aliases,
    client: { listen: `${name}:1`, upstream: `${name}:2`, proxy: `geoctl.client.${name}` },
  };
}

const topology: Topology = {
  file: '/work/geoctl.yaml',
  toxiproxy: { kind: 'embedded' },
  protocol: 'tcp',
  regions: [
    region('us-east', ['us']),
    region('eu-west', ['eu']),
    region('eu-central'),
    region('ap-south', ['ap']),
  ],
  links: [],
};

const KNOWN = 'us-east (aliases: us), eu-west (aliases: eu), eu-central, ap-south (aliases: ap)';

function errorOf(action: () => unknown): GeoctlError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(GeoctlError);
    return error as GeoctlError;
  }
  throw new Error('expected an error');
}

describe('resolveRegion', () => {
  it('finds a region by name and by alias', () => {
    expect(resolveRegion(topology, 'eu-central').name).toBe('eu-central');
    expect(resolveRegion(topology, 'ap').name).toBe('ap-south');
  });

  it('prefers an exact alias over a prefix of other names', () => {
    expect(resolveRegion(topology, 'eu').name).toBe('eu-west');
  });

  it('finds a region by a unique prefix of its name or alias', () => {
    expect(resolveRegion(topology, 'us-').name).toBe('us-east');
    expect(resolveRegion(topology, 'u').name).toBe('us-east');
    expect(resolveRegion(topology, 'eu-c').name).toBe('eu-central');
    expect(resolveRegion(topology, 'a').name).toBe('ap-south');
  });

  it('lists the known regions and aliases for an unknown one', () => {
    const error = errorOf(() => resolveRegion(topology, 'asia'));
    expect(error.code).toBe('E_INVALID_VALUE');
    expect(error.message).toBe(`unknown region "asia"; known regions: ${KNOWN}`);
    expect(error.details).toEqual({
      region: 'asia',
      known: [
        { name: 'us-east', aliases: ['us'] },
        { name: 'eu-west', aliases: ['eu'] },
        { name: 'eu-central', aliases: [] },
        { name: 'ap-south', aliases: ['ap'] },
      ],
    });
  });

  it('lists the candidates for an ambiguous prefix', () => {
    const error = errorOf(() => resolveRegion(topology, 'eu-'));
    expect(error.code).toBe('E_INVALID_VALUE');
    expect(error.message).toBe('region "eu-" is ambiguous; it could be eu-west (aliases: eu), eu-central');
    expect(error.details).toEqual({ region: 'eu-', candidates: ['eu-west', 'eu-central'] });
  });

  it('does not treat the empty string as a prefix of everything', () => {
    expect(errorOf(() => resolveRegion({ ...topology, regions: [region('solo')] }, '')).message).toMatch(
      'unknown region ""; known regions: solo',
    );
  });
});

describe('resolveRegionGroup', () => {
  it('resolves each entry, in the order given, once', () => {
    const names = resolveRegionGroup(topology, 'eu, us-east,ap,us,eu-west').map((found) => found.name);
    expect(names).toEqual(['eu-west', 'us-east', 'ap-south']);
  });

  it('takes a single region', () => {
    expect(resolveRegionGroup(topology, 'us').map((found) => found.name)).toEqual(['us-east']);
  });

  it('rejects empty entries', () => {
    for (const group of ['us,,eu', 'us,', ',us', '', ' , ']) {
      const error = errorOf(() => resolveRegionGroup(topology, group));
      expect(error.code).toBe('E_INVALID_VALUE');
      expect(error.message).toBe(`region group "${group}" has an empty entry`);
    }
  });

  it('passes on the error for an unknown entry', () => {
    expect(errorOf(() => resolveRegionGroup(topology, 'us,mars')).message).toBe(
      `unknown region "mars"; known regions: ${KNOWN}`,
    );
  });
});
