import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import { deploy } from '../../../src/chaos/services/deploy.js';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.js';
import { startFixtureKv, type FixtureKv } from '../../../src/stores/fixture-kv/kv-cluster.js';
import type { Topology } from '../../../src/topology/topology.js';
import { killAllCli, runCli, spawnCli } from '../../helpers/cli.js';
import { kvTopology } from '../../helpers/kv-topology.js';

let toxiproxy: EmbeddedToxiproxy;
let kv: FixtureKv;
let dir: string;
let file: string;
let topology: Topology;

/** The topology as a user writes it, for the CLI. */
function yamlOf(t: Topology, extra = 'store: { type: fixture }'): string {
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
    extra,
    'regions:',
    ...regions,
    'links:',
    ...links,
    '',
  ].join('\n');
}

beforeEach(async () => {
  toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  topology = await kvTopology(toxiproxy.url);
  await deploy(new ToxiproxyDriver(toxiproxy.url), topology, false);
  kv = await startFixtureKv(topology, { batchMs: 0 });
  dir = await mkdtemp(join(tmpdir(), 'geoctl-probe-cli-'));
  file = join(dir, 'geoctl.yaml');
  await writeFile(file, yamlOf(topology));
});

afterEach(async () => {
  killAllCli();
  await kv.close();
  await toxiproxy.close();
  await rm(dir, { recursive: true, force: true });
});

describe('geoctl probe (the CLI)', () => {
  it('raw --json prints one summary document, and --out has every observation as it happened', async () => {
    const out = join(dir, 'raw.jsonl');
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
        '--out',
        out,
        '--json',
      ],
      { GEOCTL_STATE_DIR: dir },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      probe: string;
      summary: {
        pairs: Array<{ reader: string; checked: number; neverSeen: number }>;
        writes: Record<string, { ok: number }>;
      };
    };
    expect(doc.probe).toBe('raw');
    const eu = doc.summary.pairs.find((p) => p.reader === 'eu-west')!;
    expect(eu.checked).toBeGreaterThanOrEqual(15);
    expect(eu.neverSeen).toBe(0);
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.filter((l) => l.type === 'write')).toHaveLength(doc.summary.writes['us-east']!.ok);
    expect(lines.filter((l) => l.type === 'visible')).toHaveLength(2 * doc.summary.writes['us-east']!.ok);
    expect(lines.at(-1)!.type).toBe('summary');
  });

  it('lag runs until Ctrl-C and still prints its summary', async () => {
    const cli = spawnCli(
      ['probe', 'lag', '--config', file, '--writer', 'us', '--interval', '20ms', '--poll', '5ms'],
      { GEOCTL_STATE_DIR: dir },
    );
    await kv.until((t) => t.writes.filter((w) => w.key.startsWith('geoctl/heartbeat/')).length >= 10);
    cli.child.kill('SIGINT');
    const result = await cli.result();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Heartbeat lag');
    expect(result.stdout).toMatch(/us-east → eu-west\s+│\s+\d+/);
    expect(result.stdout).toContain('stopped by a signal');
  });

  it('failover and conflict and divergence run and summarise', async () => {
    for (const [probe, needle] of [
      ['failover', 'RPO'],
      ['conflict', 'Conflict rounds'],
      ['divergence', 'Divergent keys'],
    ] as const) {
      const result = await runCli(
        [
          'probe',
          probe,
          '--config',
          file,
          '--duration',
          '700ms',
          ...(probe === 'failover' ? ['--settle', '100ms'] : []),
        ],
        { GEOCTL_STATE_DIR: dir },
      );
      expect(result.stderr).not.toContain('    at ');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(needle);
    }
  });

  it('bad input: a clear error and a non-zero exit, no stack trace', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['probe', 'raw', '--config', file, '--duration', '5'], 2, /--duration: "5" is not a duration/],
      [['probe', 'raw', '--config', file, '--region', 'mars'], 2, /unknown region "mars"; known regions/],
      [
        ['probe', 'conflict', '--config', file, '--writer', 'us', '--duration', '1s'],
        2,
        /at least two writer regions/,
      ],
      [
        ['probe', 'raw', '--config', file, '--out', join(dir, 'no/such/dir/x.jsonl')],
        2,
        /--out .*cannot write there/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const result = await runCli(args, { GEOCTL_STATE_DIR: dir });
      expect(result.code, result.stderr).toBe(code);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain('    at ');
    }
    await writeFile(file, yamlOf(topology, ''));
    const noStore = await runCli(['probe', 'raw', '--config', file], { GEOCTL_STATE_DIR: dir });
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/has no store: section/);
  });
});
