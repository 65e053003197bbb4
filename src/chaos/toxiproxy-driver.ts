import { Toxiproxy } from 'toxiproxy-node-client';
import { request } from 'undici';
import { GeoctlError } from '../errors.js';

/** A proxy as any Toxiproxy 2.x server reports it. */
export interface ProxyState {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicState[];
}

export interface ToxicState {
  name: string;
  type: string;
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

export interface ProxySpec {
  name: string;
  listen: string;
  upstream: string;
  enabled?: boolean;
}

export interface ToxicSpec {
  name: string;
  type: string;
  stream: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface DriverOptions {
  /** Per-request time limit; a server that does not answer within it counts as unreachable. */
  timeoutMs?: number;
}

/** What went wrong on the wire, before it is given a user-facing meaning. */
class TransportFailure extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number | undefined,
    readonly serverMessage: string | undefined,
    readonly networkCode: string | undefined,
  ) {
    super(serverMessage ?? networkCode ?? `HTTP ${status}`);
  }
}

/**
 * Stands in for toxiproxy-node-client's HttpClient (same methods), because that one reduces every failure to
 * "Request failed with status code N": this keeps the server's own message, status and request.
 */
class Transport {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async get<T>(url: string): Promise<{ data: T }> {
    return { data: (await this.send('GET', url)) as T };
  }

  async post<T>(url: string, body?: unknown): Promise<{ data: T }> {
    return { data: (await this.send('POST', url, body)) as T };
  }

  async delete(url: string): Promise<void> {
    await this.send('DELETE', url);
  }

  async getText(url: string): Promise<string> {
    return (await this.send('GET', url, undefined, true)) as string;
  }

  async send(method: string, url: string, body?: unknown, asText = false): Promise<unknown> {
    const path = url.startsWith(this.baseUrl) ? url.slice(this.baseUrl.length) || '/' : url;
    let response;
    try {
      response = await request(url, {
        method: method as 'GET',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
      throw new TransportFailure(method, path, undefined, undefined, code);
    }
    const text = await response.body.text();
    if (response.statusCode >= 400) {
      throw new TransportFailure(method, path, response.statusCode, serverMessage(text), undefined);
    }
    if (asText) return text;
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new TransportFailure(
        method,
        path,
        response.statusCode,
        `response is not JSON: ${text.slice(0, 80)}`,
        'EPROTO',
      );
    }
  }
}

function serverMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // Not an error document (e.g. Go's plain "404 page not found"): show the text itself.
  }
  return text.trim() || '(empty response)';
}

/**
 * The one place geoctl talks to Toxiproxy, through toxiproxy-node-client, identically for the embedded
 * server and a real one. Every failure becomes a GeoctlError naming the URL, what was attempted, and the
 * server's own message and status.
 */
export class ToxiproxyDriver {
  private readonly client: Toxiproxy;
  private readonly transport: Transport;

  constructor(
    readonly url: string,
    options: DriverOptions = {},
  ) {
    this.client = new Toxiproxy(url);
    this.transport = new Transport(url, options.timeoutMs ?? 5_000);
    (this.client as unknown as { api: Transport }).api = this.transport;
  }

  version(): Promise<string> {
    return this.attempt('read the server version', async () => {
      const text = await this.client.getVersion();
      try {
        const parsed = JSON.parse(text) as { version?: unknown };
        return typeof parsed.version === 'string' ? parsed.version : text.trim();
      } catch {
        return text.trim(); // Toxiproxy before 2.6 answered plain text.
      }
    });
  }

  listProxies(): Promise<ProxyState[]> {
    return this.attempt('list proxies', async () => {
      const raw = await this.transport.get<Record<string, unknown>>(`${this.url}/proxies`);
      return Object.values(raw.data ?? {}).map(toProxyState);
    });
  }

  getProxy(name: string): Promise<ProxyState | undefined> {
    return this.attempt(`read proxy "${name}"`, async () => {
      try {
        return toProxyState(
          (await this.transport.get<unknown>(`${this.url}/proxies/${encodeURIComponent(name)}`)).data,
        );
      } catch (error) {
        if (error instanceof TransportFailure && error.status === 404) return undefined;
        throw error;
      }
    });
  }

  createProxy(spec: ProxySpec): Promise<ProxyState> {
    return this.attempt(`create proxy "${spec.name}"`, async () => {
      const proxy = await this.client.createProxy({ ...spec, enabled: spec.enabled ?? true });
      return this.readBack(proxy.name);
    });
  }

  updateProxy(name: string, change: Partial<Omit<ProxySpec, 'name'>>): Promise<ProxyState> {
    return this.attempt(`update proxy "${name}"`, async () => {
      const current = await this.client.get(name);
      await current.update({
        listen: change.listen ?? current.listen,
        upstream: change.upstream ?? current.upstream,
        enabled: change.enabled ?? current.enabled,
      });
      return this.readBack(name);
    });
  }

