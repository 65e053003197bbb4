import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedToxiproxy } from '../../../src/chaos/embedded/embedded-server.js';
import type { FaultRequest } from '../../../src/chaos/faults/fault.js';
import { planFault } from '../../../src/chaos/faults/plan-fault.js';
import { deploy } from '../../../src/chaos/services/deploy.js';
import { activeFaults } from '../../../src/chaos/services/geoctl-toxics.js';
import { injectFault } from '../../../src/chaos/services/inject-fault.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import type { ProbeMetrics } from '../../../src/metrics/probe-metrics.js';
import { runConflictProbe } from '../../../src/probes/conflict-probe.js';
import { runDivergenceProbe } from '../../../src/probes/divergence-probe.js';
import { runFailoverProbe } from '../../../src/probes/failover-probe.js';
import { runLagProbe } from '../../../src/probes/lag-probe.js';
import { runProbeSession } from '../../../src/probes/probe-session.js';
import type { ProbeContext } from '../../../src/probes/probe-types.js';
import { runRawProbe } from '../../../src/probes/raw-probe.js';
import { startFixtureKv } from '../../../src/stores/fixture-kv/kv-cluster.js';
import { openStore } from '../../../src/stores/open-store.js';
import type { Store } from '../../../src/stores/store.js';
import type { Topology } from '../../../src/topology/topology.js';
import { killAllCli, runCli, spawnCli } from '../../helpers/cli.js';
import { http } from '../../helpers/http.js';
import { kvTopology } from '../../helpers/kv-topology.js';
import {
  parseExposition,
  promtoolCheckMetrics,
  queryUntil,
  startPrometheus,
  startPushgateway,
  type InstantSample,
} from '../../helpers/prometheus.js';

/**
 * The probes' metrics as real Prometheus tooling sees them: a Prometheus scraping a running probe, promtool
 * linting the exposition, a Pushgateway receiving the end-of-run push. The store is the fixture kv behind
 * the in-process embedded Toxiproxy, with faults injected through it.
 */

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  killAllCli();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Stack {
  topology: Topology;
  driver: ToxiproxyDriver;
  store: Store;
  /** A topology file for the CLI and a state directory of its own. */
  file: string;
  dir: string;
  inject(request: FaultRequest, id: string): Promise<unknown>;
}

