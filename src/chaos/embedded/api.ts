import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { ApiError, apiErrors } from './api-error.js';
import { proxyBodyType, type ProxyBody } from './api-go-types.js';
import { populateJson, proxyIndexJson, proxyJson, toxicJson, toxicListJson } from './api-json.js';
import {
  apiErrorReply,
  emptyReply,
  jsonReply,
  plainErrorReply,
  populateErrorReply,
  type Reply,
} from './api-reply.js';
import { goDecode } from './go-json.js';
import { cleanPath, escapePath, parseRequestTarget, Router, type RouteDefinition } from './http-router.js';
import type { ServerMetrics } from './metrics.js';
import { parsePopulateBody } from './populate-request.js';
import type { ProxyCollection } from './proxy-collection.js';
import { updateProxy } from './proxy-update.js';
import { readBody } from './request-body.js';
import { SerialQueue } from './serial-queue.js';
import { createToxic, removeToxic, updateToxic } from './toxic-requests.js';
import { newXid } from './xid.js';

export const TOXIPROXY_VERSION = '2.12.0';

export type ApiLog = (entry: Record<string, unknown>) => void;

export interface ApiOptions {
  proxies: ProxyCollection;
  /** /metrics is routed only when given and enabled, as with -proxy-metrics / -runtime-metrics. */
  metrics?: ServerMetrics;
  /** Bodies above this get 413 (the official server has no cap). Default 1 MiB. */
  maxBodyBytes?: number;
  /** Go's ReadTimeout: headers and body must arrive within this. Default 15 s. */
  readTimeoutMs?: number;
  /** Go's http.TimeoutHandler: a handler still running after this is answered 503. Default 25 s. */
  handlerTimeoutMs?: number;
  /** Go's IdleTimeout for keep-alive connections. Default 60 s. */
  idleTimeoutMs?: number;
  /** How long close() lets in-flight requests finish before cutting their connections. Default 2 s. */
  shutdownGraceMs?: number;
  log?: ApiLog;
}

export const DEFAULT_MAX_BODY_BYTES = 1 << 20;

/** How a route reports errors: Go's http.Error document, or /populate's JSON with a proxies list. */
type ErrorStyle = 'plain' | 'populate';

interface RequestContext {
  request: IncomingMessage;
  vars: Record<string, string>;
  /** The whole body as text; rejects with the ApiError to answer (413, read timeout, client gone). */
  body(): Promise<string>;
}

interface Route {
  name: string;
  errorStyle: ErrorStyle;
  run(context: RequestContext): Promise<Reply>;
}

const noop = (): void => undefined;

/**
 * The Toxiproxy 2.12.0 HTTP API over a ProxyCollection, on node:http. Status codes, headers, bodies and
 * error texts follow the official server, so its clients and CLI work unchanged; beyond it, request
 * bodies are capped, slow requests time out, and no request, however malformed or abandoned, can take
 * the process down.
 */
export class ToxiproxyApi {
  readonly server: Server;
  private readonly proxies: ProxyCollection;
  private readonly metrics: ServerMetrics | undefined;
  private readonly router: Router<Route>;
  /** Proxy-level changes run one at a time, so an update cannot interleave with a reset or a delete. */
  private readonly mutations = new SerialQueue();
  private readonly maxBodyBytes: number;
  private readonly readTimeoutMs: number;
  private readonly handlerTimeoutMs: number;
  private readonly shutdownGraceMs: number;
  private readonly log: ApiLog;
  private closing = false;

