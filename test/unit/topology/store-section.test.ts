import { describe, expect, it } from 'vitest';
import { storeAdapters } from '../../../src/stores/registry.js';
import { openStore } from '../../../src/stores/open-store.js';
import { loadTopology } from '../../../src/topology/load-topology.js';
import { problemLines, useTempDirs, VALID_LINES, yaml } from './topology-files.js';

const withStore = (...store: string[]) => yaml(VALID_LINES[0]!, ...store, ...VALID_LINES.slice(1));

describe('topology: the store section', () => {
  const dirs = useTempDirs();

  it('loads a store section as the adapter reads it, with ${VAR} substituted', async () => {
    const cwd = await dirs.dir({
      'geoctl.yaml': withStore(
        'store:',
        '  type: http',
        '  headers: { Authorization: "Bearer ${TOKEN}" }',
        '  value: /data/value',
        '  read: { path: "/kv/{key}" }',
        '  write: { path: "/kv/{key}" }',
      ),
    });
    const topology = await loadTopology({ cwd, env: { TOKEN: 's3cret' } });
    expect(topology.store?.type).toBe('http');
    expect(topology.store?.options).toMatchObject({
      headers: { Authorization: 'Bearer s3cret' },
      value: '/data/value',
    });
  });

  it('names an unknown store type with a suggestion, at its line and column', async () => {
    expect(await problemLines(dirs, withStore('store:', '  type: fixtur'))).toEqual([
      `geoctl.yaml:3:9 store.type: unknown store type (did you mean "fixture"?); expected one of ${[...storeAdapters.keys()].join(', ')}`,
    ]);
  });

  it("reports every problem the adapter finds in its options, at each option's line", async () => {
    const lines = await problemLines(
      dirs,
      withStore(
        'store:',
        '  type: http',
        '  value: data.value',
        '  timeout: soon',
        '  colour: blue',
        '  read: { path: "kv/{key}" }',
        '  write: { path: /kv }',
      ),
    );
    expect(lines).toEqual([
      'geoctl.yaml:4:10 store.value: expected a JSON pointer such as /value or /0/Value, got "data.value"',
      'geoctl.yaml:5:12 store.timeout: expected a duration such as 2s or 500ms, got "soon"',
      'geoctl.yaml:6:3 store.colour: unknown key; expected one of "type", "scheme", "read", "write", "value", "version", "siblings", "writeVersion", "decode", "absent", "indeterminate", "headers", "timeout", "connections"',
      'geoctl.yaml:7:17 store.read.path: expected a path starting with /, got "kv/{key}"',
    ]);
  });

  it('redis and postgres sections: secrets substituted, writer by alias, problems at their lines', async () => {
    const cwd = await dirs.dir({
      'geoctl.yaml': withStore('store:', '  type: redis', '  password: ${REDIS_PASSWORD}', '  writer: eu'),
    });
    const topology = await loadTopology({ cwd, env: { REDIS_PASSWORD: 'r3dis-pw' } });
    expect(topology.store?.options).toMatchObject({ type: 'redis', password: 'r3dis-pw', writer: 'eu' });

    const lines = await problemLines(
      dirs,
      withStore(
        'store:',
        '  type: postgres',
        '  password: ${PGPASSWORD}',
        '  table: kv-table',
        '  timeout: 2',
        '  writer: mars',
        '  colour: blue',
      ),
      { PGPASSWORD: 'pg-pw-1234' },
    );
    expect(lines).toEqual([
      'geoctl.yaml:5:10 store.table: expected a table name or schema.name of letters, digits and _ (e.g. geoctl_kv), got "kv-table"',
      'geoctl.yaml:6:12 store.timeout: expected a duration such as 2s or 500ms, got 2',
      'geoctl.yaml:7:11 store.writer: unknown region "mars"; known regions: us-east (aliases: us), eu-west (aliases: eu)',
      'geoctl.yaml:8:3 store.colour: unknown key; expected one of "type", "database", "user", "password", "table", "writer", "timeout", "connections"',
    ]);
    expect(lines.join('\n')).not.toContain('pg-pw-1234');
  });

  it('never echoes a substituted secret in a problem', async () => {
    const lines = await problemLines(dirs, withStore('store:', '  type: fixture', '  timeout: ${SECRET}'), {
      SECRET: 'hunter2',
    });
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});

describe('topology: a store section loaded for commands that never open the store', () => {
  const dirs = useTempDirs();
  const file = withStore('store:', '  type: redis', '  password: ${REDIS_PASSWORD}', '  db: -1');

  it('is an error at once by default, naming every problem and the variable, never its value', async () => {
    const cwd = await dirs.dir({ 'geoctl.yaml': file });
    const error = await loadTopology({ cwd, env: {} }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/store\.password: .*REDIS_PASSWORD/);
  });

  it('with store: deferred, loads (so heal, status and teardown work) and openStore throws the same error', async () => {
    const cwd = await dirs.dir({ 'geoctl.yaml': file });
    const required = await loadTopology({ cwd, env: {} }).then(
      () => undefined,
      (e: Error) => e,
    );
    const topology = await loadTopology({ cwd, env: {}, store: 'deferred' });
    expect(topology.regions.length).toBeGreaterThan(0);
    expect(topology.store?.deferredError?.message).toBe(required?.message);
    const opened = await openStore(topology).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(opened?.message).toBe(required?.message);
  });

  it('with store: deferred, a problem outside the store section is still an error at once', async () => {
    const cwd = await dirs.dir({
      'geoctl.yaml': file.replace('toxiproxy: embedded', 'toxiproxy: carrier-pigeon'),
    });
    const error = await loadTopology({ cwd, env: {}, store: 'deferred' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/toxiproxy/);
    expect(error?.message).not.toMatch(/store\./);
  });
});
