import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ToxicLink } from '../../../src/chaos/embedded/toxic-link.js';
import type { ToxicWrapper } from '../../../src/chaos/embedded/toxic-wrapper.js';
import { findToxicType } from '../../../src/chaos/embedded/toxics/registry.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const close of cleanup.splice(0)) close();
});

/** Two connected socket pairs: bytes written to `input` reach the link's source; its dest reaches `output`. */
async function socketPairs(): Promise<{ input: Socket; source: Socket; dest: Socket; output: Socket }> {
  const accepted: Socket[] = [];
  const server: Server = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dial = async (): Promise<[Socket, Socket]> => {
    const client = connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    while (accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));
    return [client, accepted.shift()!];
  };
  const [input, source] = await dial();
  const [dest, output] = await dial();
  cleanup.push(() => {
    for (const socket of [input, source, dest, output]) socket.destroy();
    server.close();
  });
  return { input, source, dest, output };
}

describe('ToxicLink.addToxic', () => {
  it('does not apply a toxic twice to a link that started with it in its chain', async () => {
    // The race it guards: a connection accepted after the collection took the toxic, but before the
    // collection's queued change reached the live links, is handed the same toxic again.
    const { input, source, dest, output } = await socketPairs();
    const latency: ToxicWrapper = {
      name: 'slow',
      type: findToxicType('latency')!,
      stream: 'downstream',
      direction: 'downstream',
      toxicity: 1,
      attributes: { latency: 50, jitter: 0 },
    };
    const link = new ToxicLink('downstream', source, dest, {
      onFinished: () => undefined,
      resetOnClose: () => false,
    });
    link.start([latency]);
    await link.addToxic(latency);

    const sentAt = performance.now();
    input.write('x');
    await new Promise((resolve) => output.once('data', resolve));
    const delay = performance.now() - sentAt;
    expect(delay).toBeGreaterThanOrEqual(49);
    expect(delay).toBeLessThan(90);
  });
});
