import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedToxiproxy } from '../../src/chaos/embedded/embedded-server.js';
import { deploy } from '../../src/chaos/services/deploy.js';
import { ToxiproxyDriver } from '../../src/chaos/toxiproxy-driver.js';
import type { RunRecord } from '../../src/report/run-results.js';
import { startFixtureKv } from '../../src/stores/fixture-kv/kv-cluster.js';
import type { KvOptions } from '../../src/stores/fixture-kv/kv-types.js';
import type { Topology } from '../../src/topology/topology.js';
import { runCli, type CliResult } from './cli.js';
import { kvTopology } from './kv-topology.js';

export const scenariosDir = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));

export interface RecordedRun {
  /** The run directory `geoctl run --out` wrote. */
  dir: string;
  record: RunRecord;
  /** What `geoctl run` printed and its exit code. */
  run: CliResult;
}

/**
 * A real recorded run: a bundled scenario run by the CLI (`geoctl run <scenario> --topology … --out …`)
 * against geoctl's fixture store and an embedded Toxiproxy, both in this process on free ports, into
 * `<workDir>/<name>`. The store and server are stopped before it returns.
 */
export async function recordRun(options: {
  workDir: string;
  name: string;
  scenario: string;
  kv: Partial<KvOptions>;
  links?: Array<[string, string]>;
  timeoutMs?: number;
}): Promise<RecordedRun> {
  const base = join(options.workDir, options.name);
  await mkdir(base, { recursive: true });
  const toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  try {
    const topology: Topology = {
      ...(await kvTopology(toxiproxy.url, options.links)),
      file: join(base, 'geoctl.yaml'),
      store: { type: 'fixture', options: { type: 'fixture' }, offsets: new Map() },
    };
    await writeFile(topology.file, topologyYaml(topology, toxiproxy.url));
    await deploy(new ToxiproxyDriver(toxiproxy.url), topology, false);
    const kv = await startFixtureKv(topology, options.kv);
    try {
      const dir = join(base, 'run');
      const run = await runCli(
        ['run', join(scenariosDir, options.scenario), '--topology', topology.file, '--out', dir],
        { GEOCTL_STATE_DIR: join(base, 'state') },
        options.timeoutMs ?? 60_000,
      );
      const record = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunRecord;
      return { dir, record, run };
    } finally {
      await kv.close();
    }
  } finally {
    await toxiproxy.close();
  }
}

function topologyYaml(t: Topology, toxiproxyUrl: string): string {
  return [
    `toxiproxy: ${toxiproxyUrl}`,
    'protocol: http',
    'store: { type: fixture, timeout: 1s }',
    'regions:',
    ...t.regions.map(
      (r) =>
        `  ${r.name}: { aliases: [${r.aliases.join(', ')}], client: { listen: ${r.client.listen}, upstream: ${r.client.upstream} } }`,
    ),
    'links:',
    ...t.links.map(
      (l) => `  - { from: ${l.from}, to: ${l.to}, listen: ${l.listen}, upstream: ${l.upstream} }`,
    ),
    '',
  ].join('\n');
}