async function setUp(): Promise<Stack> {
  const toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  cleanups.push(() => toxiproxy.close());
  const driver = new ToxiproxyDriver(toxiproxy.url);
  const topology: Topology = {
    ...(await kvTopology(toxiproxy.url)),
    store: { type: 'fixture', options: { type: 'fixture' }, offsets: new Map() },
  };
  await deploy(driver, topology, false);
  const kv = await startFixtureKv(topology, { batchMs: 0 });
  cleanups.push(() => kv.close());
  const store = await openStore(topology, {});
  cleanups.push(() => store.close());
  const dir = await mkdtemp(join(tmpdir(), 'geoctl-metrics-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'geoctl.yaml');
  await writeFile(
    file,
    [
      `toxiproxy: ${toxiproxy.url}`,
      'protocol: http',
      'store: { type: fixture }',
      'regions:',
      ...topology.regions.map(
        (r) =>
          `  ${r.name}: { aliases: [${r.aliases.join(', ')}], client: { listen: ${r.client.listen}, upstream: ${r.client.upstream} } }`,
      ),
      'links:',
      ...topology.links.map(
        (l) => `  - { from: ${l.from}, to: ${l.to}, listen: ${l.listen}, upstream: ${l.upstream} }`,
      ),
      '',
    ].join('\n'),
  );
  const inject = (request: FaultRequest, id: string) =>
    injectFault(driver, topology, planFault(topology, request, { id, now: Date.now() }), { verify: false });
  return { topology, driver, store, file, dir, inject };
}

const latency = (latencyMs: number): FaultRequest => ({
  kind: 'latency',
  a: ['us-east'],
  b: ['eu-west'],
  oneway: true,
  latencyMs,
  jitterMs: 0,
});

/** One sample by its labels (all of `labels` must match). */
function sampleOf(samples: InstantSample[], labels: Record<string, string>): InstantSample | undefined {
  return samples.find((s) => Object.entries(labels).every(([k, v]) => s.metric[k] === v));
}

const hostPort = (url: string): string => new URL(url).host;

describe('Prometheus scrapes a running probe', () => {
  it('geoctl probe lag --metrics-port 0: heartbeat lag ≈ the injected latency; a raw probe’s visibility histogram', async () => {
    const LATENCY_MS = 200;
    const { store, file, dir, inject } = await setUp();
    await inject(latency(LATENCY_MS), 'prom0001');

    // The lag probe as a user runs it: the CLI prints where its /metrics are on stderr.
    const cli = spawnCli(
      [
        'probe',
        'lag',
        '--config',
        file,
        '--writer',
        'us',
        '--interval',
        '50ms',
        '--poll',
        '5ms',
        '--metrics-port',
        '0',
      ],
      { GEOCTL_STATE_DIR: dir },
    );
    const lagUrl = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(
        () => reject(new Error(`geoctl probe lag printed no metrics URL within 10 s: ${stderr}`)),
        10_000,
      );
      const onData = (chunk: string): void => {
        stderr += chunk;
        const match = /Prometheus metrics at (\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          cli.child.stderr.off('data', onData);
          resolve(match[1]!);
        }
      };
      cli.child.stderr.on('data', onData);
      cli.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`geoctl probe lag exited (${code}): ${stderr}`));
      });
    });
    expect(lagUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    // A raw probe in-process, beside it, for the histogram.
    const stopRaw = new AbortController();
    let listening!: (url: string) => void;
    const listeningAt = new Promise<string>((resolve) => (listening = resolve));
    const raw = runProbeSession(
      {
        store,
        signal: stopRaw.signal,
        metricsPort: 0,
        labels: { probe: 'raw' },
        onMetricsListening: listening,
      },
      (ctx) =>
        runRawProbe(ctx, {
          writers: ['us-east'],
          readers: ['eu-west', 'ap-south'],
          rate: 20,
          concurrency: 32,
          visibilityTimeoutMs: 3_000,
          pollMs: 2,
          operationTimeoutMs: 2_000,
        }),
    );
    cleanups.push(async () => {
      stopRaw.abort();
      await raw;
    });
    const rawUrl = await Promise.race([
      listeningAt,
      raw.then(() => Promise.reject(new Error('the raw probe session ended before it listened'))),
    ]);

    const prometheus = await startPrometheus({ targets: [hostPort(lagUrl), hostPort(rawUrl)] });
    cleanups.push(() => prometheus.stop());

    const heartbeat = await queryUntil(
      prometheus,
      'geoctl_heartbeat_lag_seconds',
      (s) =>
        sampleOf(s, { from: 'us-east', to: 'eu-west' }) !== undefined &&
        sampleOf(s, { from: 'us-east', to: 'ap-south' }) !== undefined,
    );
    const eu = sampleOf(heartbeat, { from: 'us-east', to: 'eu-west' })!;
    expect(eu.metric).toMatchObject({ job: 'geoctl', instance: hostPort(lagUrl), probe: 'lag' });
    // pt-heartbeat age: from the replication delay up to delay + one interval (+ a poll and scheduling).
    expect(eu.value).toBeGreaterThanOrEqual(LATENCY_MS / 1000 - 0.001);
    expect(eu.value).toBeLessThan(LATENCY_MS / 1000 + 0.2);
    // ap-south replicates over its own, unfaulted link.
    expect(sampleOf(heartbeat, { from: 'us-east', to: 'ap-south' })!.value).toBeLessThan(LATENCY_MS / 1000);

    const count = (s: InstantSample[], to: string, le: string) =>
      sampleOf(s, { probe: 'raw', from: 'us-east', to, le })?.value ?? 0;
    const buckets = await queryUntil(
      prometheus,
      'geoctl_visibility_lag_seconds_bucket',
      (s) => count(s, 'eu-west', '+Inf') >= 5 && count(s, 'ap-south', '+Inf') >= 5,
    );
    expect(sampleOf(buckets, { to: 'eu-west' })!.metric).toMatchObject({
      job: 'geoctl',
      instance: hostPort(rawUrl),
    });
    // 200 ms of replication latency: nothing visible in eu-west within 100 ms, most within 250 ms.
    const euAll = count(buckets, 'eu-west', '+Inf');
    expect(count(buckets, 'eu-west', '0.1')).toBe(0);
    expect(count(buckets, 'eu-west', '0.25')).toBeGreaterThanOrEqual(euAll / 2);
    expect(count(buckets, 'ap-south', '0.1')).toBeGreaterThanOrEqual(count(buckets, 'ap-south', '+Inf') / 2);

    cli.child.kill('SIGINT');
    const result = await cli.result();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Heartbeat lag');
    stopRaw.abort();
    expect((await raw).summary.pairs.find((p) => p.reader === 'eu-west')!.neverSeen).toBe(0);
  }, 30_000);
});

