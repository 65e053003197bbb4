import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RunRecord } from '../../src/report/run-results.js';
import { runCli, type CliResult } from './cli.js';

/**
 * `geoctl run <args> --out <out>` as a user runs it; every expectation must pass and the run exit 0 (the
 * failures, the output and `context()` make the assertion message). Returns run.json.
 */
export async function runGameDay(
  args: string[],
  env: Record<string, string>,
  out: string,
  timeoutMs: number,
  context: () => Promise<string> = async () => '',
): Promise<{ record: RunRecord; result: CliResult }> {
  const result = await runCli(['run', ...args, '--out', out], env, timeoutMs);
  const record = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunRecord;
  const failed = record.expectations.filter((e) => e.status !== 'pass').map((e) => `${e.text}: ${e.message}`);
  const why =
    failed.length > 0 || result.code !== 0 ? `${result.stdout}\n${result.stderr}${await context()}` : '';
  expect(failed, why).toEqual([]);
  expect(result.code, why).toBe(0);
  return { record, result };
}

/** observations.jsonl of a run directory, one object per line. */
export async function readObservations(out: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(join(out, 'observations.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The failover probe's summary in run.json, as far as the tests read it. */
export interface FailoverSummary {
  failover: {
    seconds: number;
    lastBefore: { ackedAt: number; landedIn: string };
    firstAfter: { ackedAt: number; landedIn: string };
    resolutionMs: number;
    switchedRegion: boolean;
  };
  rpo: {
    lostWrites: number;
    lost: Array<{ seq: number; ackedAt: number }>;
    checkedIn: string;
    unreadable: number;
  };
}

export function failoverSummary(record: RunRecord): FailoverSummary {
  return (record.probes as Record<string, { summary: unknown }>).failover!.summary as FailoverSummary;
}
