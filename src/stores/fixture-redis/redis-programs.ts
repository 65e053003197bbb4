import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { GeoctlError } from '../../errors.js';

export interface RedisPrograms {
  server: string;
  /** The Sentinel program and the arguments that make it one (`redis-server --sentinel` works too). */
  sentinel: { file: string; args: string[] };
}

async function find(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    try {
      await access(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** redis-server and redis-sentinel, or E_MISSING_PROGRAM naming the Debian packages to install. */
export async function findRedisPrograms(): Promise<RedisPrograms> {
  const server = await find('redis-server');
  if (!server)
    throw new GeoctlError('E_MISSING_PROGRAM', 'redis-server was not found on PATH', {
      hint: 'Install it: `apt-get install -y redis-server redis-sentinel` (Debian/Ubuntu), or put redis-server on PATH.',
      details: { program: 'redis-server', packages: ['redis-server', 'redis-sentinel'] },
    });
  const sentinel = await find('redis-sentinel');
  // Debian's redis-sentinel is the same program as redis-server; `redis-server --sentinel` does the same.
  return {
    server,
    sentinel: sentinel ? { file: sentinel, args: [] } : { file: server, args: ['--sentinel'] },
  };
}
