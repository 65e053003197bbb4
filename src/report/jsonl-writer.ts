import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { GeoctlError } from '../errors.js';

/**
 * Appends one JSON document per line as observations happen. Lines go to the OS as they are written, so a
 * crash of geoctl loses nothing already observed (at most a line being written).
 */
export class JsonlWriter {
  /** The first write error (a full disk, say); later writes throw it instead of crashing geoctl. */
  private failure: GeoctlError | undefined;

  private constructor(
    private readonly stream: WriteStream,
    readonly path: string,
  ) {
    // Without a listener an 'error' event would kill the process outright, before any fault is healed.
    stream.on('error', (error) => {
      this.failure ??= new GeoctlError(
        'E_OUTPUT_WRITE',
        `cannot write observations to ${path}: ${error.message}`,
        { hint: 'Free space or pick another --out; what was written before the error is in the file.' },
      );
    });
  }

  static async open(path: string): Promise<JsonlWriter> {
    const stream = createWriteStream(path, { flags: 'a', mode: 0o644 });
    try {
      await once(stream, 'open');
    } catch (error) {
      throw new GeoctlError(
        'E_INVALID_VALUE',
        `--out ${path}: cannot write there: ${(error as Error).message}`,
        {
          hint: 'Give a file path in a directory that exists and is writable.',
        },
      );
    }
    return new JsonlWriter(stream, path);
  }

  /** Throws once a write has failed: a probe that cannot record its observations must stop, not go on blind. */
  write(document: Record<string, unknown>): void {
    if (this.failure) throw this.failure;
    this.stream.write(`${JSON.stringify(document)}\n`);
  }

  /** Flushes and closes; a write error not yet reported is thrown here. */
  async close(): Promise<void> {
    if (!this.stream.closed) {
      const closed = once(this.stream, 'close');
      this.stream.end();
      await closed.catch(() => undefined);
    }
    if (this.failure) throw this.failure;
  }
}
