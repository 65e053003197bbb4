import { describe, expect, it } from 'vitest';
import { http, httpJson } from '../../helpers/http.js';
import {
  echo,
  expectErrorDoc,
  expectJson,
  latencyDoc,
  openClient,
  portOf,
  startEchoServer,
  startServer,
  waitForClose,
} from './fixtures.js';

async function serverWithProxy(name = 'p') {
  const server = await startServer();
  const upstream = await startEchoServer();
  const res = await httpJson(server.url, 'POST', '/proxies', {
    name,
    listen: '127.0.0.1:0',
    upstream: upstream.address,
  });
  return { server, port: portOf(JSON.parse(res.body).listen) };
}

/** /proxies/{proxy}/toxics…: spec C.3, C.4 (toxic create, update, delete). */
describe('toxics', () => {
  describe('POST /proxies/{proxy}/toxics', () => {
    it('creates a toxic with Toxiproxy’s defaults: 200 (not 201), downstream, toxicity 1, zeroed attributes', async () => {
      const { server } = await serverWithProxy();
      const res = await httpJson(server.url, 'POST', '/proxies/p/toxics', { type: 'latency' });
      expectJson(res, 200, latencyDoc('latency_downstream', 'downstream'));
    });

    it('echoes the stream verbatim and uses it raw in the default name', async () => {
      const { server } = await serverWithProxy();
      const res = await httpJson(server.url, 'POST', '/proxies/p/toxics', {
        type: 'latency',
        stream: 'UPSTREAM',
      });
      expectJson(res, 200, latencyDoc('latency_UPSTREAM', 'UPSTREAM'));
      // It is an upstream toxic: it lists before downstream ones.
      await httpJson(server.url, 'POST', '/proxies/p/toxics', { type: 'latency', name: 'd' });
      const list = await http(server.url, 'GET', '/proxies/p/toxics');
      expectJson(
        list,
        200,
        `[${latencyDoc('latency_UPSTREAM', 'UPSTREAM')},${latencyDoc('d', 'downstream')}]`,
      );
    });

    it('prints toxicity as a Go float32 and keeps values outside [0,1] (no range validation)', async () => {
      const { server } = await serverWithProxy();
      const a = await httpJson(server.url, 'POST', '/proxies/p/toxics', {
        type: 'latency',
        name: 'a',
        toxicity: 0.1,
      });
      expectJson(a, 200, latencyDoc('a', 'downstream', 0, 0, '0.1'));
      const b = await httpJson(server.url, 'POST', '/proxies/p/toxics', {
        type: 'latency',
        name: 'b',
        toxicity: 2.5,
        attributes: { latency: -5, jitter: 3, unknown: 'ignored' },
      });
      expectJson(b, 200, latencyDoc('b', 'downstream', -5, 3, '2.5'));
      const c = await httpJson(server.url, 'POST', '/proxies/p/toxics', {
        type: 'latency',
        name: 'c',
        toxicity: 1e-7,
      });
      expectJson(c, 200, latencyDoc('c', 'downstream', 0, 0, '1e-7'));
      const d = await http(server.url, 'POST', '/proxies/p/toxics', {
        body: '{"type":"latency","name":"d","toxicity":0.30000001192092896}',
      });
      expectJson(d, 200, latencyDoc('d', 'downstream', 0, 0, '0.3'));
    });

    it('has every toxic type of Toxiproxy 2.12.0, attributes zero-defaulted in Go’s order', async () => {
      const { server } = await serverWithProxy();
      const cases: Array<[string, Record<string, number>, string]> = [
        ['latency', {}, '{"latency":0,"jitter":0}'],
        ['bandwidth', { rate: 10 }, '{"rate":10}'],
        ['slow_close', {}, '{"delay":0}'],
        ['timeout', {}, '{"timeout":0}'],
        ['reset_peer', {}, '{"timeout":0}'],
        ['slicer', { average_size: 10 }, '{"average_size":10,"size_variation":0,"delay":0}'],
        ['limit_data', {}, '{"bytes":0}'],
        ['noop', {}, '{}'],
      ];
      for (const [type, attributes, expected] of cases) {
        const res = await httpJson(server.url, 'POST', '/proxies/p/toxics', { type, attributes });
        expectJson(
          res,
          200,
          `{"attributes":${expected},"name":"${type}_downstream","type":"${type}","stream":"downstream","toxicity":1}`,
        );
      }
    });

    it('applies a new toxic to an already open connection', async () => {
      const { server, port } = await serverWithProxy();
      const client = await openClient(port);
      expect(await echo(client, 'a')).toBe('a');
      await httpJson(server.url, 'POST', '/proxies/p/toxics', {
        type: 'limit_data',
        attributes: { bytes: 2 },
      });
      const closed = new Promise<string>((resolve) => {
        let got = '';
        client.on('data', (chunk: Buffer) => (got += chunk.toString()));
        client.once('close', () => resolve(got));
      });
      client.write('12345');
      expect(await closed).toBe('12');
    });

    describe('validation, in Toxiproxy’s order', () => {
      it.each([
        ['proxy first: unknown proxy with a bad body', 'nope', '{bad', 404, 'proxy not found'],
        ['body before stream', 'p', '{"stream":"sideways",', 400, 'bad request body: unexpected EOF'],
        ['empty body', 'p', '', 400, 'bad request body: EOF'],
        [
          'first-pass type errors use ToxicWrapper',
          'p',
          '{"type":"latency","toxicity":"high"}',
          400,
          'bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32',
        ],
        [
          'attributes that are not an object fail in the first pass',
          'p',
          '{"type":"latency","attributes":"x"}',
          400,
          'bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.attributes of type toxics.NoopToxic',
        ],
        [
          'stream before type',
          'p',
          '{"type":"nope","stream":"sideways"}',
          400,
          'stream was invalid, can be either upstream or downstream',
        ],
        ['unknown type', 'p', '{"type":"nope"}', 400, 'invalid toxic type'],
        ['missing type', 'p', '{"name":"x"}', 400, 'invalid toxic type'],
        ['type before duplicate name', 'p', '{"type":"nope","name":"taken"}', 400, 'invalid toxic type'],
        [
          'duplicate name before attributes',
          'p',
          '{"type":"latency","name":"taken","attributes":{"latency":"x"}}',
          409,
          'toxic already exists',
        ],
        [
          'attribute type errors name the toxic struct',
          'p',
          '{"type":"bandwidth","attributes":{"rate":"fast"}}',
          400,
          'bad request body: json: cannot unmarshal string into Go struct field BandwidthToxic.attributes.rate of type int64',
        ],
        [
          'fractions are not integers',
          'p',
          '{"type":"latency","attributes":{"latency":1.5}}',
          400,
          'bad request body: json: cannot unmarshal number 1.5 into Go struct field LatencyToxic.attributes.latency of type int64',
        ],
        [
          'geoctl’s own validation comes last, as a bad request body',
          'p',
          '{"type":"slicer","attributes":{"average_size":0}}',
          400,
          'bad request body: slicer average_size must be greater than 0 (the official server crashes on 0 or less)',
        ],
      ])('%s', async (_title, proxy, body, status, message) => {
        const { server } = await serverWithProxy();
        await httpJson(server.url, 'POST', '/proxies/p/toxics', {
          type: 'noop',
          name: 'taken',
          stream: 'upstream',
        });
        const res = await http(server.url, 'POST', `/proxies/${proxy}/toxics`, { body });
        expectErrorDoc(res, status, message);
        // Nothing was added by the failed request, and the server keeps serving.
        const list = await http(server.url, 'GET', '/proxies/p/toxics');
        expect(JSON.parse(list.body)).toHaveLength(1);
      });

      it('rejects a name used in the other direction (names are unique per proxy)', async () => {
        const { server } = await serverWithProxy();
        await httpJson(server.url, 'POST', '/proxies/p/toxics', {
          type: 'latency',
          name: 'x',
          stream: 'upstream',
        });
        const res = await httpJson(server.url, 'POST', '/proxies/p/toxics', {
          type: 'noop',
          name: 'x',
          stream: 'downstream',
        });
        expectErrorDoc(res, 409, 'toxic already exists');
      });

      it('lets only one of two concurrent creations with the same name succeed', async () => {
        const { server } = await serverWithProxy();
        const results = await Promise.all(
          [1, 2].map(() =>
            httpJson(server.url, 'POST', '/proxies/p/toxics', { type: 'latency', name: 'race' }),
          ),
        );
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      });
    });
  });

  describe('GET /proxies/{proxy}/toxics[/{toxic}]', () => {
    it('lists [] for a proxy without toxics, 404 for an unknown proxy', async () => {
      const { server } = await serverWithProxy();
      expectJson(await http(server.url, 'GET', '/proxies/p/toxics'), 200, '[]');
      expectErrorDoc(await http(server.url, 'GET', '/proxies/q/toxics'), 404, 'proxy not found');
    });

    it('shows one toxic; 404 "toxic not found" or "proxy not found"', async () => {
      const { server } = await serverWithProxy();
      await httpJson(server.url, 'POST', '/proxies/p/toxics', {
        type: 'latency',
        attributes: { latency: 7 },
      });
      expectJson(
        await http(server.url, 'GET', '/proxies/p/toxics/latency_downstream'),
        200,
        latencyDoc('latency_downstream', 'downstream', 7),
      );
      expectErrorDoc(await http(server.url, 'GET', '/proxies/p/toxics/other'), 404, 'toxic not found');
      expectErrorDoc(
        await http(server.url, 'GET', '/proxies/q/toxics/latency_downstream'),
        404,
        'proxy not found',
      );
    });
  });

  describe('POST/PATCH /proxies/{proxy}/toxics/{toxic}', () => {
    it('merges attributes, keeps toxicity when omitted, ignores name/type/stream', async () => {
      const { server } = await serverWithProxy();
      await httpJson(server.url, 'POST', '/proxies/p/toxics', {
        type: 'latency',
        name: 'l',
        toxicity: 0.5,
        attributes: { latency: 100, jitter: 10 },
      });
      const res = await httpJson(server.url, 'PATCH', '/proxies/p/toxics/l', {
        attributes: { jitter: 20 },
        name: 'other',
        type: 'bandwidth',
        stream: 'upstream',
      });
      expectJson(res, 200, latencyDoc('l', 'downstream', 100, 20, '0.5'));
      const post = await httpJson(server.url, 'POST', '/proxies/p/toxics/l', { toxicity: 0.25 });
      expectJson(post, 200, latencyDoc('l', 'downstream', 100, 20, '0.25'));
      expectJson(
        await http(server.url, 'GET', '/proxies/p/toxics/l'),
        200,
        latencyDoc('l', 'downstream', 100, 20, '0.25'),
      );
    });

    it('answers 404 (proxy, then toxic) before reading the body, 400 for bad bodies', async () => {
      const { server } = await serverWithProxy();
      await httpJson(server.url, 'POST', '/proxies/p/toxics', { type: 'latency', name: 'l' });
      expectErrorDoc(
        await http(server.url, 'PATCH', '/proxies/q/toxics/l', { body: '{' }),
        404,
        'proxy not found',
      );
      expectErrorDoc(
        await http(server.url, 'PATCH', '/proxies/p/toxics/m', { body: '{' }),
        404,
        'toxic not found',
      );
      expectErrorDoc(
        await http(server.url, 'PATCH', '/proxies/p/toxics/l', { body: '' }),
        400,
        'bad request body: EOF',
      );
      expectErrorDoc(
        await http(server.url, 'PATCH', '/proxies/p/toxics/l', { body: '{"toxicity":"x"}' }),
        400,
        'bad request body: json: cannot unmarshal string into Go struct field .toxicity of type float32',
      );
      expectErrorDoc(
        await http(server.url, 'PATCH', '/proxies/p/toxics/l', { body: '{"attributes":{"latency":true}}' }),
        400,
        'bad request body: json: cannot unmarshal bool into Go struct field LatencyToxic.attributes.latency of type int64',
      );
      // None of the failed updates changed anything.
      expectJson(await http(server.url, 'GET', '/proxies/p/toxics/l'), 200, latencyDoc('l', 'downstream'));
    });

    it('applies geoctl’s validation to the merged attributes', async () => {
      const { server } = await serverWithProxy();
      await httpJson(server.url, 'POST', '/proxies/p/toxics', { type: 'bandwidth', attributes: { rate: 5 } });
      const res = await httpJson(server.url, 'PATCH', '/proxies/p/toxics/bandwidth_downstream', {
        attributes: { rate: 0 },
      });
      expectErrorDoc(
        res,
        400,
        'bad request body: bandwidth rate must be greater than 0 (the official server stalls all data at 0 or less)',
      );
    });
  });

  describe('DELETE /proxies/{proxy}/toxics/{toxic}', () => {
    it('answers 204 and removes the toxic from open connections; then 404', async () => {
      const { server, port } = await serverWithProxy();
      const client = await openClient(port);
      // The echo proves both links are running, so the toxic is applied to this connection.
      expect(await echo(client, 'a')).toBe('a');
      await httpJson(server.url, 'POST', '/proxies/p/toxics', {
        type: 'timeout',
        name: 'hold',
        stream: 'upstream',
      });
      const res = await http(server.url, 'DELETE', '/proxies/p/toxics/hold');
      expect(res.status).toBe(204);
      expect(res.bodyBytes.length).toBe(0);
      expectJson(await http(server.url, 'GET', '/proxies/p/toxics'), 200, '[]');
      // Deleting a timeout toxic closes the connections it held (Toxiproxy's Cleanup).
      await waitForClose(client);
      expectErrorDoc(await http(server.url, 'DELETE', '/proxies/p/toxics/hold'), 404, 'toxic not found');
      expectErrorDoc(await http(server.url, 'DELETE', '/proxies/q/toxics/hold'), 404, 'proxy not found');
    });
  });
});
