import { Command } from '@oclif/core';
import { ExitCode, GeoctlError, isGeoctlError } from '../errors.js';

interface OclifParseError extends Error {
  oclif?: { exit?: number };
}

/**
 * Every geoctl command: `--json` support, and one place that turns any failure into a clear message (or a
 * JSON error document), the right exit code from the table in errors.ts, and never a stack trace.
 */
export abstract class GeoctlCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(error: Error): Promise<void> {
    const failure = toGeoctlError(error);
    process.exitCode = failure.exitCode;
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify(failure.toJSON())}\n`);
      return;
    }
    process.stderr.write(`Error: ${failure.describe()}\n`);
    if (failure.code === 'E_INTERNAL' && process.env.DEBUG && error.stack)
      process.stderr.write(`${error.stack}\n`);
  }

  /** Writes one JSON document per line on stdout: for long-running commands that report as they go. */
  protected emitJsonLine(document: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(document)}\n`);
  }

  /** Diagnostics and progress go to stderr, and only for people. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`);
  }
}

function toGeoctlError(error: Error): GeoctlError {
  if (isGeoctlError(error)) return error;
  const parseError = error as OclifParseError;
  if (
    parseError.oclif?.exit === ExitCode.usage ||
    /flag|argument|Expected/.test(error.name + error.message)
  ) {
    return new GeoctlError('E_USAGE', error.message.trim(), { hint: 'See `geoctl help` for usage.' });
  }
  return new GeoctlError('E_INTERNAL', `internal error: ${error.message}`, {
    hint: 'This is a bug in geoctl; run with DEBUG=1 for the stack trace and report it.',
  });
}
