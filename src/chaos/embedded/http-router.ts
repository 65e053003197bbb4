/**
 * Request routing with gorilla/mux's rules, which clients of the official server observe: paths are
 * matched exactly on their percent-decoded form (no trailing-slash leniency), a path that is not clean
 * ("//", "/./", "/../") is redirected to its clean form first, a known path with an unlisted method is
 * a 405, and anything else a 404. Only a full match runs the route's middleware.
 */

export interface RequestTarget {
  /** The percent-decoded path, as Go's URL.Path. */
  path: string;
  /** "?query" or "" (kept for redirects). */
  search: string;
  /** "scheme://authority" for an absolute-form target, else "". */
  origin: string;
}

/** Splits a request target; a malformed percent escape gives Go's error text. */
export function parseRequestTarget(target: string): RequestTarget | { error: string } {
  let rest = target;
  let origin = '';
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(rest);
  if (absolute) {
    origin = absolute[0];
    rest = rest.slice(origin.length);
  }
  const queryAt = rest.indexOf('?');
  const rawPath = queryAt >= 0 ? rest.slice(0, queryAt) : rest;
  const search = queryAt >= 0 ? rest.slice(queryAt) : '';
  const path = percentDecode(rawPath);
  return typeof path === 'string' ? { path, search, origin } : path;
}

function percentDecode(raw: string): string | { error: string } {
  if (!raw.includes('%')) return raw;
  const bytes: number[] = [];
  const source = Buffer.from(raw, 'utf8');
  for (let i = 0; i < source.length; i++) {
    const byte = source[i] ?? 0;
    if (byte !== 0x25) {
      bytes.push(byte);
      continue;
    }
    const hex = source.subarray(i + 1, i + 3).toString('latin1');
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
      return { error: `invalid URL escape "${source.subarray(i, i + 3).toString('latin1')}"` };
    }
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** mux's cleanPath: path.Clean, keeping a trailing slash. */
export function cleanPath(path: string): string {
  if (path === '') return '/';
  const rooted = path.startsWith('/') ? path : `/${path}`;
  const out: string[] = [];
  for (const segment of rooted.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const cleaned = `/${out.join('/')}`;
  return rooted.endsWith('/') && cleaned !== '/' ? `${cleaned}/` : cleaned;
}

/** Go's url.PathEscape-like escaping used when a URL with a new Path is printed (encodePath mode). */
export function escapePath(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface RouteDefinition<H> {
  /** e.g. "/proxies/{proxy}/toxics"; a {var} matches one non-empty segment. */
  template: string;
  /** Undefined accepts every method (mux's route without .Methods()). */
  methods?: readonly string[];
  handler: H;
}

export type RouteMatch<H> =
  | { kind: 'found'; handler: H; vars: Record<string, string> }
  | { kind: 'methodNotAllowed' }
  | { kind: 'notFound' };

interface CompiledRoute<H> {
  segments: string[];
  methods?: readonly string[];
  handler: H;
}

export class Router<H> {
  private readonly routes: CompiledRoute<H>[];

  constructor(routes: ReadonlyArray<RouteDefinition<H>>) {
    this.routes = routes.map((route) => ({
      segments: route.template.split('/').slice(1),
      methods: route.methods,
      handler: route.handler,
    }));
  }

  match(method: string, path: string): RouteMatch<H> {
    const segments = path.split('/').slice(1);
    let methodMismatch = false;
    for (const route of this.routes) {
      const vars = matchSegments(route.segments, segments);
      if (!vars) continue;
      if (route.methods && !route.methods.includes(method)) {
        methodMismatch = true;
        continue;
      }
      return { kind: 'found', handler: route.handler, vars };
    }
    return methodMismatch ? { kind: 'methodNotAllowed' } : { kind: 'notFound' };
  }
}

function matchSegments(
  template: readonly string[],
  actual: readonly string[],
): Record<string, string> | undefined {
  if (template.length !== actual.length) return undefined;
  const vars: Record<string, string> = {};
  for (const [i, part] of template.entries()) {
    const value = actual[i] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      if (value === '') return undefined;
      vars[part.slice(1, -1)] = value;
    } else if (part !== value) {
      return undefined;
    }
  }
  return vars;
}
