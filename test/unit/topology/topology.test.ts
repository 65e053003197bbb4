import { describe, expect, it } from 'vitest';
import { clientProxyName, linkProxyName, proxiesFor, type Topology } from '../../../src/topology/topology.js';

const topology: Topology = {
  file: '/x/geoctl.yaml',
  toxiproxy: { kind: 'embedded' },
  protocol: 'tcp',
  regions: [
    {
      name: 'us-east',
      aliases: ['us'],
      client: { listen: 'l:1', upstream: 'u:1', proxy: 'geoctl.client.us-east' },
    },
    {
      name: 'eu-west',
      aliases: [],
      client: { listen: 'l:2', upstream: 'u:2', proxy: 'geoctl.client.eu-west' },
    },
  ],
  links: [
    { from: 'eu-west', to: 'us-east', listen: 'l:21', upstream: 'u:1', proxy: 'geoctl.link.eu-west.us-east' },
    { from: 'us-east', to: 'eu-west', listen: 'l:12', upstream: 'u:2', proxy: 'geoctl.link.us-east.eu-west' },
  ],
};

describe('proxy names', () => {
  it('follow geoctl.client.<region> and geoctl.link.<from>.<to>', () => {
    expect(clientProxyName('ap-south_2')).toBe('geoctl.client.ap-south_2');
    expect(linkProxyName('eu-west', 'us-east')).toBe('geoctl.link.eu-west.us-east');
    expect(linkProxyName('us-east', 'eu-west')).not.toBe(linkProxyName('eu-west', 'us-east'));
  });

  it('need no escaping in a Toxiproxy URL path', () => {
    for (const name of [clientProxyName('us-east-1'), linkProxyName('a_1', 'b-2')]) {
      expect(encodeURIComponent(name)).toBe(name);
      expect(new URL(`http://h/proxies/${name}/toxics`).pathname).toBe(`/proxies/${name}/toxics`);
    }
  });
});

describe('proxiesFor', () => {
  it('gives one proxy per client endpoint, then one per link, in order', () => {
    expect(proxiesFor(topology)).toEqual([
      {
        name: 'geoctl.client.us-east',
        listen: 'l:1',
        upstream: 'u:1',
        enabled: true,
        purpose: { kind: 'client', region: 'us-east' },
      },
      {
        name: 'geoctl.client.eu-west',
        listen: 'l:2',
        upstream: 'u:2',
        enabled: true,
        purpose: { kind: 'client', region: 'eu-west' },
      },
      {
        name: 'geoctl.link.eu-west.us-east',
        listen: 'l:21',
        upstream: 'u:1',
        enabled: true,
        purpose: { kind: 'link', from: 'eu-west', to: 'us-east' },
      },
      {
        name: 'geoctl.link.us-east.eu-west',
        listen: 'l:12',
        upstream: 'u:2',
        enabled: true,
        purpose: { kind: 'link', from: 'us-east', to: 'eu-west' },
      },
    ]);
  });

  it('is deterministic and does not change the topology', () => {
    const before = JSON.stringify(topology);
    expect(proxiesFor(topology)).toEqual(proxiesFor(topology));
    expect(JSON.stringify(topology)).toBe(before);
  });

  it('gives nothing for links when there are none', () => {
    expect(proxiesFor({ ...topology, links: [] }).map((proxy) => proxy.name)).toEqual([
      'geoctl.client.us-east',
      'geoctl.client.eu-west',
    ]);
  });
});
