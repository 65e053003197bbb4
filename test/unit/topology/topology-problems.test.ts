import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../../src/topology/load-topology.js';
import { loadError, problemLines, useTempDirs, validWith, yaml } from './topology-files.js';

const KNOWN = 'known regions: us-east (aliases: us), eu-west (aliases: eu)';
const TOXIPROXY = 'expected "embedded" or an http(s) URL (e.g. http://127.0.0.1:8474)';
const NAME_RULE = 'lower-case letters, digits, "-" and "_", starting with a letter or digit';

describe('topology problems: addresses', () => {
  const dirs = useTempDirs();

  it('wants host:port, quoting the value as written', async () => {
    expect(await problemLines(dirs, validWith({ 11: '      listen: 127.0.0.1' }))).toEqual([
      'geoctl.yaml:11:15 regions.eu-west.client.listen: expected host:port (e.g. 127.0.0.1:17002), got "127.0.0.1"',
    ]);
  });

  it('wants a port from 1 to 65535', async () => {
    expect(await problemLines(dirs, validWith({ 6: '      listen: 127.0.0.1:70000' }))).toEqual([
      'geoctl.yaml:6:15 regions.us-east.client.listen: expected a port from 1 to 65535 in host:port, got "127.0.0.1:70000"',
    ]);
    expect(await problemLines(dirs, validWith({ 6: '      listen: 127.0.0.1:0' }))).toEqual([
      'geoctl.yaml:6:15 regions.us-east.client.listen: expected host:port (e.g. 127.0.0.1:17002), got "127.0.0.1:0"',
    ]);
  });

  it('wants a string, and a host', async () => {
    expect(
      await problemLines(dirs, validWith({ 7: '      upstream: 7001', 17: '    upstream: ":7001"' })),
    ).toEqual([
      'geoctl.yaml:7:17 regions.us-east.client.upstream: expected host:port (e.g. 127.0.0.1:7002), got 7001',
      'geoctl.yaml:17:15 links[0].upstream: expected host:port (e.g. 127.0.0.1:7001), got ":7001"',
    ]);
  });

  it('rejects an unbracketed IPv6 address and accepts a bracketed one', async () => {
    expect(await problemLines(dirs, validWith({ 7: '      upstream: ::1:7001' }))).toEqual([
      'geoctl.yaml:7:17 regions.us-east.client.upstream: expected host:port (e.g. 127.0.0.1:7002), got "::1:7001"',
    ]);
    const cwd = await dirs.dir({ 'geoctl.yaml': validWith({ 7: '      upstream: "[::1]:7001"' }) });
    expect((await loadTopology({ cwd, env: {} })).regions[0]?.client.upstream).toBe('[::1]:7001');
  });

  it('reports a missing listen or upstream at the map that lacks it', async () => {
    expect(await problemLines(dirs, validWith({ 6: undefined }))).toEqual([
      'geoctl.yaml:6:7 regions.us-east.client.listen: missing; expected host:port (e.g. 127.0.0.1:17002)',
    ]);
    expect(await problemLines(dirs, validWith({ 17: undefined }))).toEqual([
      'geoctl.yaml:14:5 links[0].upstream: missing; expected host:port (e.g. 127.0.0.1:7001)',
    ]);
  });

  it('reports a listen address used twice, at the second use', async () => {
    expect(await problemLines(dirs, validWith({ 16: '    listen: 127.0.0.1:17001' }))).toEqual([
      'geoctl.yaml:16:13 links[0].listen: listen address "127.0.0.1:17001" is already used by regions.us-east.client.listen',
    ]);
  });

  it('treats a wildcard host as taking the port on every interface', async () => {
    expect(await problemLines(dirs, validWith({ 11: '      listen: 0.0.0.0:17001' }))).toEqual([
      'geoctl.yaml:11:15 regions.eu-west.client.listen: listen address "0.0.0.0:17001" is already used by regions.us-east.client.listen',
    ]);
    const cwd = await dirs.dir({ 'geoctl.yaml': validWith({ 11: '      listen: 127.0.0.2:17001' }) });
    expect((await loadTopology({ cwd, env: {} })).regions[1]?.client.listen).toBe('127.0.0.2:17001');
  });
});

