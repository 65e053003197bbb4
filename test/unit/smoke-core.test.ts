import { createServer, connect, type AddressInfo } from 'node:net';
import { describe, it, expect } from 'vitest';
import { ProxyCollection } from '../../src/chaos/embedded/proxy-collection.js';
import { findToxicType } from '../../src/chaos/embedded/toxics/registry.js';

describe('core smoke', () => {
  it('proxies and delays', async () => {
    const echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as AddressInfo).port;
    const proxies = new ProxyCollection();
    const p = await proxies.add({ name: 'e', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` }, true);
    const [, pport] = p.listen.split(':');
    const c = connect(Number(pport), '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    const rtt = async () => {
      const t = performance.now();
      c.write('x');
      await new Promise((r) => c.once('data', r));
      return performance.now() - t;
    };
    const base = await rtt();
    await p.toxics.add({
      name: 'l',
      type: findToxicType('latency')!,
      stream: 'downstream',
      direction: 'downstream',
      toxicity: 1,
      attributes: { latency: 50, jitter: 0 },
    });
    const slow = await rtt();
    const w = p.toxics.find('l')!;
    await p.toxics.remove(w);
    const after = await rtt();
    // 50 ms added to the round trip; the upper bounds leave room for a busy CI machine.
    expect(slow).toBeGreaterThan(49);
    expect(slow).toBeLessThan(50 + Math.max(base, 1) + 30);
    expect(after).toBeLessThan(slow - 40);
    c.destroy();
    await proxies.closeAll();
    echo.close();
  });
});
