import type { ApiError } from './api-error.js';
import { errorJson, populateJson } from './api-json.js';

/**
 * A complete response, built before anything is written: like Go's http.TimeoutHandler, which buffers the
 * handler's output, so a handler that times out or fails leaves nothing half-sent.
 */
export interface Reply {
  status: number;
  /** Go-canonical names, in the order Go writes them (sorted). */
  headers: Record<string, string>;
  body: string | Buffer;
}

export function jsonReply(status: number, body: string): Reply {
  return { status, headers: { 'Content-Type': 'application/json' }, body };
}

export function emptyReply(status: number): Reply {
  return { status, headers: {}, body: '' };
}

/** Go's http.Error: text/plain, nosniff, the message and a newline. */
export function plainErrorReply(status: number, message: string): Reply {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    body: `${message}\n`,
  };
}

/** Toxiproxy's apiError(): the JSON error document sent through http.Error, so still text/plain. */
export function apiErrorReply(error: ApiError): Reply {
  return plainErrorReply(error.status, errorJson(error.message, error.status));
}

/** /populate answers errors as JSON with the proxies created so far (null when none). */
export function populateErrorReply(error: ApiError): Reply {
  return jsonReply(error.status, populateJson([], { message: error.message, status: error.status }));
}