describe('promtool check metrics', () => {
  it('finds no problem in /metrics of a probe session that observed every metric family it can', async () => {
    const { driver, store, inject } = await setUp();
    await inject(latency(100), 'prom0002');
    await inject(
      { kind: 'partition', a: ['us-east'], b: ['ap-south'], oneway: false, mode: 'blackhole' },
      'prom0003',
    );
    let url!: string;
    let live = '';
    let contentType: string | string[] | undefined;
    let metrics: ProbeMetrics | undefined;
    const all = async (ctx: ProbeContext) => {
      const [raw, lag, failover, divergence, conflict] = await Promise.all([
        // eu-west: visible late, so stale reads; ap-south (partitioned): never visible, and with room to
        // follow only 4 writes at once (each for 300 ms, 20 writes/s), some unchecked.
        runRawProbe(ctx, {
          writers: ['us-east'],
          readers: ['eu-west', 'ap-south'],
          rate: 20,
          concurrency: 4,
          visibilityTimeoutMs: 300,
          pollMs: 5,
          operationTimeoutMs: 1_000,
        }),
        runLagProbe(ctx, {
          writers: ['us-east'],
          readers: ['eu-west'],
          intervalMs: 50,
          pollMs: 5,
          operationTimeoutMs: 1_000,
        }),
        runFailoverProbe(ctx, {
          writers: ['us-east', 'eu-west'],
          intervalMs: 20,
          operationTimeoutMs: 1_000,
          settleMs: 0,
        }),
        runDivergenceProbe(ctx, {
          writers: ['us-east', 'eu-west'],
          readers: ['us-east', 'eu-west', 'ap-south'],
          keys: 10,
          rate: 40,
          checkIntervalMs: 50,
          operationTimeoutMs: 1_000,
        }),
        runConflictProbe(ctx, {
          writers: ['us-east', 'eu-west'],
          readers: ['us-east', 'eu-west'],
          rate: 10,
          concurrency: 8,
          convergeTimeoutMs: 2_000,
          pollMs: 5,
          operationTimeoutMs: 1_000,
        }),
      ]);
      // What a scrape sees at the end of the run, over HTTP.
      const response = await http(url, 'GET', '/metrics');
      expect(response.status).toBe(200);
      live = response.body;
      contentType = response.headers['content-type'];
      return { raw, lag, failover, divergence, conflict };
    };
    const result = await runProbeSession(
      {
        store,
        durationMs: 1_200,
        signal: new AbortController().signal,
        metricsPort: 0,
        labels: { probe: 'all' },
        activeFaults: async () => activeFaults(await driver.listProxies()).length,
        onMetricsListening: (u) => (url = u),
      },
      all,
      // As `geoctl probe failover` does at the end of its run.
      (summary, m) => {
        if (summary.failover.failover) m.failoverSeconds.set(summary.failover.failover.seconds);
        m.rpoLostWrites.set(summary.failover.rpo.lostWrites);
        metrics = m;
      },
    );
    expect(result.summary.raw.pairs.find((p) => p.reader === 'ap-south')!.neverSeen).toBeGreaterThan(0);
    expect(result.summary.conflict.byResolution.winner).toBeGreaterThan(0);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');

    // The final state (what --pushgateway pushes) also has the failover gauges set at the end.
    const final = await metrics!.registry.metrics();
    for (const text of [live, final]) {
      const check = await promtoolCheckMetrics(text);
      expect({ code: check.code, output: check.output }, text).toEqual({ code: 0, output: '' });
    }

    const families = [...final.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!);
    const sampled = new Set(
      parseExposition(final).map((s) => s.metric.__name__!.replace(/_(bucket|sum|count)$/, '')),
    );
    // Read-your-writes never fails on the fixture store (each region reads its own writes at once).
    expect(families.filter((f) => !sampled.has(f))).toEqual(['geoctl_read_your_writes_violations_total']);
    const samples = parseExposition(final);
    expect(sampleOf(samples, { __name__: 'geoctl_active_faults' })!.value).toBe(2);
    expect(sampleOf(samples, { __name__: 'geoctl_divergent_keys', probe: 'all' })).toBeDefined();
    expect(
      sampleOf(samples, { __name__: 'geoctl_never_visible_writes_total', from: 'us-east', to: 'ap-south' })!
        .value,
    ).toBe(result.summary.raw.pairs.find((p) => p.reader === 'ap-south')!.neverSeen);
    const unchecked = result.summary.raw.pairs.find((p) => p.reader === 'ap-south')!.unchecked;
    expect(unchecked).toBeGreaterThan(0);
    expect(
      sampleOf(samples, { __name__: 'geoctl_unchecked_writes_total', from: 'us-east', to: 'ap-south' })!
        .value,
    ).toBe(unchecked);
  }, 20_000);
});

