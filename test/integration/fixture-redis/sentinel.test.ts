import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, type CliProcess } from '../../helpers/cli.js';
import { alive } from '../../helpers/processes.js';
import { useScratch } from '../../helpers/scratch.js';
import { failoverSummary, readObservations, runGameDay } from '../../helpers/game-day.js';
import { deployedUrl, faultsLeftOn } from '../../helpers/toxics-left.js';
import { REGIONS, wireSentinelTopology, type Region } from '../../helpers/sentinel-topology.js';
import { waitFor } from '../../helpers/wait-for.js';

// `geoctl fixture redis` as a user runs it (a real subprocess of the built CLI), with the shipped
// fixtures/redis-sentinel topology copied onto free ports, and the shipped failover game day run against it
// with `geoctl run`. Ground truth comes from Redis and Sentinel themselves, never through geoctl: the
// Sentinels' +switch-master events (subscribed to directly), every acknowledged key read from the new
// primary's own port, and each node's INFO replication.

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface ListeningEvent {
  event: 'listening';
  dir: string;
  nodes: Array<{ region: string; pid: number; address: string; announce: string }>;
  sentinels: Array<{ address: string; pid: number }>;
}

const scratch = useScratch();

const direct = async (port: number): Promise<Redis> => {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  await client.connect();
  scratch.defer(async () => client.disconnect());
  return client;
};

const infoField = (info: string, name: string): string | undefined =>
  new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

/**
 * Starts the fixture, runs `scenario` (which isolates us-east, the primary), checks geoctl's figures against
 * Sentinel and Redis, then stops the fixture. Returns geoctl's lost-write count.
 */
