import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedToxiproxy } from '../chaos/embedded/embedded-server.js';
import { deploy } from '../chaos/services/deploy.js';
import { ToxiproxyDriver } from '../chaos/toxiproxy-driver.js';
import { writeRunReports } from '../report/render-report.js';
import type { RunRecord } from '../report/run-results.js';
import { loadScenario } from '../scenario/load-scenario.js';
import { runScenario, type RunScenarioOptions } from '../scenario/run-scenario.js';
import { startFixtureKv, type FixtureKv } from '../stores/fixture-kv/kv-cluster.js';
import { openStore } from '../stores/open-store.js';
import { freeLoopbackPorts } from '../topology/free-ports.js';
import { loadTopology } from '../topology/load-topology.js';

const scenariosDir = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));

export interface DemoPart {
  title: string;
  dir: string;
  record: RunRecord;
  /** report.html and report.md in dir. */
  reports: string[];
}

export interface DemoResult {
  dir: string;
  topology: string;
  toxiproxy: string;
  parts: DemoPart[];
  interrupted: boolean;
}

/**
 * The whole game day on a laptop with nothing installed: geoctl's embedded Toxiproxy server and its
 * fixture store, in this process, on free loopback ports; proxies deployed; two bundled scenarios run
 * (active-active under latency and a partition; then a primary failover that loses acknowledged writes),
 * each recorded in its own directory with report.html and report.md.
 * Everything it started is stopped and every fault healed before it returns, also on a signal.
 */
export async function runDemo(options: {
  dir: string;
  signal: AbortSignal;
  progress: RunScenarioOptions['progress'];
  onPart?: (title: string) => void;
}): Promise<DemoResult> {
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const toxiproxy = await startEmbeddedToxiproxy({ port: 0 });
  const parts: DemoPart[] = [];
  let kv: FixtureKv | undefined;
  try {
    const topologyFile = join(dir, 'geoctl.yaml');
    await writeFile(topologyFile, await demoTopology(toxiproxy.url));
    const topology = await loadTopology({ path: topologyFile });
    const driver = new ToxiproxyDriver(toxiproxy.url);
    await deploy(driver, topology, false);
    const runs: Array<{ title: string; scenario: string; kv: Parameters<typeof startFixtureKv>[1] }> = [
      {
        title: 'active-active: latency, a partition, heal',
        scenario: 'demo-active-active.yaml',
        kv: { mode: 'active-active', batchMs: 5 },
      },
      {
        title: 'primary failover with asynchronous acks',
        scenario: 'demo-failover.yaml',
        kv: { mode: 'primary', primary: 'us-east', batchMs: 5, failoverAfterMs: 1_500 },
      },
    ];
    for (const [i, run] of runs.entries()) {
      if (options.signal.aborted) break;
      options.onPart?.(run.title);
      kv = await startFixtureKv(topology, run.kv);
      const store = await openStore(topology);
      const partDir = join(dir, `${i + 1}-${run.scenario.replace(/^demo-|\.yaml$/g, '')}`);
      try {
        const scenario = await loadScenario(join(scenariosDir, run.scenario));
        const record = await runScenario({
          scenario,
          topology,
          driver,
          store,
          outDir: partDir,
          signal: options.signal,
          progress: options.progress,
        });
        const reports = await writeRunReports(partDir).then(
          (written) => written.map((r) => r.file),
          (error: Error) => {
            options.progress?.({ at: Date.now(), message: `could not write the reports: ${error.message}` });
            return [];
          },
        );
        parts.push({ title: run.title, dir: partDir, record, reports });
      } finally {
        await store.close();
        await kv.close();
        kv = undefined;
      }
    }
    return {
      dir,
      topology: topologyFile,
      toxiproxy: toxiproxy.url,
      parts,
      interrupted: options.signal.aborted,
    };
  } finally {
    await kv?.close();
    await toxiproxy.close();
  }
}

/** Three regions; every pair linked, so a replica can take over when the primary is cut off. */
async function demoTopology(toxiproxyUrl: string): Promise<string> {
  const ports = await freeLoopbackPorts(9);
  const at = (i: number): string => `127.0.0.1:${ports[i]}`;
  return [
    "# Written by `geoctl demo`: three regions on free loopback ports, geoctl's fixture store behind",
    '# the proxies of an embedded Toxiproxy that lived only while the demo ran.',
    `toxiproxy: ${toxiproxyUrl}`,
    'protocol: http',
    'store: { type: fixture, timeout: 1s }',
    'regions:',
    `  us-east: { aliases: [us], client: { listen: ${at(3)}, upstream: ${at(0)} } }`,
    `  eu-west: { aliases: [eu], client: { listen: ${at(4)}, upstream: ${at(1)} } }`,
    `  ap-south: { aliases: [ap], client: { listen: ${at(5)}, upstream: ${at(2)} } }`,
    'links:',
    `  - { from: eu-west, to: us-east, listen: ${at(6)}, upstream: ${at(0)} }`,
    `  - { from: ap-south, to: us-east, listen: ${at(7)}, upstream: ${at(0)} }`,
    `  - { from: ap-south, to: eu-west, listen: ${at(8)}, upstream: ${at(1)} }`,
    '',
  ].join('\n');
}