  deleteProxy(name: string): Promise<void> {
    return this.attempt(`delete proxy "${name}"`, async () => {
      await (await this.client.get(name)).remove();
    });
  }

  addToxic(proxyName: string, toxic: ToxicSpec): Promise<ToxicState> {
    return this.attempt(
      `add ${toxic.stream} ${toxic.type} toxic "${toxic.name}" to proxy "${proxyName}"`,
      async () => {
        const proxy = await this.client.get(proxyName);
        const added = await proxy.addToxic({
          name: toxic.name,
          type: toxic.type as never,
          stream: toxic.stream,
          toxicity: toxic.toxicity ?? 1,
          attributes: toxic.attributes,
        });
        return toToxicState(added.toJson());
      },
    );
  }

  updateToxic(
    proxyName: string,
    toxicName: string,
    change: { attributes?: Record<string, number>; toxicity?: number },
  ) {
    return this.attempt(`update toxic "${toxicName}" on proxy "${proxyName}"`, async () => {
      const path = `${this.url}/proxies/${encodeURIComponent(proxyName)}/toxics/${encodeURIComponent(toxicName)}`;
      return toToxicState(await this.transport.send('PATCH', path, change));
    });
  }

  removeToxic(proxyName: string, toxicName: string): Promise<void> {
    return this.attempt(`remove toxic "${toxicName}" from proxy "${proxyName}"`, async () => {
      const proxy = await this.client.get(proxyName);
      await (await proxy.getToxic(toxicName)).remove();
    });
  }

  populate(specs: ProxySpec[]): Promise<ProxyState[]> {
    return this.attempt(`populate ${specs.length} prox${specs.length === 1 ? 'y' : 'ies'}`, async () => {
      const proxies = await this.client.populate(specs.map((s) => ({ ...s, enabled: s.enabled ?? true })));
      const names = Object.keys(proxies);
      const all = await this.listProxies();
      return all.filter((p) => names.includes(p.name));
    });
  }

  reset(): Promise<void> {
    return this.attempt('reset every proxy (enable all, remove all toxics)', () => this.client.reset());
  }

  private async readBack(name: string): Promise<ProxyState> {
    return toProxyState(
      (await this.transport.get<unknown>(`${this.url}/proxies/${encodeURIComponent(name)}`)).data,
    );
  }

  private async attempt<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.explain(action, error);
    }
  }

  private explain(action: string, error: unknown): GeoctlError {
    if (error instanceof GeoctlError) return error;
    if (!(error instanceof TransportFailure)) {
      return new GeoctlError('E_TOXIPROXY_PROTOCOL', `could not ${action} at ${this.url}: ${String(error)}`);
    }
    const details = { url: this.url, request: `${error.method} ${error.path}`, status: error.status };
    if (error.networkCode === 'EPROTO') {
      return new GeoctlError(
        'E_TOXIPROXY_PROTOCOL',
        `could not ${action} at ${this.url}: ${error.serverMessage}`,
        {
          hint: 'Is this URL a Toxiproxy 2.x API?',
          details,
        },
      );
    }
    if (error.status === undefined) {
      return new GeoctlError(
        'E_TOXIPROXY_UNREACHABLE',
        `no Toxiproxy answers at ${this.url} (could not ${action}: ${describeNetworkCode(error.networkCode)})`,
        {
          hint: 'Start one with `geoctl toxiproxy serve`, or point geoctl at yours with --toxiproxy-url or TOXIPROXY_URL.',
          details,
        },
      );
    }
    return new GeoctlError(
      'E_TOXIPROXY_API',
      `Toxiproxy at ${this.url} refused to ${action}: ${error.serverMessage} (HTTP ${error.status} on ${error.method} ${error.path})`,
      { details: { ...details, serverMessage: error.serverMessage } },
    );
  }
}

function describeNetworkCode(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'host not found';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'no answer in time';
    default:
      return code ?? 'network error';
  }
}

function toProxyState(raw: unknown): ProxyState {
  const p = raw as Partial<ProxyState> & { toxics?: unknown[] };
  if (!p || typeof p.name !== 'string')
    throw new TransportFailure('GET', '/proxies', 200, 'response has no proxy', 'EPROTO');
  return {
    name: p.name,
    listen: String(p.listen ?? ''),
    upstream: String(p.upstream ?? ''),
    enabled: p.enabled === true,
    toxics: (p.toxics ?? []).map(toToxicState),
  };
}

function toToxicState(raw: unknown): ToxicState {
  const t = raw as Partial<ToxicState>;
  return {
    name: String(t.name ?? ''),
    type: String(t.type ?? ''),
    stream: String(t.stream ?? 'downstream').toLowerCase() === 'upstream' ? 'upstream' : 'downstream',
    toxicity: typeof t.toxicity === 'number' ? t.toxicity : 1,
    attributes: { ...(t.attributes ?? {}) },
  };
}