describe('topology problems: keys', () => {
  const dirs = useTempDirs();

  it('names unknown top-level keys, suggesting a near miss', async () => {
    expect(await problemLines(dirs, validWith({ 1: 'toxiproxy: embedded\nlink: []\nfoo: 1' }))).toEqual([
      'geoctl.yaml:2:1 link: unknown key (did you mean "links"?); expected one of "toxiproxy", "protocol", "store", "regions", "links"',
      'geoctl.yaml:3:1 foo: unknown key; expected one of "toxiproxy", "protocol", "store", "regions", "links"',
    ]);
  });

  it('names unknown region, client and link keys', async () => {
    const text = validWith({
      4: '    alias: [us]',
      7: '      upstrem: 127.0.0.1:7001',
      17: '    upstraem: 127.0.0.1:7001',
    });
    expect(await problemLines(dirs, text)).toEqual([
      'geoctl.yaml:4:5 regions.us-east.alias: unknown key (did you mean "aliases"?); expected one of "aliases", "client"',
      'geoctl.yaml:6:7 regions.us-east.client.upstream: missing; expected host:port (e.g. 127.0.0.1:7002)',
      'geoctl.yaml:7:7 regions.us-east.client.upstrem: unknown key (did you mean "upstream"?); expected one of "listen", "upstream"',
      'geoctl.yaml:14:5 links[0].upstream: missing; expected host:port (e.g. 127.0.0.1:7001)',
      'geoctl.yaml:17:5 links[0].upstraem: unknown key (did you mean "upstream"?); expected one of "from", "to", "listen", "upstream"',
    ]);
  });

  it('wants names as keys', async () => {
    expect(await problemLines(dirs, validWith({ 3: '  7:' }))).toEqual([
      'geoctl.yaml:3:3 regions: expected a name as key, got 7',
      `geoctl.yaml:15:9 links[0].to: unknown region "us-east"; known regions: eu-west (aliases: eu)`,
    ]);
  });
});

describe('topology problems: toxiproxy and regions', () => {
  const dirs = useTempDirs();

  it('wants toxiproxy to be embedded or an http(s) URL', async () => {
    expect(await problemLines(dirs, validWith({ 1: 'toxiproxy: ftp://h:1' }))).toEqual([
      `geoctl.yaml:1:12 toxiproxy: ${TOXIPROXY}, got "ftp://h:1"`,
    ]);
    expect(await problemLines(dirs, validWith({ 1: 'toxiproxy: embeded' }))).toEqual([
      `geoctl.yaml:1:12 toxiproxy: ${TOXIPROXY}, got "embeded"`,
    ]);
  });

  it('requires toxiproxy and regions', async () => {
    expect(await problemLines(dirs, yaml('links: []'))).toEqual([
      `geoctl.yaml:1:1 toxiproxy: missing; ${TOXIPROXY}`,
      'geoctl.yaml:1:1 regions: missing; expected a map of regions',
    ]);
  });

  it('wants a map at the top, and at least one region', async () => {
    expect(await problemLines(dirs, '')).toEqual([
      'geoctl.yaml:1:1 expected a map with keys toxiproxy, regions and links, got nothing',
    ]);
    expect(await problemLines(dirs, yaml('toxiproxy: embedded', 'regions: {}'))).toEqual([
      'geoctl.yaml:2:10 regions: expected at least one region',
    ]);
  });

  it('restricts region names to what proxy names and groups can carry', async () => {
    expect(await problemLines(dirs, validWith({ 3: '  US.East:', 15: '    to: US.East' }))).toEqual([
      `geoctl.yaml:3:3 regions["US.East"]: region names use ${NAME_RULE}, got "US.East"`,
    ]);
  });

  it('wants each region to be a map with a client', async () => {
    const text = validWith({
      4: undefined,
      5: undefined,
      6: undefined,
      7: undefined,
      3: '  us-east: 127.0.0.1:7001',
    });
    const noClient = validWith({ 5: undefined, 6: undefined, 7: undefined });
    expect(await problemLines(dirs, text)).toEqual([
      'geoctl.yaml:3:12 regions.us-east: expected a map with client: { listen, upstream }, got "127.0.0.1:7001"',
    ]);
    expect(await problemLines(dirs, noClient)).toEqual([
      'geoctl.yaml:4:5 regions.us-east.client: missing; expected a map with listen and upstream',
    ]);
  });
});

