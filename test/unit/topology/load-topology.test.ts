import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GeoctlError } from '../../../src/errors.js';
import { loadTopology } from '../../../src/topology/load-topology.js';
import type { Topology } from '../../../src/topology/topology.js';
import { loadError, useTempDirs, validWith, VALID_LINES, yaml } from './topology-files.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const fixture = resolve(repoRoot, 'fixtures/topologies/three-regions.yaml');

describe('loadTopology: the example file', () => {
  it('loads the three-region fixture to the exact model', async () => {
    const topology = await loadTopology({
      path: 'fixtures/topologies/three-regions.yaml',
      cwd: repoRoot,
      env: {},
    });
    const expected: Topology = {
      file: fixture,
      toxiproxy: { kind: 'embedded' },
      protocol: 'http',
      store: {
        type: 'fixture',
        options: { type: 'fixture' },
        offsets: expect.any(Map),
        asWritten: expect.any(Map),
      },
      regions: [
        {
          name: 'us-east',
          aliases: ['us'],
          client: { listen: '127.0.0.1:17001', upstream: '127.0.0.1:7001', proxy: 'geoctl.client.us-east' },
        },
        {
          name: 'eu-west',
          aliases: ['eu'],
          client: { listen: '127.0.0.1:17002', upstream: '127.0.0.1:7002', proxy: 'geoctl.client.eu-west' },
        },
        {
          name: 'ap-south',
          aliases: ['ap'],
          client: { listen: '127.0.0.1:17003', upstream: '127.0.0.1:7003', proxy: 'geoctl.client.ap-south' },
        },
      ],
      links: [
        {
          from: 'eu-west',
          to: 'us-east',
          listen: '127.0.0.1:18021',
          upstream: '127.0.0.1:7001',
          proxy: 'geoctl.link.eu-west.us-east',
        },
        {
          from: 'ap-south',
          to: 'us-east',
          listen: '127.0.0.1:18031',
          upstream: '127.0.0.1:7001',
          proxy: 'geoctl.link.ap-south.us-east',
        },
      ],
    };
    expect(topology).toStrictEqual(expected);
  });
});

describe('loadTopology: shapes that are valid', () => {
  const dirs = useTempDirs();

  it('takes a Toxiproxy URL', async () => {
    const cwd = await dirs.dir({
      'geoctl.yaml': validWith({ 1: 'toxiproxy: https://toxiproxy.internal:8474' }),
    });
    const topology = await loadTopology({ cwd, env: {} });
    expect(topology.toxiproxy).toEqual({ kind: 'url', url: 'https://toxiproxy.internal:8474' });
  });

  it('treats a missing or empty links key as no links, and aliases as optional', async () => {
    const withoutLinks = VALID_LINES.slice(0, 12).filter((line) => !line.includes('aliases'));
    const cwd = await dirs.dir({ 'geoctl.yaml': yaml(...withoutLinks) });
    const topology = await loadTopology({ cwd, env: {} });
    expect(topology.links).toEqual([]);
    expect(topology.regions.map((region) => region.aliases)).toEqual([[], []]);
    const emptyLinks = await dirs.dir({ 'geoctl.yaml': yaml(...VALID_LINES.slice(0, 12), 'links:') });
    expect((await loadTopology({ cwd: emptyLinks, env: {} })).links).toEqual([]);
  });

  it('lets a link name its regions by alias and stores the region names', async () => {
    const cwd = await dirs.dir({ 'geoctl.yaml': validWith({ 14: '  - from: eu', 15: '    to: us' }) });
    const [link] = (await loadTopology({ cwd, env: {} })).links;
    expect(link).toEqual({
      from: 'eu-west',
      to: 'us-east',
      listen: '127.0.0.1:18021',
      upstream: '127.0.0.1:7001',
      proxy: 'geoctl.link.eu-west.us-east',
    });
  });

  it('follows YAML anchors and aliases', async () => {
    const text = validWith({ 7: '      upstream: &store 127.0.0.1:7001', 12: '      upstream: *store' });
    const cwd = await dirs.dir({ 'geoctl.yaml': text });
    const topology = await loadTopology({ cwd, env: {} });
    expect(topology.regions[1]?.client.upstream).toBe('127.0.0.1:7001');
  });
});

describe('loadTopology: finding the file', () => {
  const dirs = useTempDirs();

  it('finds geoctl.yaml, or else geoctl.yml, in cwd', async () => {
    const yamlDir = await dirs.dir({ 'geoctl.yaml': validWith({}) });
    expect((await loadTopology({ cwd: yamlDir, env: {} })).file).toBe(resolve(yamlDir, 'geoctl.yaml'));
    const ymlDir = await dirs.dir({ 'geoctl.yml': validWith({}) });
    expect((await loadTopology({ cwd: ymlDir, env: {} })).file).toBe(resolve(ymlDir, 'geoctl.yml'));
  });

  it('takes --config relative to cwd', async () => {
    const cwd = await dirs.dir({ 'staging.yaml': validWith({}) });
    expect((await loadTopology({ path: 'staging.yaml', cwd, env: {} })).file).toBe(
      resolve(cwd, 'staging.yaml'),
    );
  });

  it('says where it looked and how to create one when there is no file', async () => {
    const cwd = await dirs.dir({});
    const error = await loadTopology({ cwd, env: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GeoctlError);
    const { code, message, hint, exitCode } = error as GeoctlError;
    expect({ code, exitCode }).toEqual({ code: 'E_CONFIG', exitCode: 2 });
    expect(message).toBe(`no topology file: looked for geoctl.yaml and geoctl.yml in ${cwd}`);
    expect(hint).toMatch(/Create geoctl\.yaml there .*or pass --config <file>/);
  });

  it('names the --config file that does not exist', async () => {
    const cwd = await dirs.dir({});
    const error = await loadTopology({ path: 'nope.yaml', cwd, env: {} }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'E_CONFIG',
      message: `topology file nope.yaml not found or not a file (looked at ${resolve(cwd, 'nope.yaml')})`,
    });
  });

  it('refuses to guess between geoctl.yaml and geoctl.yml', async () => {
    const cwd = await dirs.dir({ 'geoctl.yaml': validWith({}), 'geoctl.yml': validWith({}) });
    await expect(loadTopology({ cwd, env: {} })).rejects.toMatchObject({
      code: 'E_CONFIG',
      message: `both geoctl.yaml and geoctl.yml are in ${cwd}; geoctl would not know which to use`,
    });
  });

  it('names a file outside cwd by its absolute path in problems', async () => {
    const elsewhere = await dirs.dir({ 'other.yaml': validWith({ 1: 'toxiproxy: nope' }) });
    const cwd = await dirs.dir({});
    const error = await loadTopology({ path: resolve(elsewhere, 'other.yaml'), cwd, env: {} }).catch(
      (caught: unknown) => caught,
    );
    expect(
      (error as GeoctlError).message.startsWith(`${resolve(elsewhere, 'other.yaml')}:1:12 toxiproxy:`),
    ).toBe(true);
  });

  it('reports with the error type the CLI maps to exit code 2', async () => {
    const error = await loadError(dirs, validWith({ 1: 'toxiproxy: nope' }));
    expect(error.exitCode).toBe(2);
    expect(error.details?.file).toMatch(/geoctl\.yaml$/);
  });
});
