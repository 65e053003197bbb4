import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { GeoctlError } from '../errors.js';

/**
 * Appends one JSON document per line as observations happen. Lines go to the OS as they are written, so a
 * crash of geoctl loses nothing already observed (at most a line being written).
 */
export class JsonlWriter {
  private constructor(
    private readonly stream: WriteStream,
    readonly path: string,
  ) {}

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

  write(document: Record<string, unknown>): void {
    this.stream.write(`${JSON.stringify(document)}\n`);
  }

  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'close');
  }
}
