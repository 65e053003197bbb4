/**
 * Every failure geoctl reports carries a stable code. The code decides the exit status (one table for the
 * whole CLI, documented in the README) and is what `--json` error documents and scripts match on.
 */
export const ExitCode = {
  ok: 0,
  toolError: 1,
  usage: 2,
  expectationFailed: 3,
  indeterminate: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const exitCodeByErrorCode = {
  E_USAGE: ExitCode.usage,
  E_INVALID_VALUE: ExitCode.usage,
  E_CONFIG: ExitCode.usage,
  E_ADDRESS_IN_USE: ExitCode.toolError,
  E_BIND: ExitCode.toolError,
  E_TOXIPROXY_UNREACHABLE: ExitCode.toolError,
  E_TOXIPROXY_API: ExitCode.toolError,
  E_TOXIPROXY_PROTOCOL: ExitCode.toolError,
  E_NOT_DEPLOYED: ExitCode.toolError,
  E_STORE_UNREACHABLE: ExitCode.toolError,
  E_MISSING_PROGRAM: ExitCode.toolError,
  E_VERIFY_FAILED: ExitCode.expectationFailed,
  E_METRICS_PUSH: ExitCode.toolError,
  E_OUTPUT_WRITE: ExitCode.toolError,
  E_INTERNAL: ExitCode.toolError,
} as const satisfies Record<string, ExitCode>;

export type ErrorCode = keyof typeof exitCodeByErrorCode;

export interface GeoctlErrorOptions {
  /** What the user can do about it, shown after the message. */
  hint?: string;
  /** Machine-readable context for `--json` error documents (never secrets). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class GeoctlError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: GeoctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GeoctlError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): ExitCode {
    return exitCodeByErrorCode[this.code];
  }

  /** One paragraph for a person: the message, then the hint. */
  describe(): string {
    return this.hint ? `${this.message}\n${this.hint}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return {
      error: { code: this.code, message: this.message, hint: this.hint, ...(this.details ?? {}) },
      exitCode: this.exitCode,
    };
  }
}

export function isGeoctlError(error: unknown): error is GeoctlError {
  return error instanceof GeoctlError;
}

/** The exit-code table as the README shows it; kept here so docs and code cannot drift apart. */
export const exitCodeTable: ReadonlyArray<{ code: ExitCode; meaning: string }> = [
  { code: ExitCode.ok, meaning: 'success; for `geoctl run`, every expectation was met' },
  {
    code: ExitCode.toolError,
    meaning: 'tool error: Toxiproxy unreachable, a port in use, an internal failure',
  },
  { code: ExitCode.usage, meaning: 'usage error: a bad flag, argument, value or file' },
  { code: ExitCode.expectationFailed, meaning: 'an expectation (SLO) or check failed' },
  { code: ExitCode.indeterminate, meaning: 'a result is indeterminate (not enough evidence either way)' },
];