async function gameDay(scenario: string): Promise<number> {
  const dir = await scratch.dir('geoctl-fixture-redis-test-');
  const env = { GEOCTL_STATE_DIR: join(dir, 'state'), TOXIPROXY_URL: '' };
  const wiring = await wireSentinelTopology(dir);

  const deployed = await runCli(['deploy', '--config', wiring.file, '--json'], env, 20_000);
  expect(deployed.code, deployed.stderr).toBe(0);
  const server = (JSON.parse(deployed.stdout) as { server: { pid?: number } }).server;
  const toxiproxyUrl = deployedUrl(deployed.stdout);
  scratch.defer(async () => {
    await runCli(['teardown', '--config', wiring.file, '--json'], env, 15_000);
    if (server.pid !== undefined) {
      try {
        process.kill(server.pid, 'SIGKILL');
      } catch {
        // stopped by teardown
      }
    }
  });

  const fixture: CliProcess = spawnCli(
    ['fixture', 'redis', '--config', wiring.file, '--dir', dir, '--json'],
    env,
  );
  const listening = JSON.parse(await fixture.nextLine(20_000)) as ListeningEvent;
  expect(listening.event).toBe('listening');
  expect(listening.dir.startsWith(dir)).toBe(true);
  expect(listening.nodes.map((n) => n.announce)).toEqual(REGIONS.map((r) => wiring.clientListen[r]));
  const pids = [...listening.nodes, ...listening.sentinels].map((p) => p.pid);
  expect(pids.every(alive)).toBe(true);

  // Ground truth for the failover's end: each Sentinel's own +switch-master (the leader's comes last: it
  // waits failover-timeout for replicas it may not re-point; the others switch on its hello at once).
  const switches: Array<{ at: number; message: string }> = [];
  const promoted: number[] = [];
  for (const port of wiring.sentinelPorts) {
    const sub = await direct(port);
    sub.on('message', (channel: string, message: string) => {
      if (channel === '+switch-master') switches.push({ at: Date.now(), message });
      if (channel === '+promoted-slave') promoted.push(Date.now());
    });
    await sub.subscribe('+switch-master', '+promoted-slave');
  }

  // The fixture says when every Sentinel knows every replica and the other Sentinels.
  const events: Array<Record<string, unknown>> = [];
  for (;;) {
    const event = JSON.parse(await fixture.nextLine(30_000)) as Record<string, unknown>;
    events.push(event);
    if (event.event === 'ready') break;
  }

  const out = join(dir, 'out');
  const { record } = await runGameDay(
    [join(root, scenario), '--topology', wiring.file],
    env,
    out,
    60_000,
    async () => {
      const log = await readFile(join(env.GEOCTL_STATE_DIR, 'embedded', 'server.log'), 'utf8').catch(
        () => '(no embedded server log)',
      );
      return `\nembedded server log:\n${log.slice(-3000)}`;
    },
  );
  expect(await faultsLeftOn(toxiproxyUrl)).toEqual([]);

  const summary = failoverSummary(record);
  const isolatedAt = record.faults.find((f) => f.kind === 'isolate')!.injectedAt;
  // The new primary, per the Sentinels: its announced address is a region's client proxy.
  const sentinel = await direct(wiring.sentinelPorts[0]!);
  const [, newPort] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', 'geoctl')) as string[];
  const newPrimary = REGIONS.find((r) => wiring.clientListen[r] === `127.0.0.1:${newPort}`)!;
  expect(newPrimary).not.toBe('us-east');
  expect(summary.failover.switchedRegion).toBe(true);
  expect(summary.failover.lastBefore.landedIn).toBe('us-east');
  expect(summary.failover.firstAfter.landedIn).toBe(newPrimary);
  expect(summary.rpo.checkedIn).toBe(newPrimary);

  // Failover time: geoctl's first write on the new primary against the first +switch-master; and its
  // reported seconds against isolation → +switch-master. Tolerance: a write interval (50 ms) plus the
  // probe's resolution, and the write timeout (250 ms) a write to the lost primary may block for.
  expect(switches.length).toBeGreaterThanOrEqual(2);
  const firstSwitch = Math.min(...switches.map((s) => s.at));
  const toleranceMs = 50 + summary.failover.resolutionMs + 250;
  const sentinelSeconds = (firstSwitch - isolatedAt) / 1000;
  console.log(
    `${scenario} failover: geoctl ${summary.failover.seconds.toFixed(3)} s (first ack on ${newPrimary} at +${(
      summary.failover.firstAfter.ackedAt - isolatedAt
    ).toFixed(
      0,
    )} ms after isolation); Sentinel +promoted-slave at +${(Math.min(...promoted) - isolatedAt).toFixed(0)} ms, ` +
      `first +switch-master at +${(firstSwitch - isolatedAt).toFixed(0)} ms, last at +${(
        Math.max(...switches.map((s) => s.at)) - isolatedAt
      ).toFixed(0)} ms; tolerance ±${toleranceMs.toFixed(0)} ms`,
  );
  expect(Math.abs(summary.failover.firstAfter.ackedAt - firstSwitch)).toBeLessThanOrEqual(toleranceMs);
  expect(Math.abs(summary.failover.seconds - sentinelSeconds) * 1000).toBeLessThanOrEqual(toleranceMs + 50);

  // RPO: every acknowledged write, read on the new primary's own port (not through geoctl or a proxy).
  const observations = await readObservations(out);
  const rawKey = observations.find((o) => o.probe === 'raw' && typeof o.key === 'string')!.key as string;
  const runId = rawKey.split('/')[2]!.replace(/-raw$/, '');
  const acked = observations
    .filter((o) => o.probe === 'failover' && o.type === 'write' && o.outcome === 'ok')
    .map((o) => Number(o.seq));
  expect(acked.length).toBeGreaterThan(100);
  const primaryDirect = await direct(wiring.nodePort[newPrimary]);
  expect(infoField(await primaryDirect.info('replication'), 'role')).toBe('master');
  const values = await primaryDirect.mget(...acked.map((seq) => `geoctl/failover/${runId}-failover/${seq}`));
  const missing = values.filter((v) => v === null).length;
  console.log(
    `${scenario} RPO: geoctl ${summary.rpo.lostWrites} lost; independent count ${missing} of ${acked.length} acked`,
  );
  expect(summary.rpo.unreadable).toBe(0);
  expect(summary.rpo.lostWrites).toBe(missing);

  // Replication still goes through the link proxies: every other node follows its link to the new
  // primary (the old primary too, once Sentinel's failover is over and the fixture demoted it).
  for (const region of REGIONS.filter((r) => r !== newPrimary)) {
    const node = await direct(wiring.nodePort[region]);
    const info = await waitFor(
      `${region} replicates from ${newPrimary} through its link proxy`,
      async () => {
        const text = await node.info('replication');
        return infoField(text, 'master_link_status') === 'up' ? text : undefined;
      },
      20_000,
    );
    const link = wiring.link.get(`${region}>${newPrimary}`)!;
    expect(`${infoField(info, 'master_host')}:${infoField(info, 'master_port')}`).toBe(link);
  }

  // Faults between two regions still act on replication after the failover: 300 ms one way on the link
  // the other replica now replicates through delays what it sees by that much, while us-east (untouched)
  // sees the same write at once. Timed on the nodes' own ports.
  const other = REGIONS.find((r) => r !== newPrimary && r !== 'us-east')!;
  const latency = await runCli(
    ['latency', newPrimary, other, '300ms', '--oneway', '--config', wiring.file, '--json'],
    env,
  );
  expect(latency.code, latency.stderr).toBe(0);
  const visibleAfter = async (region: Region, key: string, since: number): Promise<number> => {
    const node = await direct(wiring.nodePort[region]);
    return waitFor(`${key} reaches ${region}`, async () =>
      (await node.get(key)) === null ? undefined : Date.now() - since,
    );
  };
  const key = `geoctl-test/after-failover/${Date.now()}`;
  const since = Date.now();
  await primaryDirect.set(key, 'x');
  const [delayed, control] = await Promise.all([
    visibleAfter(other, key, since),
    visibleAfter('us-east', key, since),
  ]);
  console.log(
    `${scenario}: 300 ms one way on ${newPrimary}→${other} after the failover: ${other} saw a write after ${delayed} ms, us-east after ${control} ms`,
  );
  expect(delayed).toBeGreaterThanOrEqual(290);
  expect(delayed).toBeLessThan(300 + 400);
  expect(control).toBeLessThan(delayed - 100);
  const healed = await runCli(['heal', '--config', wiring.file, '--json'], env);
  expect(healed.code, healed.stderr).toBe(0);

  // SIGINT: every child stopped, the data directory gone, a clean exit.
  fixture.child.kill('SIGINT');
  const result = await fixture.result(15_000);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout.trim().split('\n').at(-1)).toContain('"event":"stopped"');
  expect(pids.filter(alive)).toEqual([]);
  expect(existsSync(listening.dir)).toBe(false);
  return summary.rpo.lostWrites;
}

describe('geoctl fixture redis: Sentinel failover through the proxies', () => {
  it('failover.yaml: isolating the primary; failover time matches +switch-master, nothing acknowledged is lost, replication stays on the link proxies', async () => {
    expect(await gameDay('fixtures/redis-sentinel/failover.yaml')).toBe(0);
  }, 90_000);

  it('split-brain.yaml: a primary cut off from its replicas first; the writes it acknowledged alone are lost, as counted on the new primary', async () => {
    expect(await gameDay('fixtures/redis-sentinel/split-brain.yaml')).toBeGreaterThan(0);
  }, 90_000);
});
