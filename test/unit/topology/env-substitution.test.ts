import { describe, expect, it } from 'vitest';
import { substituteEnv } from '../../../src/topology/env-substitution.js';
import { loadTopology } from '../../../src/topology/load-topology.js';
import { loadError, problemLines, useTempDirs, validWith } from './topology-files.js';

describe('substituteEnv', () => {
  it('replaces ${VAR} and uses a default when VAR is unset or empty', () => {
    const env = { HOST: 'db.internal', EMPTY: '' };
    expect(substituteEnv('${HOST}:${PORT:-7001}', env)).toEqual({ value: 'db.internal:7001', problems: [] });
    expect(substituteEnv('${EMPTY:-fallback}', env)).toEqual({ value: 'fallback', problems: [] });
    expect(substituteEnv('${EMPTY}', env)).toEqual({ value: '', problems: [] });
  });

  it('keeps $$ as a literal $ and leaves a bare $VAR alone', () => {
    expect(substituteEnv('p$$w $HOST $${HOST}', { HOST: 'h' })).toEqual({
      value: 'p$w $HOST ${HOST}',
      problems: [],
    });
  });

  it('names an unset variable and keeps the reference as written', () => {
    expect(substituteEnv('${DB_HOST}:7001', {})).toEqual({
      value: '${DB_HOST}:7001',
      problems: ['environment variable DB_HOST is not set (set it, or give a default: ${DB_HOST:-value})'],
    });
  });

  it('rejects malformed references', () => {
    expect(substituteEnv('${1X} ${A B}', {}).problems).toEqual([
      '"${1X}" is not a variable reference; expected ${NAME} or ${NAME:-default}',
      '"${A B}" is not a variable reference; expected ${NAME} or ${NAME:-default}',
    ]);
    expect(substituteEnv('${HOST', { HOST: 'h' }).problems).toEqual([
      '"${" without a closing "}"; expected ${NAME} or ${NAME:-default}',
    ]);
  });
});

describe('loadTopology: environment variables', () => {
  const dirs = useTempDirs();

  it('substitutes string values, with defaults', async () => {
    const text = validWith({
      1: 'toxiproxy: ${TOXIPROXY_URL:-embedded}',
      6: '      listen: ${LISTEN_HOST}:17001',
      7: '      upstream: "${US_DB:-127.0.0.1}:${US_PORT:-7001}"',
    });
    const cwd = await dirs.dir({ 'geoctl.yaml': text });
    const topology = await loadTopology({ cwd, env: { LISTEN_HOST: '10.0.0.1', US_PORT: '7101' } });
    expect(topology.toxiproxy).toEqual({ kind: 'embedded' });
    expect(topology.regions[0]?.client).toEqual({
      listen: '10.0.0.1:17001',
      upstream: '127.0.0.1:7101',
      proxy: 'geoctl.client.us-east',
    });
    const withUrl = await loadTopology({ cwd, env: { LISTEN_HOST: 'h', TOXIPROXY_URL: 'http://tp:8474' } });
    expect(withUrl.toxiproxy).toEqual({ kind: 'url', url: 'http://tp:8474' });
  });

  it('reports an unset variable with its name and path', async () => {
    expect(await problemLines(dirs, validWith({ 12: '      upstream: ${EU_DB}:7002' }))).toEqual([
      'geoctl.yaml:12:17 regions.eu-west.client.upstream: environment variable EU_DB is not set (set it, or give a default: ${EU_DB:-value})',
    ]);
  });

  it('reads the process environment when no env is passed', async () => {
    const name = `GEOCTL_TEST_${process.pid}`;
    process.env[name] = '127.0.0.9';
    try {
      const cwd = await dirs.dir({ 'geoctl.yaml': validWith({ 7: `      upstream: \${${name}}:7001` }) });
      expect((await loadTopology({ cwd })).regions[0]?.client.upstream).toBe('127.0.0.9:7001');
    } finally {
      delete process.env[name];
    }
  });
});

describe('loadTopology: secrets in variables', () => {
  const dirs = useTempDirs();
  const env = {
    TOXI_AUTH: 'user:hunter2-secret',
    SECRET_HOST: 's3cret-host.internal',
    REGION: 'classified-region',
  };

  it('shows ${VAR} where a value came from a variable, never the value', async () => {
    const text = validWith({
      1: 'toxiproxy: ftp://${TOXI_AUTH}@toxiproxy:8474',
      11: '      listen: ${SECRET_HOST}',
      14: '  - from: ${REGION}',
      16: '    listen: "${SECRET_HOST}:17001"',
    });
    const error = await loadError(dirs, text, env);
    expect(error.message.split('\n')).toEqual([
      'geoctl.yaml:1:12 toxiproxy: expected "embedded" or an http(s) URL (e.g. http://127.0.0.1:8474), got "ftp://${TOXI_AUTH}@toxiproxy:8474"',
      'geoctl.yaml:11:15 regions.eu-west.client.listen: expected host:port (e.g. 127.0.0.1:17002), got "${SECRET_HOST}"',
      'geoctl.yaml:14:11 links[0].from: unknown region "${REGION}"; known regions: us-east (aliases: us), eu-west (aliases: eu)',
    ]);
    const everything = JSON.stringify([error.message, error.hint, error.toJSON(), error.details]);
    for (const secret of Object.values(env)) expect(everything).not.toContain(secret);
    for (const part of ['hunter2', 's3cret', 'classified']) expect(everything).not.toContain(part);
  });

  it('keeps secrets out of listen-clash messages too', async () => {
    const text = validWith({
      16: '    listen: "${SECRET_HOST}:17001"',
      6: '      listen: "${SECRET_HOST}:17001"',
    });
    const error = await loadError(dirs, text, env);
    expect(error.message).toBe(
      'geoctl.yaml:16:13 links[0].listen: listen address "${SECRET_HOST}:17001" is already used by regions.us-east.client.listen',
    );
    expect(JSON.stringify(error.toJSON())).not.toContain(env.SECRET_HOST);
  });
});