describe('Pushgateway', () => {
  it('geoctl probe raw --pushgateway pushes its metrics under job geoctl_raw at the end of the run', async () => {
    const { file, dir } = await setUp();
    const gateway = await startPushgateway();
    cleanups.push(() => gateway.stop());
    const result = await runCli(
      [
        'probe',
        'raw',
        '--config',
        file,
        '--writer',
        'us',
        '--region',
        'eu,ap',
        '--rate',
        '20',
        '--duration',
        '1s',
        '--pushgateway',
        gateway.url,
        '--json',
      ],
      { GEOCTL_STATE_DIR: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      pushed?: string;
      summary: { writes: Record<string, { ok: number }>; pairs: Array<{ reader: string; checked: number }> };
    };
    expect(doc.pushed).toBe(gateway.url);
    const written = doc.summary.writes['us-east']!.ok;
    expect(written).toBeGreaterThan(5);

    const response = await http(gateway.url, 'GET', '/metrics');
    expect(response.status).toBe(200);
    const samples = parseExposition(response.body).filter((s) => s.metric.job === 'geoctl_raw');
    const job = { job: 'geoctl_raw', instance: '', probe: 'raw' };
    expect(
      sampleOf(samples, {
        __name__: 'geoctl_operations_total',
        ...job,
        region: 'us-east',
        operation: 'write',
        outcome: 'ok',
      })?.value,
    ).toBe(written);
    expect(
      sampleOf(samples, { __name__: 'geoctl_operations_total', ...job, region: 'eu-west', operation: 'read' })
        ?.value,
    ).toBeGreaterThanOrEqual(written);
    expect(
      sampleOf(samples, {
        __name__: 'geoctl_visibility_lag_seconds_count',
        ...job,
        from: 'us-east',
        to: 'eu-west',
      })?.value,
    ).toBe(doc.summary.pairs.find((p) => p.reader === 'eu-west')!.checked);
    expect(sampleOf(samples, { __name__: 'push_time_seconds', job: 'geoctl_raw' })?.value).toBeGreaterThan(0);
  }, 20_000);
});
