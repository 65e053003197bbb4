import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where geoctl keeps what must outlive one command: the embedded server's address and the fault journal.
 * GEOCTL_STATE_DIR, else $XDG_STATE_HOME/geoctl, else ~/.local/state/geoctl. Losing it is survivable: the
 * faults themselves are identified by their toxic names on the Toxiproxy server.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GEOCTL_STATE_DIR) return env.GEOCTL_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'geoctl');
  return join(homedir(), '.local', 'state', 'geoctl');
}

export async function ensureDir(path: string): Promise<string> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  return path;
}
