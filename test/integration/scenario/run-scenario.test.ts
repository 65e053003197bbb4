import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import { deploy } from '../../../src/chaos/services/deploy.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import type { RunRecord } from '../../../src/report/run-results.js';
import { loadScenario } from '../../../src/scenario/load-scenario.js';
import { runScenario } from '../../../src/scenario/run-scenario.js';
import { startFixtureKv, type FixtureKv } from '../../../src/stores/fixture-kv/kv-cluster.js';
import { openStore } from '../../../src/stores/open-store.js';
import type { Topology } from '../../../src/topology/topology.js';
import { CliProcess, killAllCli, spawnCli } from '../../helpers/cli.js';

const CLI_BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
import { kvTopology } from '../../helpers/kv-topology.js';

let toxiproxy: EmbeddedToxiproxy;
let driver: ToxiproxyDriver;
let kv: FixtureKv;
let topology: Topology;
let dir: string;

beforeEach(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  driver = new ToxiproxyDriver(toxiproxy.url);
  dir = await mkdtemp(join(tmpdir(), 'geoctl-run-'));
  topology = {
    ...(await kvTopology(toxiproxy.url)),
    file: join(dir, 'geoctl.yaml'),
    store: { type: 'fixture', options: { type: 'fixture' }, offsets: new Map() },
  };
  await writeFile(topology.file, yamlOf(topology));
  await deploy(driver, topology, false);
  kv = await startFixtureKv(topology, { batchMs: 0 });
});

afterEach(async () => {
  killAllCli();
  await kv.close();
  await toxiproxy.close();
  await rm(dir, { recursive: true, force: true });
});

function yamlOf(t: Topology): string {
  const regions = t.regions.map(
    (r) =>
      `  ${r.name}: { aliases: [${r.aliases.join(', ')}], client: { listen: ${r.client.listen}, upstream: ${r.client.upstream} } }`,
  );
  const links = t.links.map(
    (l) => `  - { from: ${l.from}, to: ${l.to}, listen: ${l.listen}, upstream: ${l.upstream} }`,
  );
  return [
    `toxiproxy: ${toxiproxy.url}`,
    'protocol: http',
    'store: { type: fixture }',
    'regions:',
    ...regions,
    'links:',
    ...links,
    '',
  ].join('\n');
}

async function scenarioFile(body: string[]): Promise<string> {
  const file = join(dir, 'game.yaml');
  await writeFile(file, [`topology: ${topology.file}`, ...body, ''].join('\n'));
  return file;
}

const PROBES = ['probes:', '  raw: { writer: us-east, region: [eu-west, ap-south], rate: 20, poll: 1ms }'];
const TIMELINE = [
  'timeline:',
  '  - phase: baseline',
  '  - wait: 700ms',
  '  - phase: latency',
  '  - fault: { latency: { between: [us-east, eu-west], latency: 120ms, oneway: true } }',
  '    for: 800ms',
  '  - phase: after',
  '  - wait: 300ms',
];

async function serverToxics(): Promise<number> {
  const proxies = await driver.listProxies();
  return proxies.reduce((n, p) => n + p.toxics.length, 0);
}