  constructor(options: ApiOptions) {
    this.proxies = options.proxies;
    this.metrics = options.metrics?.enabled ? options.metrics : undefined;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.readTimeoutMs = options.readTimeoutMs ?? 15_000;
    this.handlerTimeoutMs = options.handlerTimeoutMs ?? 25_000;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 2_000;
    this.log = options.log ?? noop;
    this.router = new Router(this.routes());
    this.server = createServer(
      {
        keepAliveTimeout: options.idleTimeoutMs ?? 60_000,
        // Headers get Go's ReadTimeout; the body's share of it is enforced by readBody.
        headersTimeout: this.readTimeoutMs,
        requestTimeout: 0,
        connectionsCheckingInterval: Math.min(1_000, this.readTimeoutMs),
        maxHeaderSize: 1 << 20,
      },
      (request, response) => this.onRequest(request, response),
    );
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
      this.onClientError(error, socket),
    );
  }

  /** Binds the API; rejects with Node's listen error (EADDRINUSE, EACCES, …). */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise<AddressInfo>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', onError);
        this.server.on('error', (error) =>
          this.log({ level: 'error', message: 'API server error', error: String(error) }),
        );
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting, closes idle keep-alive connections, lets in-flight requests finish briefly. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const cutoff = setTimeout(() => this.server.closeAllConnections(), this.shutdownGraceMs);
    cutoff.unref();
    await closed;
    clearTimeout(cutoff);
  }

  private routes(): RouteDefinition<Route>[] {
    const plain = (name: string, run: Route['run']): Route => ({ name, errorStyle: 'plain', run });
    const proxyRoute = '/proxies/{proxy}';
    const toxicRoute = '/proxies/{proxy}/toxics/{toxic}';
    const routes: RouteDefinition<Route>[] = [
      { template: '/reset', methods: ['POST'], handler: plain('ResetState', () => this.reset()) },
      { template: '/proxies', methods: ['GET'], handler: plain('ProxyIndex', async () => this.proxyIndex()) },
      { template: '/proxies', methods: ['POST'], handler: plain('ProxyCreate', (c) => this.proxyCreate(c)) },
      {
        template: '/populate',
        methods: ['POST'],
        handler: { name: 'Populate', errorStyle: 'populate', run: (c) => this.populate(c) },
      },
      { template: proxyRoute, methods: ['GET'], handler: plain('ProxyShow', async (c) => this.proxyShow(c)) },
      {
        template: proxyRoute,
        methods: ['POST', 'PATCH'],
        handler: plain('ProxyUpdate', (c) => this.proxyUpdate(c)),
      },
      {
        template: proxyRoute,
        methods: ['DELETE'],
        handler: plain('ProxyDelete', (c) => this.proxyDelete(c)),
      },
      {
        template: '/proxies/{proxy}/toxics',
        methods: ['GET'],
        handler: plain('ToxicIndex', async (c) =>
          jsonReply(200, toxicListJson(this.proxyOf(c).toxics.list())),
        ),
      },
      {
        template: '/proxies/{proxy}/toxics',
        methods: ['POST'],
        handler: plain('ToxicCreate', (c) => this.toxicCreate(c)),
      },
      { template: toxicRoute, methods: ['GET'], handler: plain('ToxicShow', async (c) => this.toxicShow(c)) },
      {
        template: toxicRoute,
        methods: ['POST', 'PATCH'],
        handler: plain('ToxicUpdate', (c) => this.toxicUpdate(c)),
      },
      {
        template: toxicRoute,
        methods: ['DELETE'],
        handler: plain('ToxicDelete', (c) => this.toxicDelete(c)),
      },
      { template: '/version', methods: ['GET'], handler: plain('Version', async () => versionReply()) },
    ];
    const metrics = this.metrics;
    // Registered without methods, as Toxiproxy's r.Handle("/metrics", …): every method is served.
    if (metrics)
      routes.push({ template: '/metrics', handler: plain('Metrics', (c) => metricsReply(metrics, c)) });
    return routes;
  }

  // ---- dispatch -------------------------------------------------------------------------------------

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const started = performance.now();
    // A client that vanishes surfaces as 'error' on these; without listeners that would be fatal.
    request.on('error', noop);
    response.on('error', noop);
    let routeName = '';
    response.once('close', () => {
      this.log({
        level: 'debug',
        client: `${request.socket.remoteAddress ?? ''}:${request.socket.remotePort ?? ''}`,
        method: request.method,
        url: request.url,
        user_agent: request.headers['user-agent'] ?? '',
        status: response.statusCode,
        duration: performance.now() - started,
        handler: routeName,
        completed: response.writableFinished,
      });
    });
    try {
      const route = this.dispatch(request, response);
      if (route) routeName = route;
    } catch (error) {
      this.send(request, response, this.unexpected(error, 'plain'));
    }
  }

  /** Routes like gorilla/mux; only a full match gets the middleware (request id, browser block, timeout). */
  private dispatch(request: IncomingMessage, response: ServerResponse): string | undefined {
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    if (url === '*' && method === 'OPTIONS') {
      // Go's server answers "OPTIONS *" itself, before any handler.
      this.send(request, response, emptyReply(200));
      return undefined;
    }
    const target = parseRequestTarget(url);
    if ('error' in target) {
      // Go's server rejects the request line itself: a bare text body, no newline, connection closed.
      const reply = {
        status: 400,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body: '400 Bad Request',
      };
      this.send(request, response, reply, true);
      return undefined;
    }
    const clean = cleanPath(target.path);
    if (clean !== target.path) {
      const location = `${headerSafe(target.origin)}${escapePath(clean)}${headerSafe(target.search)}`;
      this.send(request, response, { status: 301, headers: { Location: location }, body: '' });
      return undefined;
    }
    const match = this.router.match(method, target.path);
    // The spec we match says every response carries a request id; mux itself adds it only on a full route
    // match. Browsers are still blocked only on real routes, so a browser on an unknown path sees 404/405.
    const requestId = newXid();
    if (match.kind === 'notFound') {
      this.send(request, response, withRequestId(plainErrorReply(404, '404 page not found'), requestId));
      return undefined;
    }
    if (match.kind === 'methodNotAllowed') {
      this.send(request, response, withRequestId(emptyReply(405), requestId));
      return undefined;
    }
    const userAgent = request.headers['user-agent'] ?? '';
    if (userAgent.startsWith('Mozilla/')) {
      this.send(request, response, withRequestId(plainErrorReply(403, 'User agent not allowed'), requestId));
      return match.handler.name;
    }
    this.runRoute(match.handler, match.vars, request, response, requestId).catch((error: unknown) => {
      this.log({
        level: 'error',
        message: 'request failed',
        error: error instanceof Error ? error.stack : String(error),
      });
      response.destroy();
    });
    return match.handler.name;
  }

  private async runRoute(
    route: Route,
    vars: Record<string, string>,
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
  ): Promise<void> {
    if (request.method === 'POST' && (route.name === 'ProxyUpdate' || route.name === 'ToxicUpdate')) {
      this.log({
        level: 'warn',
        message: `${route.name}: HTTP method POST is deprecated. Use HTTP PATCH instead.`,
      });
    }
    let closeAfter = false;
    const deadline = Date.now() + this.readTimeoutMs;
    const context: RequestContext = {
      request,
      vars,
      body: () =>
        readBody(request, { maxBytes: this.maxBodyBytes, deadline }).catch((error: unknown) => {
          // The rest of the body is unread (too large, too slow, or gone): this connection cannot be reused.
          closeAfter = true;
          throw error;
        }),
    };
    const handled = route.run(context).catch((error: unknown) => this.unexpected(error, route.errorStyle));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Reply>((resolve) => {
      timer = setTimeout(() => resolve(emptyReply(503)), this.handlerTimeoutMs);
    });
    const reply = await Promise.race([handled, timedOut]);
    clearTimeout(timer);
    this.send(request, response, withRequestId(reply, requestId), closeAfter);
  }

  private unexpected(error: unknown, style: ErrorStyle): Reply {
    const apiError =
      error instanceof ApiError
        ? error
        : apiErrors.internal(error instanceof Error ? error.message : String(error));
    if (!(error instanceof ApiError)) {
      this.log({
        level: 'error',
        message: 'handler failed',
        error: error instanceof Error ? error.stack : String(error),
      });
    }
    return style === 'populate' ? populateErrorReply(apiError) : apiErrorReply(apiError);
  }

  /** Writes a reply unless the client is gone or was answered already; never throws. */
  private send(request: IncomingMessage, response: ServerResponse, reply: Reply, forceClose = false): void {
    if (response.headersSent || response.destroyed || response.writableEnded) return;
    try {
      const headers: Record<string, string> = { ...reply.headers };
      const unreadBody = forceClose || hasUnreadBody(request);
      if (unreadBody) lingerOnClose(request.socket);
      if (unreadBody || this.closing) headers.Connection = 'close';
      const bodyAllowed = reply.status !== 204 && reply.status !== 304;
      if (bodyAllowed) headers['Content-Length'] = String(Buffer.byteLength(reply.body));
      response.writeHead(reply.status, headers);
      response.end(bodyAllowed && request.method !== 'HEAD' ? reply.body : undefined);
    } catch (error) {
      this.log({ level: 'error', message: 'could not write a response', error: String(error) });
      response.destroy();
    }
  }

  private onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    socket.on('error', noop);
    // Go drops a connection whose request did not arrive in time without answering.
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status}`,
    );
    socket.destroySoon();
  }

  // ---- handlers ------------------------------------------------------------------------------------

  private proxyOf(context: RequestContext) {
    return this.proxies.get(context.vars.proxy ?? '');
  }

  private proxyIndex(): Reply {
    return jsonReply(200, proxyIndexJson(this.proxies.list()));
  }

  private async proxyCreate(context: RequestContext): Promise<Reply> {
    const body = await context.body();
    const decoded = goDecode(body, proxyBodyType, { name: '', listen: '', upstream: '', enabled: true });
    if (!decoded.ok) throw apiErrors.badRequestBody(decoded.error);
    const input = decoded.value as ProxyBody;
    if (input.name.length < 1) throw apiErrors.missingField('name');
    if (input.upstream.length < 1) throw apiErrors.missingField('upstream');
    const spec = { name: input.name, listen: input.listen, upstream: input.upstream };
    const proxy = await this.mutations.run(() => this.proxies.add(spec, input.enabled));
    return jsonReply(201, proxyJson(proxy));
  }

  private async populate(context: RequestContext): Promise<Reply> {
    const entries = parsePopulateBody(await context.body());
    const result = await this.mutations.run(() => this.proxies.populate(entries));
    if (!result.error) return jsonReply(201, populateJson(result.proxies));
    const { message, status } = result.error;
    return jsonReply(status, populateJson(result.proxies, { message, status }));
  }

  private proxyShow(context: RequestContext): Reply {
    return jsonReply(200, proxyJson(this.proxyOf(context)));
  }

  private async proxyUpdate(context: RequestContext): Promise<Reply> {
    const proxy = this.proxyOf(context);
    // Omitted fields keep the proxy's current values; a `name` in the body is decoded and ignored.
    const initial: ProxyBody = {
      name: '',
      listen: proxy.listen,
      upstream: proxy.upstream,
      enabled: proxy.enabled,
    };
    const decoded = goDecode(await context.body(), proxyBodyType, initial);
    if (!decoded.ok) throw apiErrors.badRequestBody(decoded.error);
    const input = decoded.value as ProxyBody;
    await this.mutations.run(() => updateProxy(proxy, input));
    return jsonReply(200, proxyJson(proxy));
  }

  private async proxyDelete(context: RequestContext): Promise<Reply> {
    const name = context.vars.proxy ?? '';
    await this.mutations.run(() => this.proxies.remove(name));
    return emptyReply(204);
  }

  private async toxicCreate(context: RequestContext): Promise<Reply> {
    const proxy = this.proxyOf(context);
    const toxic = await createToxic(proxy.toxics, await context.body());
    return jsonReply(200, toxicJson(toxic));
  }

  private toxicShow(context: RequestContext): Reply {
    const toxic = this.proxyOf(context).toxics.find(context.vars.toxic ?? '');
    if (!toxic) throw apiErrors.toxicNotFound();
    return jsonReply(200, toxicJson(toxic));
  }

  private async toxicUpdate(context: RequestContext): Promise<Reply> {
    const toxics = this.proxyOf(context).toxics;
    const name = context.vars.toxic ?? '';
    // Toxiproxy looks the toxic up before it reads the body: an unknown toxic is a 404 whatever the body.
    if (!toxics.find(name)) throw apiErrors.toxicNotFound();
    const toxic = await updateToxic(toxics, name, await context.body());
    return jsonReply(200, toxicJson(toxic));
  }

  private async toxicDelete(context: RequestContext): Promise<Reply> {
    await removeToxic(this.proxyOf(context).toxics, context.vars.toxic ?? '');
    return emptyReply(204);
  }

  private async reset(): Promise<Reply> {
    await this.mutations.run(() => this.proxies.reset());
    return emptyReply(204);
  }
}

function withRequestId(reply: Reply, requestId: string): Reply {
  // Go writes headers sorted by name; X-Toxiproxy-Request-Id sorts after the others used here.
  return { ...reply, headers: { ...reply.headers, 'X-Toxiproxy-Request-Id': requestId } };
}

function versionReply(): Reply {
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json;charset=utf-8' },
    body: `{"version": "${TOXIPROXY_VERSION}"}\n`,
  };
}

async function metricsReply(metrics: ServerMetrics, context: RequestContext): Promise<Reply> {
  const { contentType, body } = await metrics.exposition();
  // promhttp compresses when the scraper accepts gzip, as Prometheus does.
  if (acceptsGzip(context.request.headers['accept-encoding'])) {
    return {
      status: 200,
      headers: { 'Content-Encoding': 'gzip', 'Content-Type': contentType },
      body: gzipSync(body),
    };
  }
  return { status: 200, headers: { 'Content-Type': contentType }, body };
}

/** Percent-encodes what a header value cannot carry (controls, non-ASCII); URLs stay equivalent. */
function headerSafe(text: string): string {
  return text.replace(/[^\x21-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding = '', ...params] = part.trim().split(';');
    if (coding.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * Closing a socket with unread input makes the kernel send RST, which can destroy our answer (a 413, a
 * timeout error) before the client reads it. Like Go's closeWriteAndWait, send FIN first and keep
 * reading for a moment; the client closes, or the timer does.
 */
function lingerOnClose(socket: Socket): void {
  Object.assign(socket, {
    destroySoon(): void {
      socket.end();
      socket.resume();
      const timer = setTimeout(() => socket.destroy(), LINGER_MS);
      timer.unref();
      socket.once('end', () => socket.destroy());
      socket.once('close', () => clearTimeout(timer));
    },
  });
}

const LINGER_MS = 500;

/** A body was announced and not (fully) read: answering and keeping the connection would misparse the rest. */
function hasUnreadBody(request: IncomingMessage): boolean {
  if (request.complete) return false;
  const length = Number(request.headers['content-length'] ?? 0);
  return length > 0 || request.headers['transfer-encoding'] !== undefined;
}
