import { ApiError, apiErrors } from './api-error.js';
import { resolveTcpAddress } from './net-address.js';
import { Proxy, type ProxySpec, type TrafficObserver } from './proxy.js';
import { SerialQueue } from './serial-queue.js';

export interface PopulateEntry extends ProxySpec {
  enabled: boolean;
}

export interface PopulateResult {
  proxies: Proxy[];
  error?: ApiError;
}

/** All proxies of a server, by name. Changes to the set are serialised so names cannot race. */
export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();
  private readonly serial = new SerialQueue();

  constructor(private readonly observer?: TrafficObserver) {}

  /** Proxies sorted by name, as Toxiproxy's JSON object keys come out. */
  list(): Proxy[] {
    return [...this.proxies.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw apiErrors.proxyNotFound();
    return proxy;
  }

  /** Creates a proxy; a duplicate name is rejected before anything is bound, a bind failure adds nothing. */
  add(spec: ProxySpec, enabled: boolean): Promise<Proxy> {
    return this.serial.run(async () => {
      if (this.proxies.has(spec.name)) throw apiErrors.proxyExists();
      const proxy = new Proxy(spec, this.observer);
      if (enabled) await proxy.start();
      this.proxies.set(proxy.name, proxy);
      return proxy;
    });
  }

  remove(name: string): Promise<void> {
    return this.serial.run(async () => {
      const proxy = this.get(name);
      this.proxies.delete(name);
      await proxy.stop();
    });
  }

  /**
   * Toxiproxy's /populate: entries in order; a proxy whose name, listen (resolved) and upstream match is
   * kept untouched (toxics and enabled state included); one whose addresses differ is replaced.
   */
  populate(entries: readonly PopulateEntry[]): Promise<PopulateResult> {
    return this.serial.run(async () => {
      const proxies: Proxy[] = [];
      for (const entry of entries) {
        try {
          proxies.push(await this.addOrReplace(entry));
        } catch (error) {
          return { proxies, error: toApiError(error) };
        }
      }
      return { proxies };
    });
  }

  /** Toxiproxy's /reset: every proxy enabled again and stripped of its toxics. */
  reset(): Promise<void> {
    return this.serial.run(async () => {
      for (const proxy of this.proxies.values()) {
        await proxy.start();
        await proxy.toxics.removeAll();
      }
    });
  }

  /** Stops every proxy (server shutdown). */
  closeAll(): Promise<void> {
    return this.serial.run(async () => {
      await Promise.all([...this.proxies.values()].map((proxy) => proxy.stop()));
    });
  }

  private async addOrReplace(entry: PopulateEntry): Promise<Proxy> {
    const existing = this.proxies.get(entry.name);
    if (existing) {
      if (existing.upstream === entry.upstream && (await sameListen(existing.listen, entry.listen)))
        return existing;
      await existing.stop();
      this.proxies.delete(entry.name);
    }
    const proxy = new Proxy(entry, this.observer);
    if (entry.enabled) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }
}

async function sameListen(current: string, requested: string): Promise<boolean> {
  if (current === requested) return true;
  try {
    return (await resolveTcpAddress(requested)).text === current;
  } catch {
    return false;
  }
}

export function toApiError(error: unknown): ApiError {
  return error instanceof ApiError
    ? error
    : apiErrors.internal(error instanceof Error ? error.message : String(error));
}
