import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFormat } from '../../../src/report/formats/registry.js';
import type { LoadedRun, RunObservation } from '../../../src/report/load-run.js';
import type { ExpectationResult, RunRecord } from '../../../src/report/run-results.js';
import { MAX_POINTS, summarizeRun, type RunSummary } from '../../../src/report/summary.js';

const exec = promisify(execFile);
const junitXsd = fileURLToPath(new URL('../../../fixtures/schemas/junit.xsd', import.meta.url));
const HOSTILE = `<script>alert("x")</script> & 'quotes' | pipes \u0001 ✓ 😀`;

/**
 * A synthetic six-hour run far bigger than any test can record: 12 reader regions, 3,000 expectations,
 * 1,500 faults, 50,000 lost writes, 200,000 observations; names full of markup and control characters.
 */
function bigRun(): LoadedRun {
  const start = 1_800_000_000_000;
  const hours = 6 * 3600_000;
  const readers = Array.from({ length: 12 }, (_, i) => `region-${i}`);
  const phases = Array.from({ length: 40 }, (_, i) => ({
    name: `phase-${i}`,
    start: start + (i * hours) / 40,
    end: start + ((i + 1) * hours) / 40,
  }));
  const expectations: ExpectationResult[] = Array.from({ length: 3000 }, (_, i) => ({
    text: `raw.region-${i % 12}.p99 < 800ms during phase-${i % 40} ${HOSTILE} ${'x'.repeat(200)}`,
    metric: `raw.region-${i % 12}.p99`,
    operator: '<',
    threshold: 800,
    unit: 'ms',
    phase: `phase-${i % 40}`,
    measured: 700 + (i % 200),
    resolution: 2,
    status: i % 3 === 0 ? 'fail' : i % 3 === 1 ? 'pass' : 'indeterminate',
    message: `measured something ${HOSTILE}`,
  }));
  const faults: RunRecord['faults'] = Array.from({ length: 1500 }, (_, i) => ({
    id: `f${i}`,
    summary: `partition region-${i % 12} ↔ us-east ${HOSTILE}`,
    kind: i % 2 ? 'partition' : 'latency',
    injectedAt: start + i * 14_000,
    healedAt: start + i * 14_000 + 7_000,
    healedBy: 'timeline (for)',
    proxies: [`p${i}`],
  }));
  const lost = Array.from({ length: 50_000 }, (_, i) => ({
    seq: i * 2 + 1,
    region: 'us-east',
    landedIn: 'us-east',
    sentAt: start + 1000 + i * 100,
    ackedAt: start + 1001 + i * 100,
  }));
  const observations: RunObservation[] = [];
  for (let i = 0; i < 200_000; i++) {
    const at = start + (i / 200_000) * hours;
    const phase = `phase-${Math.floor((i / 200_000) * 40)}`;
    if (i % 4 === 3) {
      observations.push({
        probe: 'failover',
        kind: 'failover',
        type: 'write',
        at,
        phase,
        seq: i,
        region: 'us-east',
        outcome: 'ok',
      });
      continue;
    }
    observations.push({
      probe: 'raw',
      kind: 'raw',
      type: 'visible',
      at,
      phase,
      writer: 'us-east',
      reader: readers[Math.floor(i / 4) % readers.length]!,
      lagMs: (i % 997) * 1.3,
      resolutionMs: 2,
      staleReads: i % 5 === 0 ? 1 : 0,
    });
  }
  const record: RunRecord = {
    version: 1,
    scenario: { name: `big ${HOSTILE}`, file: '/scenarios/big.yaml', description: HOSTILE },
    topology: '/topologies/big.yaml',
    toxiproxy: 'http://admin:s3cret@127.0.0.1:8474',
    startedAt: start,
    endedAt: start + hours,
    phases,
    faults,
    steps: [],
    probes: {
      raw: { kind: 'raw', options: {} },
      failover: {
        kind: 'failover',
        options: {},
        summary: {
          probe: 'failover',
          writes: { ok: 50_000, fail: 10, indeterminate: 3 },
          failover: undefined,
          rpo: {
            lostWrites: lost.length,
            lost,
            spanMs: lost.at(-1)!.ackedAt - lost[0]!.ackedAt,
            indeterminate: 3,
            indeterminateApplied: 1,
            checkedIn: 'eu-west',
            unreadable: 0,
          },
          elapsedMs: hours,
        },
      },
    },
    expectations,
    outcome: {
      status: 'failed',
      exitCode: 3,
      message: `1000 failed ${HOSTILE}`,
      healedOnExit: [],
      leftBehind: [],
    },
  };
  return { dir: '/runs/big', record, observations, tornLastLine: true };
}

let summary: RunSummary;
let dir: string;
beforeAll(async () => {
  summary = summarizeRun(bigRun());
  dir = await mkdtemp(join(tmpdir(), 'geoctl-big-report-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('reports of a very large run', () => {
  it('the model stays bounded: at most 600 points per series, lost sequence numbers capped', () => {
    expect(summary.series.bucketMs).toBeGreaterThanOrEqual((6 * 3600_000) / MAX_POINTS);
    for (const s of [...summary.series.lag, ...summary.series.availability])
      expect(s.points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(summary.visibility.pairs).toHaveLength(12);
    expect(summary.failover[0]!.rpo.lostWrites).toBe(50_000);
    expect(summary.failover[0]!.rpo.lostSeqs).toHaveLength(1000);
    expect(summary.failover[0]!.rpo.lostSeqsTruncated).toBe(true);
    expect(summary.series.availability[0]!.points.reduce((n, p) => n + p.lost, 0)).toBe(50_000);
    expect(summary.toxiproxy).not.toContain('s3cret');
    expect(JSON.stringify(summary)).not.toContain('s3cret');
  });

  it('md stays far below the 1 MiB step-summary limit, expectations first, the rest counted', async () => {
    const md = await (await loadFormat('md')).render(summary);
    expect(Buffer.byteLength(md)).toBeLessThan(1024 * 1024);
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(256 * 1024);
    expect(md.indexOf('### Expectations')).toBeGreaterThan(0);
    expect(md).toMatch(/more expectations; `geoctl report --format json` has them all/);
    expect(md).not.toContain('<script>');
    // Failed expectations come first.
    const firstRow = md
      .split('\n')
      .find((l) => l.startsWith('| ❌') || l.startsWith('| ✅') || l.startsWith('| ⚠️'))!;
    expect(firstRow.startsWith('| ❌ FAIL')).toBe(true);
  });

  it('junit escapes markup, quotes and control characters and still validates', async () => {
    const xml = await (await loadFormat('junit')).render(summary);
    const file = join(dir, 'big.xml');
    await writeFile(file, xml);
    await exec('xmllint', ['--noout', '--schema', junitXsd, file], { maxBuffer: 64 * 1024 * 1024 });
    const { stdout } = await exec('xmllint', ['--xpath', 'string(//testcase[1]/@name)', file], {
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout.replace(/\n$/, '')).toBe(summary.expectations[0]!.text.replace('\u0001', ''));
    expect(xml.match(/<testcase /g)).toHaveLength(3000);
    expect(xml.match(/<failure /g)).toHaveLength(1000);
    expect(xml.match(/<error type="indeterminate"/g)).toHaveLength(1000);
  });

  it('html escapes everything and shows no credentials', async () => {
    const html = await (await loadFormat('html')).render(summary);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('s3cret');
    expect(Buffer.byteLength(html)).toBeLessThan(8 * 1024 * 1024);
  });
});