describe('topology problems: aliases', () => {
  const dirs = useTempDirs();

  it('wants a list of well-formed aliases', async () => {
    expect(await problemLines(dirs, validWith({ 4: '    aliases: us', 9: '    aliases: [U.S, 7]' }))).toEqual(
      [
        'geoctl.yaml:4:14 regions.us-east.aliases: expected a list of aliases (e.g. [eu]), got "us"',
        `geoctl.yaml:9:15 regions.eu-west.aliases[0]: aliases use ${NAME_RULE}, got "U.S"`,
        'geoctl.yaml:9:20 regions.eu-west.aliases[1]: expected an alias, got 7',
      ],
    );
  });

  it('keeps every name and alias pointing at one region', async () => {
    expect(
      await problemLines(
        dirs,
        validWith({ 4: '    aliases: [us, eu-west]', 9: '    aliases: [eu, us, eu]' }),
      ),
    ).toEqual([
      'geoctl.yaml:4:19 regions.us-east.aliases[1]: alias "eu-west" is already the name of region eu-west',
      'geoctl.yaml:9:19 regions.eu-west.aliases[1]: alias "us" is already an alias of region us-east',
      'geoctl.yaml:9:23 regions.eu-west.aliases[2]: alias "eu" is listed twice for region eu-west',
    ]);
  });
});

describe('topology problems: links', () => {
  const dirs = useTempDirs();
  const secondLink = [
    '  - from: eu',
    '    to: us',
    '    listen: 127.0.0.1:18022',
    '    upstream: 127.0.0.1:7001',
  ];

  it('lists the known regions and aliases for an unknown region', async () => {
    expect(await problemLines(dirs, validWith({ 14: '  - from: eu-wst' }))).toEqual([
      `geoctl.yaml:14:11 links[0].from: unknown region "eu-wst"; ${KNOWN}`,
    ]);
  });

  it('wants two different regions', async () => {
    expect(await problemLines(dirs, validWith({ 15: '    to: eu' }))).toEqual([
      'geoctl.yaml:14:5 links[0]: from and to are both region eu-west; a link joins two different regions',
    ]);
  });

  it('wants one link per direction, however the regions are named', async () => {
    expect(
      await problemLines(dirs, validWith({ 17: ['    upstream: 127.0.0.1:7001', ...secondLink].join('\n') })),
    ).toEqual([
      'geoctl.yaml:18:5 links[1]: links[0] already links eu-west to us-east; each direction between two regions has one link',
    ]);
    const reverse = [
      '  - from: us',
      '    to: eu',
      '    listen: 127.0.0.1:18012',
      '    upstream: 127.0.0.1:7002',
    ];
    const cwd = await dirs.dir({
      'geoctl.yaml': validWith({ 17: ['    upstream: 127.0.0.1:7001', ...reverse].join('\n') }),
    });
    expect((await loadTopology({ cwd, env: {} })).links.map((link) => link.proxy)).toEqual([
      'geoctl.link.eu-west.us-east',
      'geoctl.link.us-east.eu-west',
    ]);
  });

  it('wants a list of maps with from and to', async () => {
    expect(
      await problemLines(
        dirs,
        validWith({ 13: 'links: {}', 14: undefined, 15: undefined, 16: undefined, 17: undefined }),
      ),
    ).toEqual([
      'geoctl.yaml:13:8 links: expected a list of links (e.g. - { from: eu-west, to: us-east, listen: ..., upstream: ... }), got a map',
    ]);
    expect(
      await problemLines(
        dirs,
        validWith({ 14: '  - nope', 15: '  - to: us-east', 16: '    listen: 127.0.0.1:18021' }),
      ),
    ).toEqual([
      'geoctl.yaml:14:5 links[0]: expected a map with from, to, listen and upstream, got "nope"',
      'geoctl.yaml:15:5 links[1].from: missing; expected a region name or alias',
    ]);
  });
});

