import { clientProxyName, linkProxyName, type Topology } from '../../src/topology/topology.js';
import { freePorts } from './free-ports.js';

/**
 * A topology on free loopback ports for the fixture store: regions us-east, eu-west, ap-south; links as
 * given (default: eu-west and ap-south dial us-east, as in fixtures/topologies/three-regions.yaml).
 */
export async function kvTopology(
  toxiproxyUrl: string,
  links: Array<[string, string]> = [
    ['eu-west', 'us-east'],
    ['ap-south', 'us-east'],
  ],
): Promise<Topology> {
  const names = ['us-east', 'eu-west', 'ap-south'];
  const ports = await freePorts(names.length * 2 + links.length);
  const upstream = (i: number) => `127.0.0.1:${ports[i]}`;
  const regions = names.map((name, i) => ({
    name,
    aliases: [name.slice(0, 2)],
    client: {
      listen: `127.0.0.1:${ports[names.length + i]}`,
      upstream: upstream(i),
      proxy: clientProxyName(name),
    },
  }));
  return {
    file: '/virtual/geoctl.yaml',
    toxiproxy: { kind: 'url', url: toxiproxyUrl },
    protocol: 'http',
    regions,
    links: links.map(([from, to], i) => ({
      from,
      to,
      listen: `127.0.0.1:${ports[names.length * 2 + i]}`,
      upstream: upstream(names.indexOf(to)),
      proxy: linkProxyName(from, to),
    })),
  };
}
