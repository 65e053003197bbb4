import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startEmbeddedToxiproxy,
  type EmbeddedToxiproxy,
} from '../../../src/chaos/embedded/embedded-server.js';
import { killAllCli, runCli, type CliResult } from '../../helpers/cli.js';
import { freePorts } from '../../helpers/free-ports.js';
import { FaultFixture } from '../../helpers/topology-fixture.js';

// Commands that fail change nothing, so one deployed topology serves every test here; each test checks
// the server is still clean afterwards.
let f: FaultFixture;

beforeAll(async () => {
  f = await FaultFixture.start();
  await f.deploy();
});

afterEach(async () => {
  killAllCli();
  expect(await f.toxicNames()).toEqual([]);
  expect(Object.values(await f.proxies()).every((p) => p.enabled)).toBe(true);
});

afterAll(() => f?.close());

/** A clear message for people: on stderr, starting "Error: ", no stack trace, nothing on stdout. */
function expectCleanError(result: CliResult, code: number): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toMatch(/^Error: /);
  expect(result.stderr).not.toContain('    at ');
  expect(result.stdout).toBe('');
}

/** The fixture's topology with the `toxiproxy:` line replaced, in another file. */
async function topologyWith(toxiproxy: string, file: string): Promise<string> {
  const text = (await readFile(f.configFile, 'utf8')).replace(/^toxiproxy: .*$/m, `toxiproxy: ${toxiproxy}`);
  const path = join(f.dir, file);
  await writeFile(path, text);
  return path;
}

describe('bad input: a clear error, the right exit code, and no fault left behind', () => {
  it('unknown region: exit 2, the message lists the known regions', async () => {
    const result = await f.geoctl(['partition', 'us', 'mars']);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('unknown region "mars"');
    expect(result.stderr).toContain('us-east (aliases: us), eu-west (aliases: eu), ap-south (aliases: ap)');
  });

  it('malformed durations: a latency and a --for without a unit', async () => {
    const latency = await f.geoctl(['latency', 'us', 'eu', '10parsecs']);
    expectCleanError(latency, 2);
    expect(latency.stderr).toContain('"10parsecs" is not a duration');
    expect(latency.stderr).toMatch(/ms, s, m or h/);

    const forFlag = await f.geoctl(['partition', 'us', 'eu', '--for', '5']);
    expectCleanError(forFlag, 2);
    expect(forFlag.stderr).toContain('--for: "5" is not a duration');
  });

  it('malformed rate: exit 2 and the units it accepts', async () => {
    const result = await f.geoctl(['bandwidth', 'us', 'eu', 'fast']);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('"fast" is not a rate');
    expect(result.stderr).toContain('KB/s');
  });

  it('invalid topology file: exit 2 with file:line:col of each problem', async () => {
    const bad = join(f.dir, 'bad.yaml');
    const region = '  us-east: { client: { listen: 127.0.0.1:1, upstream: nowhere } }';
    await writeFile(bad, [`toxiproxy: ${f.toxiproxyUrl}`, 'regions:', region, ''].join('\n'));
    const result = await runCli(['partition', 'us', 'eu', '--config', bad], f.env);
    expectCleanError(result, 2);
    expect(result.stderr).toContain(`${bad}:3:${region.indexOf('nowhere') + 1} `);
    expect(result.stderr).toContain('regions.us-east.client.upstream');
  });

  it('unreachable Toxiproxy: exit 1, the message names the URL', async () => {
    const [closed] = await freePorts(1);
    const url = `http://127.0.0.1:${closed}`;
    const config = await topologyWith(url, 'unreachable.yaml');
    const result = await runCli(['partition', 'us', 'eu', '--config', config], f.env);
    expectCleanError(result, 1);
    expect(result.stderr).toContain(url);
  });

  it('not deployed: exit 1 with a hint to run geoctl deploy, and nothing created', async () => {
    let empty: EmbeddedToxiproxy | undefined;
    try {
      empty = await startEmbeddedToxiproxy({ port: 0 });
      const config = await topologyWith(empty.url, 'undeployed.yaml');
      const result = await runCli(['partition', 'us', 'eu', '--config', config], f.env);
      expectCleanError(result, 1);
      expect(result.stderr).toContain('geoctl.link.eu-west.us-east');
      expect(result.stderr).toContain('Run `geoctl deploy`');
      const json = await runCli(['partition', 'us', 'eu', '--config', config, '--json'], f.env);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout).error.code).toBe('E_NOT_DEPLOYED');
      expect(empty.proxies.list()).toEqual([]);
    } finally {
      await empty?.close();
    }
  });

  it('--detach without --for: exit 2', async () => {
    const result = await f.geoctl(['partition', 'us', 'eu', '--detach']);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('--for');
  });

  it('--oneway with --mode down: exit 2', async () => {
    const result = await f.geoctl(['partition', 'us', 'eu', '--oneway', '--mode', 'down']);
    expectCleanError(result, 2);
    expect(result.stderr).toContain('--oneway cannot be combined with --mode down');
  });
});
