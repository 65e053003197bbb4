import { describe, expect, it } from 'vitest';
import { DEFAULT_TOXIPROXY_URL, resolveToxiproxyUrl } from '../../src/chaos/toxiproxy-url.js';
import { GeoctlError } from '../../src/errors.js';

describe('resolveToxiproxyUrl', () => {
  it('prefers the flag, then the config, then TOXIPROXY_URL, then the default', () => {
    const env = { TOXIPROXY_URL: 'http://env:1' };
    expect(resolveToxiproxyUrl({ flag: 'http://flag:1', config: 'http://cfg:1', env }).url).toBe(
      'http://flag:1',
    );
    expect(resolveToxiproxyUrl({ config: 'http://cfg:1', env }).url).toBe('http://cfg:1');
    expect(resolveToxiproxyUrl({ env })).toEqual({ url: 'http://env:1', from: 'TOXIPROXY_URL' });
    expect(resolveToxiproxyUrl({ env: {} }).url).toBe(DEFAULT_TOXIPROXY_URL);
  });

  it('accepts a bare host:port and drops a trailing slash', () => {
    expect(resolveToxiproxyUrl({ flag: '10.0.0.5:8474', env: {} }).url).toBe('http://10.0.0.5:8474');
    expect(resolveToxiproxyUrl({ flag: 'http://h:8474/', env: {} }).url).toBe('http://h:8474');
  });

  it('rejects a non-http URL, naming where it came from', () => {
    expect(() => resolveToxiproxyUrl({ env: { TOXIPROXY_URL: 'ftp://h:1' } })).toThrow(GeoctlError);
    expect(() => resolveToxiproxyUrl({ env: { TOXIPROXY_URL: 'ftp://h:1' } })).toThrow(/TOXIPROXY_URL/);
  });
});