describe('topology problems: YAML syntax', () => {
  const dirs = useTempDirs();

  it('reports duplicate keys and other syntax errors with their position', async () => {
    expect(
      await problemLines(
        dirs,
        validWith({ 7: '      upstream: 127.0.0.1:7001\n      listen: 127.0.0.1:17009' }),
      ),
    ).toEqual(['geoctl.yaml:8:7 YAML syntax error: Map keys must be unique']);
  });

  it('explains the ${VAR}-in-flow-map mistake, without the echoes that follow it', async () => {
    expect(await problemLines(dirs, validWith({ 7: '      upstream: { a: ${DB_HOST}:7001 }' }))).toEqual([
      'geoctl.yaml:7:23 YAML syntax error: Unexpected flow-map-start at node end; inside { } or [ ], quote a value that uses ${VAR}, e.g. upstream: "${DB_HOST}:7001"',
    ]);
  });

  it('reports independent syntax errors, the first per line, at most ten lines', async () => {
    const twoErrors = yaml('a: 1', 'b:', '  c: 1', '   d: 2', 'e: 1', 'e: 2');
    expect(await problemLines(dirs, twoErrors)).toEqual([
      'geoctl.yaml:3:6 YAML syntax error: Nested mappings are not allowed in compact mappings',
      'geoctl.yaml:6:1 YAML syntax error: Map keys must be unique',
    ]);
    const manyDuplicates = Array.from({ length: 14 }, (_, index) => `k${index}: 1\nk${index}: 2`);
    const lines = await problemLines(dirs, yaml(...manyDuplicates));
    expect(lines).toEqual(
      Array.from(
        { length: 10 },
        (_, index) => `geoctl.yaml:${2 * index + 2}:1 YAML syntax error: Map keys must be unique`,
      ),
    );
  });
});

describe('topology problems: all at once', () => {
  const dirs = useTempDirs();

  it('reports every problem in file order, in the message and in details', async () => {
    const text = validWith({ 1: 'toxiproxy: nope', 11: '      listen: 127.0.0.1', 15: '    to: asia' });
    const error = await loadError(dirs, text);
    expect(error.message.split('\n')).toEqual([
      `geoctl.yaml:1:12 toxiproxy: ${TOXIPROXY}, got "nope"`,
      'geoctl.yaml:11:15 regions.eu-west.client.listen: expected host:port (e.g. 127.0.0.1:17002), got "127.0.0.1"',
      `geoctl.yaml:15:9 links[0].to: unknown region "asia"; ${KNOWN}`,
    ]);
    expect(error.details?.problems).toEqual([
      { file: 'geoctl.yaml', line: 1, column: 12, path: 'toxiproxy', message: `${TOXIPROXY}, got "nope"` },
      {
        file: 'geoctl.yaml',
        line: 11,
        column: 15,
        path: 'regions.eu-west.client.listen',
        message: 'expected host:port (e.g. 127.0.0.1:17002), got "127.0.0.1"',
      },
      {
        file: 'geoctl.yaml',
        line: 15,
        column: 9,
        path: 'links[0].to',
        message: `unknown region "asia"; ${KNOWN}`,
      },
    ]);
    expect(error.hint).toContain('3 problems');
  });
});
