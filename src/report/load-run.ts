import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { GeoctlError } from '../errors.js';
import { RUN_RECORD_VERSION, type RunRecord } from './run-results.js';

export const RUN_FILE = 'run.json';
export const OBSERVATIONS_FILE = 'observations.jsonl';

/** One line of observations.jsonl: a probe observation tagged by `geoctl run` (see run-results.ts). */
export interface RunObservation {
  /** The probe's name in the scenario. */
  probe: string;
  /** raw, lag, divergence, conflict or failover (absent in files written by `geoctl probe --out`). */
  kind?: string | undefined;
  type: string;
  /** Epoch ms. */
  at: number;
  /** The phase the run was in when it was observed, if any. */
  phase?: string | undefined;
  [field: string]: unknown;
}

export interface LoadedRun {
  /** The run directory, absolute. */
  dir: string;
  record: RunRecord;
  observations: RunObservation[];
  /** The last line of observations.jsonl was cut off (geoctl stopped while writing it) and was skipped. */
  tornLastLine: boolean;
}

const HINT = 'Give the directory `geoctl run --out` wrote: it holds run.json and observations.jsonl.';

/**
 * Reads a recorded run: run.json, and observations.jsonl line by line (a run of hours can have millions
 * of lines; they are never read as one string). A torn last line is skipped: geoctl may have been killed
 * while writing it. Anything else that is not a geoctl run is a clear error naming the file.
 */
export async function loadRun(path: string): Promise<LoadedRun> {
  const dir = await runDirectory(path);
  const record = await readRecord(join(dir, RUN_FILE));
  const { observations, tornLastLine } = await readObservations(join(dir, OBSERVATIONS_FILE));
  return { dir, record, observations, tornLastLine };
}

/** The run directory for a directory or for its run.json. */
async function runDirectory(path: string): Promise<string> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info)
    throw new GeoctlError('E_INVALID_VALUE', `${path}: no such directory`, {
      hint: HINT,
      details: { dir: path },
    });
  if (info.isDirectory()) return absolute;
  if (basename(absolute) === RUN_FILE) return dirname(absolute);
  throw new GeoctlError('E_INVALID_VALUE', `${path} is a file, not a run directory`, {
    hint: HINT,
    details: { dir: path },
  });
}

async function readRecord(file: string): Promise<RunRecord> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GeoctlError(
      'E_INVALID_VALUE',
      missing
        ? `${dirname(file)} is not a geoctl run: it has no ${RUN_FILE}`
        : `${file}: cannot read it: ${(error as Error).message}`,
      { hint: HINT, details: { file } },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new GeoctlError('E_CONFIG', `${file} is not valid JSON: ${(error as Error).message}`, {
      hint: 'run.json is rewritten whole after every step; a cut-off file means the run was killed mid-write.',
      details: { file },
    });
  }
  const problem = recordProblem(value);
  if (problem)
    throw new GeoctlError('E_CONFIG', `${file} is not a geoctl run record: ${problem}`, {
      hint: HINT,
      details: { file },
    });
  return value as RunRecord;
}

function recordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'it is not a JSON object';
  if (typeof value.version !== 'number') return 'it has no "version"';
  if (value.version > RUN_RECORD_VERSION)
    return `it is version ${value.version}, written by a newer geoctl (this one reads version ${RUN_RECORD_VERSION})`;
  if (!isObject(value.scenario) || typeof value.scenario.name !== 'string')
    return 'it has no "scenario.name"';
  for (const key of ['startedAt', 'endedAt'] as const)
    if (typeof value[key] !== 'number') return `"${key}" is not a number`;
  for (const key of ['phases', 'faults', 'steps', 'expectations'] as const)
    if (!Array.isArray(value[key])) return `"${key}" is not a list`;
  if (!isObject(value.probes)) return '"probes" is not an object';
  if (!isObject(value.outcome) || typeof value.outcome.status !== 'string')
    return 'it has no "outcome.status"';
  return undefined;
}

async function readObservations(
  file: string,
): Promise<{ observations: RunObservation[]; tornLastLine: boolean }> {
  // A device or a pipe (observations written to /dev/full, say) could be read forever: files only.
  const info = await stat(file).catch(() => undefined);
  if (info && !info.isFile())
    throw new GeoctlError('E_INVALID_VALUE', `${file} is not a regular file`, {
      hint: HINT,
      details: { file },
    });
  const stream = createReadStream(file, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) =>
    stream.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new GeoctlError(
          'E_INVALID_VALUE',
          error.code === 'ENOENT'
            ? `${dirname(file)} is not a complete geoctl run: it has ${RUN_FILE} but no ${OBSERVATIONS_FILE}`
            : `${file}: cannot read it: ${error.message}`,
          { hint: HINT, details: { file } },
        ),
      ),
    ),
  );
  failed.catch(() => undefined);
  const observations: RunObservation[] = [];
  // A line that does not parse is an error unless it turns out to be the last one.
  let pending: { line: number; message: string } | undefined;
  let lineNumber = 0;
  const reading = (async () => {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      lineNumber += 1;
      if (pending) throw badLine(file, pending);
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        pending = { line: lineNumber, message: (error as Error).message };
        continue;
      }
      if (!isObservation(value))
        throw badLine(file, {
          line: lineNumber,
          message: 'not a probe observation (it needs "probe", "type" and "at")',
        });
      observations.push(value);
    }
  })();
  await Promise.race([reading, failed]);
  return { observations, tornLastLine: pending !== undefined };
}

function badLine(file: string, at: { line: number; message: string }): GeoctlError {
  return new GeoctlError('E_CONFIG', `${file}:${at.line}: ${at.message}`, {
    hint: 'observations.jsonl holds one JSON observation per line, as `geoctl run` writes it.',
    details: { file, line: at.line },
  });
}

function isObservation(value: unknown): value is RunObservation {
  return (
    isObject(value) &&
    typeof value.probe === 'string' &&
    typeof value.type === 'string' &&
    typeof value.at === 'number'
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
