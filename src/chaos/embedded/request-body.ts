import type { IncomingMessage } from 'node:http';
import { ApiError, apiErrors } from './api-error.js';

export interface BodyLimits {
  /** Bodies larger than this are refused with 413 instead of being buffered. */
  maxBytes: number;
  /** When the whole body must have arrived (a Date.now() time), like Go's ReadTimeout. */
  deadline: number;
}

/**
 * Reads a request body to a string under a size cap and a deadline. Failures come back as the ApiError
 * the handler answers with: 413 past the cap, and for a timeout or a vanished client the decoding error
 * Go's json.Decoder would have reported reading the same body ("… i/o timeout", "unexpected EOF").
 */
export function readBody(request: IncomingMessage, limits: BodyLimits): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    return Promise.reject(bodyTooLarge(limits.maxBytes));
  }
  if (request.complete && request.readableEnded) return Promise.resolve('');
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(
      () => settle(readTimeoutError(request)),
      Math.max(0, limits.deadline - Date.now()),
    );
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.maxBytes) {
        settle(bodyTooLarge(limits.maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(undefined);
    const onAbort = (): void => settle(apiErrors.badRequestBody('unexpected EOF'));
    const settle = (error: ApiError | undefined): void => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('aborted', onAbort);
      request.off('error', onAbort);
      request.off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onClose = (): void => {
      if (!request.complete) onAbort();
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('aborted', onAbort);
    request.on('error', onAbort);
    request.on('close', onClose);
  });
}

export function bodyTooLarge(maxBytes: number): ApiError {
  return new ApiError(413, `request body too large: the limit is ${maxBytes} bytes`);
}

/** Go's net.OpError text for a read past the connection's deadline. */
function readTimeoutError(request: IncomingMessage): ApiError {
  const socket = request.socket;
  const local = hostPort(socket.localAddress, socket.localPort);
  const remote = hostPort(socket.remoteAddress, socket.remotePort);
  return apiErrors.badRequestBody(`read tcp ${local}->${remote}: i/o timeout`);
}

function hostPort(address: string | undefined, port: number | undefined): string {
  const host = (address ?? '').replace(/^::ffff:/, '');
  return host.includes(':') ? `[${host}]:${port ?? 0}` : `${host}:${port ?? 0}`;
}
