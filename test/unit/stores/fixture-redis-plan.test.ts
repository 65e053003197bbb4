import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  nodeConfig,
  planRedisFixture,
  sentinelConfig,
} from '../../../src/stores/fixture-redis/redis-plan.js';
import { loadTopology } from '../../../src/topology/load-topology.js';
import type { Topology } from '../../../src/topology/topology.js';

const shipped = fileURLToPath(new URL('../../../fixtures/redis-sentinel/topology.yaml', import.meta.url));
const options = { downAfterMs: 1_000, failoverTimeoutMs: 5_000 };

describe('planRedisFixture (the shipped fixtures/redis-sentinel/topology.yaml)', () => {
  it('a primary in the first region, replicas on their link proxies, every node announced as its client proxy', async () => {
    const plan = planRedisFixture(await loadTopology({ path: shipped, store: 'deferred' }), options);
    expect(plan).toMatchObject({ master: 'geoctl', primary: 'us-east', quorum: 2 });
    expect(plan.sentinels.map((s) => s.port)).toEqual([27301, 27302, 27303]);
    expect(plan.nodes.map((n) => [n.region, n.port, n.announce.port, n.replicaOf?.port])).toEqual([
      ['us-east', 7301, 17301, undefined],
      ['eu-west', 7302, 17302, 18321],
      ['ap-south', 7303, 17303, 18331],
    ]);
    expect(plan.links.size).toBe(6);

    const eu = nodeConfig(plan.nodes[1]!, '/tmp/x');
    expect(eu).toContain('replica-announce-ip 127.0.0.1');
    expect(eu).toContain('replica-announce-port 17302');
    expect(eu).toContain('replicaof 127.0.0.1 18321');
    expect(eu).toContain('bind 127.0.0.1');
    // Sentinel may promote (SLAVEOF NO ONE) but not re-point.
    expect(eu.find((l) => l.startsWith('user geoctl-sentinel'))).toMatch(
      /-slaveof -replicaof \+slaveof\|no$/,
    );

    const sentinel = sentinelConfig(plan, plan.sentinels[0]!, '/tmp/s');
    expect(sentinel).toContain('sentinel monitor geoctl 127.0.0.1 17301 2');
    expect(sentinel).toContain('sentinel down-after-milliseconds geoctl 1000');
    expect(sentinel).toContain('sentinel failover-timeout geoctl 5000');
    expect(sentinel).toContain('sentinel auth-user geoctl geoctl-sentinel');
  });

  it('names every missing link and every address off loopback, in one E_CONFIG', async () => {
    const topology = await loadTopology({ path: shipped, store: 'deferred' });
    const broken: Topology = {
      ...topology,
      links: topology.links.filter((l) => l.from !== 'us-east'),
      regions: topology.regions.map((r) =>
        r.name === 'ap-south' ? { ...r, client: { ...r.client, listen: '0.0.0.0:17303' } } : r,
      ),
    };
    let error: unknown;
    try {
      planRedisFixture(broken, options);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'E_CONFIG' });
    const message = (error as Error).message;
    expect(message).toContain('missing: us-east → eu-west, us-east → ap-south');
    expect(message).toContain(
      'region ap-south client.listen: the fixture binds 127.0.0.1 only, got 0.0.0.0:17303',
    );
  });

  it('needs store.sentinel with at least three addresses', async () => {
    const topology = await loadTopology({ path: shipped, store: 'deferred' });
    const noSentinel: Topology = {
      ...topology,
      store: { ...topology.store!, options: { type: 'redis' } },
    };
    expect(() => planRedisFixture(noSentinel, options)).toThrow(/store.sentinel.master/);
  });
});
