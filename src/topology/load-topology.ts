import { readFile } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { GeoctlError } from '../errors.js';
import { checkStoreOptions } from '../stores/open-store.js';
import { buildTopology } from './build-topology.js';
import { checkTopology } from './check-topology.js';
import { findTopologyFile } from './find-topology-file.js';
import { formatProblem, ProblemList } from './problems.js';
import { readTopology } from './read-topology.js';
import { addSyntaxErrors } from './syntax-errors.js';
import type { Topology } from './topology.js';
import { FieldReader } from './yaml-fields.js';

export interface LoadTopologyOptions {
  /** The `--config` value; without it, geoctl.yaml (or geoctl.yml) in cwd. */
  path?: string;
  cwd?: string;
  /** For `${VAR}` substitution; tests pass their own so they never depend on the real environment. */
  env?: NodeJS.ProcessEnv;
  /**
   * `required` (default): a problem in `store:` is an error now. `deferred`: for commands that never open
   * the store (deploy, the faults, heal, status, teardown), it is kept for openStore to throw, so a store
   * secret missing from the environment cannot stop anyone from healing.
   */
  store?: 'required' | 'deferred';
}

/**
 * Finds, parses and validates the topology file. Every problem in the file is reported in one E_CONFIG
 * error, one `file:line:col path: message` per line, and as `details.problems` for `--json`.
 */
export async function loadTopology(options: LoadTopologyOptions = {}): Promise<Topology> {
  const cwd = options.cwd ?? process.cwd();
  const file = await findTopologyFile(options.path, cwd);
  const source = await readSource(file);
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const problems = new ProblemList(displayName(file, cwd), lines);
  // After a syntax error the tree is a guess; checking it would bury the real error under made-up ones.
  addSyntaxErrors(doc.errors, source, lines, problems);
  if (problems.size > 0) throw configError(file, problems);
  const reader = new FieldReader(doc, problems, options.env ?? process.env);
  const draft = readTopology(doc, reader);
  const regionOf = checkTopology(draft, reader);
  const deferStore = options.store === 'deferred' && draft.store !== undefined;
  const storeProblems = new ProblemList(displayName(file, cwd), lines);
  if (deferStore) storeProblems.addProblems(problems.takeUnder('store'));
  if (problems.size > 0) throw configError(file, problems);
  const topology = buildTopology(file, draft, regionOf);
  if (topology.store) {
    const sink = deferStore ? storeProblems : problems;
    if (storeProblems.size === 0) {
      for (const problem of checkStoreOptions(topology)) {
        let message = problem.message;
        for (const [value, raw] of topology.store.asWritten ?? [])
          if (value !== '') message = message.replaceAll(value, raw);
        const at = problem.atKey ? topology.store.offsets.get(`${problem.path}:key`) : undefined;
        sink.add(at ?? nearestOffset(topology.store.offsets, problem.path), problem.path, message);
      }
    }
    if (problems.size > 0) throw configError(file, problems);
    if (storeProblems.size > 0) topology.store.deferredError = configError(file, storeProblems);
  }
  return topology;
}

async function readSource(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GeoctlError('E_CONFIG', `cannot read topology file ${file}: ${reason}`, { cause: error });
  }
}

/** Messages name the file as the user would type it: relative when it is under cwd. */
function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function configError(file: string, problems: ProblemList): GeoctlError {
  const list = problems.sorted();
  const count = list.length === 1 ? '1 problem' : `${list.length} problems`;
  return new GeoctlError('E_CONFIG', list.map(formatProblem).join('\n'), {
    hint: `Fix the ${count} above in ${file}; every problem found is listed.`,
    details: { file, problems: list },
  });
}

/** The offset of `path`, or of its closest ancestor the file has (a missing key is reported at its map). */
function nearestOffset(offsets: Map<string, number>, path: string): number {
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const offset = offsets.get(p);
    if (offset !== undefined) return offset;
  }
  return 0;
}
