import type { ErrorCode } from '../../errors.js';

/** Messages between `startEmbeddedToxiproxyThread` and its worker (structured-cloned, so plain data). */
export type WorkerReport =
  | { type: 'listening'; url: string; host: string; port: number; proxies: number }
  | {
      type: 'failed';
      error: { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> };
    }
  | { type: 'log'; entry: Record<string, unknown> }
  | { type: 'closed' };

export type WorkerCommand = { type: 'close' };
