import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GeoctlError } from '../errors.js';

export const TOPOLOGY_FILE_NAMES = ['geoctl.yaml', 'geoctl.yml'] as const;

const CREATE_HINT =
  'Create geoctl.yaml there (the README\'s "Topology file" section describes the format), ' +
  'or pass --config <file>.';

/** The absolute path of the topology file: the one given (relative to cwd), else geoctl.yaml/.yml in cwd. */
export async function findTopologyFile(path: string | undefined, cwd: string): Promise<string> {
  if (path !== undefined) return checkGiven(resolve(cwd, path), path);
  const found: string[] = [];
  for (const name of TOPOLOGY_FILE_NAMES) {
    if (await isFile(resolve(cwd, name))) found.push(resolve(cwd, name));
  }
  const [only, other] = found;
  if (only !== undefined && other === undefined) return only;
  if (only !== undefined) {
    throw new GeoctlError(
      'E_CONFIG',
      `both geoctl.yaml and geoctl.yml are in ${cwd}; geoctl would not know which to use`,
      {
        hint: 'Remove one of them, or pass --config <file>.',
        details: { looked: found },
      },
    );
  }
  throw new GeoctlError(
    'E_CONFIG',
    `no topology file: looked for ${TOPOLOGY_FILE_NAMES.join(' and ')} in ${cwd}`,
    {
      hint: CREATE_HINT,
      details: { looked: TOPOLOGY_FILE_NAMES.map((name) => resolve(cwd, name)) },
    },
  );
}

async function checkGiven(absolute: string, given: string): Promise<string> {
  if (await isFile(absolute)) return absolute;
  throw new GeoctlError(
    'E_CONFIG',
    `topology file ${given} not found or not a file (looked at ${absolute})`,
    {
      hint: 'Check the --config path; a relative path is taken from the working directory.',
      details: { looked: [absolute] },
    },
  );
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
