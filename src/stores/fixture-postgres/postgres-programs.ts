import { constants } from 'node:fs';
import { access, readdir, readFile, realpath } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { GeoctlError } from '../../errors.js';

export interface PostgresPrograms {
  dir: string;
  initdb: string;
  pgCtl: string;
  postgres: string;
  pgBasebackup: string;
}

const NAMES = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup'] as const;

async function executable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/**
 * PostgreSQL's server programs, all from one directory: Debian's /usr/lib/postgresql/<newest>/bin first (they
 * are not on PATH there), then the directory a `pg_ctl` on PATH really lives in (a /usr/local/bin link is
 * followed, so initdb finds its `postgres`). E_MISSING_PROGRAM naming the package when none has them all.
 */
export async function findPostgresPrograms(
  env: NodeJS.ProcessEnv = process.env,
  /** Where Debian keeps one bin/ per major version. */
  libDir = '/usr/lib/postgresql',
): Promise<PostgresPrograms> {
  const candidates: string[] = [];
  const versions = await readdir(libDir).catch(() => [] as string[]);
  versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .forEach((v) => candidates.push(join(libDir, v, 'bin')));
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d !== '')) {
    if (await executable(join(dir, 'pg_ctl')))
      candidates.push(dirname(await realpath(join(dir, 'pg_ctl')).catch(() => join(dir, 'pg_ctl'))));
  }
  for (const dir of candidates) {
    const found = await Promise.all(NAMES.map((name) => executable(join(dir, name))));
    if (found.every(Boolean))
      return {
        dir,
        initdb: join(dir, 'initdb'),
        pgCtl: join(dir, 'pg_ctl'),
        postgres: join(dir, 'postgres'),
        pgBasebackup: join(dir, 'pg_basebackup'),
      };
  }
  throw new GeoctlError(
    'E_MISSING_PROGRAM',
    `PostgreSQL's server programs (${NAMES.join(', ')}) were not found under /usr/lib/postgresql/*/bin or on PATH`,
    {
      hint: 'Install them: `apt-get install -y postgresql` (Debian/Ubuntu; its own service need not run), or put their directory on PATH.',
      details: { programs: [...NAMES], packages: ['postgresql'] },
    },
  );
}

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

/** Root cannot run PostgreSQL: as root, the servers run as the `postgres` user (the package creates it). */
export async function postgresUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = passwd.split('\n').find((line) => line.startsWith('postgres:'));
  const [, , uid, gid] = entry?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new GeoctlError(
      'E_MISSING_PROGRAM',
      'running as root, and there is no `postgres` user to run PostgreSQL as',
      {
        hint: '`apt-get install -y postgresql` creates it; or run geoctl as an ordinary user.',
        details: { packages: ['postgresql'] },
      },
    );
  return { user: 'postgres', uid: Number(uid), gid: Number(gid) };
}