describe('geoctl run: a game day against the fixture store', () => {
  it('checks expectations per phase against what the probes saw; one passes, one must fail (exit 3)', async () => {
    const file = await scenarioFile([
      'name: gate',
      ...PROBES,
      ...TIMELINE,
      'expect:',
      '  - raw.eu-west.p50 >= 110ms during latency',
      '  - raw.eu-west.p99 < 50ms during latency',
      '  - raw.ap-south.never_seen == 0',
    ]);
    const scenario = await loadScenario(file);
    const store = await openStore(topology, {});
    const out = join(dir, 'out');
    let record: RunRecord;
    try {
      record = await runScenario({
        scenario,
        topology,
        driver,
        store,
        outDir: out,
        signal: new AbortController().signal,
      });
    } finally {
      await store.close();
    }
    expect(record.expectations.map((e) => e.status)).toEqual(['pass', 'fail', 'pass']);
    // The injected 120 ms, less the histogram's bucket width (1/64 of the value) and the write's own ack
    // time (replication can leave us-east before the HTTP answer reaches the probe).
    expect(record.expectations[0]!.measured!).toBeGreaterThanOrEqual(120 * (1 - 1 / 64) - 1);
    expect(record.expectations[0]!.measured!).toBeLessThan(140);
    expect(record.outcome).toMatchObject({ status: 'failed', exitCode: 3, leftBehind: [] });
    expect(record.phases.map((p) => p.name)).toEqual(['baseline', 'latency', 'after']);
    expect(record.faults).toHaveLength(1);
    expect(record.faults[0]!.healedAt).toBeDefined();
    expect(await serverToxics()).toBe(0);
    // Recorded for reports: run.json and every observation, tagged with its phase.
    const saved = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunRecord;
    expect(saved.outcome.status).toBe('failed');
    const lines = (await readFile(join(out, 'observations.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { phase?: string; type: string });
    expect(lines.filter((l) => l.type === 'visible' && l.phase === 'latency').length).toBeGreaterThan(5);
  }, 30_000);

  it('a failing hook stops the run, and the fault it had injected is healed (exit 1)', async () => {
    const file = await scenarioFile([
      'name: hook',
      ...PROBES,
      'timeline:',
      '  - fault: { partition: { between: [us-east, eu-west] } }',
      '  - run: { command: "echo promoting; exit 7", timeout: 5s }',
      '  - wait: 30s',
      'expect:',
      '  - raw.ap-south.never_seen == 0',
    ]);
    const store = await openStore(topology, {});
    try {
      const record = await runScenario({
        scenario: await loadScenario(file),
        topology,
        driver,
        store,
        outDir: join(dir, 'out'),
        signal: new AbortController().signal,
      });
      expect(record.outcome.status).toBe('error');
      expect(record.outcome.exitCode).toBe(1);
      expect(record.outcome.message).toMatch(/exited with 7: promoting.*every fault it injected is healed/);
      expect(record.outcome.healedOnExit).toHaveLength(1);
      expect(record.steps.find((s) => s.kind === 'wait')).toBeUndefined();
    } finally {
      await store.close();
    }
    expect(await serverToxics()).toBe(0);
  }, 30_000);

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s in the middle of a fault: the CLI heals, records, and exits %i',
    async (signal, code) => {
      const file = await scenarioFile([
        'name: interrupted',
        ...PROBES,
        'timeline:',
        '  - phase: cut',
        '  - fault: { partition: { between: [us-east, eu-west] } }',
        '    for: 60s',
        'expect:',
        '  - raw.ap-south.never_seen == 0',
      ]);
      const out = join(dir, 'cli-out');
      const cli = spawnCli(['run', file, '--out', out], { GEOCTL_STATE_DIR: dir });
      // Wait until the partition is on the server, then interrupt.
      for (let i = 0; i < 200 && (await serverToxics()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await serverToxics()).toBe(2);
      cli.child.kill(signal);
      const result = await cli.result(20_000);
      expect(result.code).toBe(code);
      expect(result.stdout).toMatch(/INTERRUPTED: interrupted; every fault it injected is healed/);
      expect(await serverToxics()).toBe(0);
      const saved = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunRecord;
      expect(saved.outcome).toMatchObject({ status: 'interrupted', exitCode: code, leftBehind: [] });
    },
    40_000,
  );

  it('a scenario naming a region the topology lacks is rejected before anything is touched (exit 2)', async () => {
    const file = await scenarioFile([
      'name: typo',
      ...PROBES,
      'timeline:',
      '  - fault: { isolate: mars }',
      'expect: []',
    ]);
    const result = await spawnCli(['run', file, '--out', join(dir, 'x')], { GEOCTL_STATE_DIR: dir }).result(
      20_000,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/timeline\.0\.fault: unknown region "mars"/);
    expect(result.stderr).not.toContain('    at ');
    expect(await serverToxics()).toBe(0);
  });

  it('a probe that crashes (its observations outgrow the file size limit) ends the run at once, healed (exit 1)', async () => {
    const file = await scenarioFile([
      'name: disk-full',
      ...PROBES,
      'timeline:',
      '  - phase: cut',
      '  - fault: { partition: { between: [us-east, eu-west] } }',
      '    for: 60s',
      'expect:',
      '  - raw.ap-south.never_seen == 0',
    ]);
    // A file size limit (ulimit -f, 1 KiB blocks) makes writes past 24 KiB fail with EFBIG, as a full disk or
    // a quota would: the observations file reaches it a few seconds in, while the partition is injected.
    const out = join(dir, 'full-out');
    const cli = new CliProcess(
      spawn(
        'bash',
        ['-c', 'ulimit -f 24 && exec "$0" "$@"', process.execPath, CLI_BIN, 'run', file, '--out', out],
        {
          env: { ...process.env, GEOCTL_STATE_DIR: dir, NODE_OPTIONS: '' },
          stdio: 'pipe',
        },
      ),
    );
    const started = Date.now();
    const result = await cli.result(40_000);
    expect(result.code, result.stderr).toBe(1);
    // Well before the 60 s fault would have expired.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.stderr).toMatch(
      /probe raw failed: cannot write observations to .*observations\.jsonl: .*EFBIG/,
    );
    expect(result.stdout, result.stderr).toMatch(/every fault it injected is healed/);
    expect(result.stderr).not.toContain('    at ');
    expect(await serverToxics()).toBe(0);
    const saved = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunRecord;
    expect(saved.outcome).toMatchObject({ status: 'error', exitCode: 1, leftBehind: [] });
    expect(saved.faults).toHaveLength(1);
    // The aborted `for: 60s` step healed its own fault, long before the 60 s were up.
    expect(saved.faults[0]!.healedAt! - saved.faults[0]!.injectedAt).toBeLessThan(25_000);
    expect(saved.faults[0]!.healedBy).toBe('timeline (for)');
    expect(saved.probes.raw!.error).toMatch(/EFBIG/);
  }, 60_000);
});
