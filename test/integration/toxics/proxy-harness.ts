import { afterEach } from 'vitest';
import type { Proxy } from '../../../src/chaos/embedded/proxy.js';
import { ProxyCollection } from '../../../src/chaos/embedded/proxy-collection.js';
import type { ToxicWrapper } from '../../../src/chaos/embedded/toxic-wrapper.js';
import { findToxicType } from '../../../src/chaos/embedded/toxics/registry.js';
import type { Attributes } from '../../../src/chaos/embedded/toxics/toxic-type.js';

export interface ToxicOptions {
  stream?: 'upstream' | 'downstream';
  toxicity?: number;
  name?: string;
}

let counter = 0;

/** A wrapper as the API would build it, for driving ToxicCollection directly. */
export function toxic(type: string, attributes: Attributes, options: ToxicOptions = {}): ToxicWrapper {
  const toxicType = findToxicType(type);
  if (!toxicType) throw new Error(`unknown toxic type ${type}`);
  const stream = options.stream ?? 'downstream';
  return {
    name: options.name ?? `${type}_${stream}_${++counter}`,
    type: toxicType,
    stream,
    direction: stream,
    toxicity: options.toxicity ?? 1,
    attributes,
  };
}

/** Toxiproxy's update: the posted attributes merged over the current ones, same name and stream. */
export function updated(wrapper: ToxicWrapper, attributes: Attributes): ToxicWrapper {
  return { ...wrapper, attributes: { ...wrapper.attributes, ...attributes } };
}

export function listenPort(proxy: Proxy): number {
  return Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1));
}

/** In-process proxies in front of test servers, all stopped after each test of the calling file. */
export class ProxyHarness {
  private proxies = new ProxyCollection();
  private count = 0;

  async proxyTo(upstreamPort: number): Promise<{ proxy: Proxy; port: number }> {
    const proxy = await this.proxies.add(
      { name: `p${++this.count}`, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}` },
      true,
    );
    return { proxy, port: listenPort(proxy) };
  }

  async closeAll(): Promise<void> {
    const proxies = this.proxies;
    this.proxies = new ProxyCollection();
    await proxies.closeAll();
  }
}

export function useProxyHarness(): ProxyHarness {
  const harness = new ProxyHarness();
  afterEach(() => harness.closeAll());
  return harness;
}
