import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

/** A response as the wire carried it: status, headers (lower-cased names) and the exact body bytes. */
export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names with the case the server sent, in order. */
  headerNames: string[];
  body: string;
  bodyBytes: Buffer;
}

export interface HttpOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Omit to send no User-Agent at all (Node sends none by default). */
  userAgent?: string;
}

/**
 * One request on a fresh connection (no agent), so tests see exactly what the server sends and no state
 * leaks between requests through a pooled socket.
 */
export function http(
  baseUrl: string,
  method: string,
  path: string,
  options: HttpOptions = {},
): Promise<HttpResult> {
  // The path goes out as written (no URL normalisation), so tests can send "/./x" or "/a%2Fb".
  const url = new URL(baseUrl);
  const headers: Record<string, string> = { ...options.headers };
  if (options.userAgent !== undefined) headers['User-Agent'] = options.userAgent;
  if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
  return new Promise<HttpResult>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const bodyBytes = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            headerNames: res.rawHeaders.filter((_, i) => i % 2 === 0),
            body: bodyBytes.toString('utf8'),
            bodyBytes,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** JSON body helper: sends `value` serialised, returns the raw result. */
export function httpJson(baseUrl: string, method: string, path: string, value: unknown): Promise<HttpResult> {
  return http(baseUrl, method, path, {
    body: JSON.stringify(value),
    headers: { 'Content-Type': 'application/json' },
  });
}

/**
 * Writes raw bytes to host:port and collects everything the server sends until it closes the connection,
 * or until `until(received)` is true (for connections the server keeps open). For requests no HTTP client
 * library would send: malformed ones, pipelined ones, bodies cut short.
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  options: { host?: string; until?: (received: string) => boolean } = {},
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, options.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    const text = (): string => Buffer.concat(chunks).toString('utf8');
    const done = (): void => {
      socket.destroy();
      resolve(text());
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.until?.(text())) done();
    });
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', (error) => (chunks.length > 0 ? done() : reject(error)));
    socket.on('connect', () => socket.write(bytes));
  });
}

/** True once `raw` holds `count` complete responses whose bodies are framed by Content-Length. */
export function hasResponses(raw: string, count: number): boolean {
  let rest = raw;
  for (let i = 0; i < count; i++) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(rest.slice(0, end))?.[1] ?? 0);
    if (rest.length < end + 4 + length) return false;
    rest = rest.slice(end + 4 + length);
  }
  return true;
}

/** Splits a raw HTTP/1.1 response into status line, headers (lower-cased names) and body. */
export function parseRawResponse(raw: string): {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
} {
  const end = raw.indexOf('\r\n\r\n');
  const head = end >= 0 ? raw.slice(0, end) : raw;
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { statusLine, headers, body: end >= 0 ? raw.slice(end + 4) : '' };
}

/** Toxiproxy's request ids: github.com/rs/xid, 20 characters of base32hex. */
export const XID_PATTERN = /^[0-9a-v]{20}$/;
