import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './free-ports.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A copy of a shipped topology (path from the repository root) written to `dir`/topology.yaml, with every
 * 127.0.0.1 port swapped for a free one (the same port everywhere it appears), so tests never collide with
 * the fixed ports a user runs by hand. Returns the file and its text.
 */
export async function copyWithFreePorts(
  shipped: string,
  dir: string,
): Promise<{ file: string; text: string }> {
  const text = await readFile(join(root, shipped), 'utf8');
  const fixed = [...new Set([...text.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]!))];
  const free = await freePorts(fixed.length);
  const map = new Map(fixed.map((port, i) => [port, String(free[i])]));
  const copy = text.replace(/127\.0\.0\.1:(\d+)/g, (_, port: string) => `127.0.0.1:${map.get(port)}`);
  const file = join(dir, 'topology.yaml');
  await writeFile(file, copy);
  return { file, text: copy };
}
