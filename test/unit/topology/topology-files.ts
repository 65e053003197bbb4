import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { GeoctlError } from '../../../src/errors.js';
import { loadTopology } from '../../../src/topology/load-topology.js';

/** Temp directories for topology files, removed after each test. Call once per describe file. */
export function useTempDirs(): { dir: (files: Record<string, string>) => Promise<string> } {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return {
    async dir(files) {
      const dir = await mkdtemp(join(tmpdir(), 'geoctl-topology-'));
      made.push(dir);
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
      return dir;
    },
  };
}

/** Lines joined so a test reads like the file it describes. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** The E_CONFIG error loading `text` as geoctl.yaml must raise. */
export async function loadError(
  dirs: ReturnType<typeof useTempDirs>,
  text: string,
  env: NodeJS.ProcessEnv = {},
): Promise<GeoctlError> {
  const cwd = await dirs.dir({ 'geoctl.yaml': text });
  const error: unknown = await loadTopology({ cwd, env }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GeoctlError);
  const geoctlError = error as GeoctlError;
  expect(geoctlError.code).toBe('E_CONFIG');
  return geoctlError;
}

/** The problem lines of the error loading `text`, each `geoctl.yaml:line:col path: message`. */
export async function problemLines(
  dirs: ReturnType<typeof useTempDirs>,
  text: string,
  env: NodeJS.ProcessEnv = {},
): Promise<string[]> {
  return (await loadError(dirs, text, env)).message.split('\n');
}

/** A valid block-style topology; tests change one line to make one problem. */
export const VALID_LINES = [
  'toxiproxy: embedded', // 1
  'regions:', // 2
  '  us-east:', // 3
  '    aliases: [us]', // 4
  '    client:', // 5
  '      listen: 127.0.0.1:17001', // 6
  '      upstream: 127.0.0.1:7001', // 7
  '  eu-west:', // 8
  '    aliases: [eu]', // 9
  '    client:', // 10
  '      listen: 127.0.0.1:17002', // 11
  '      upstream: 127.0.0.1:7002', // 12
  'links:', // 13
  '  - from: eu-west', // 14
  '    to: us-east', // 15
  '    listen: 127.0.0.1:18021', // 16
  '    upstream: 127.0.0.1:7001', // 17
] as const;

/** VALID_LINES with 1-based line numbers replaced (undefined deletes the line). */
export function validWith(changes: Record<number, string | undefined>): string {
  const lines: string[] = [];
  VALID_LINES.forEach((line, index) => {
    const number = index + 1;
    if (!(number in changes)) lines.push(line);
    else if (changes[number] !== undefined) lines.push(changes[number]);
  });
  return yaml(...lines);
}
