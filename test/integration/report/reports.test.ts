import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measure, ms } from '../../../src/report/figures.js';
import type { RunSummary } from '../../../src/report/summary.js';
import type { FailoverSummary } from '../../../src/probes/failover-probe.js';
import type { LagSummary } from '../../../src/probes/lag-probe.js';
import type { RawSummary } from '../../../src/probes/raw-probe.js';
import { killAllCli, runCli } from '../../helpers/cli.js';
import { validateJson } from '../../helpers/json-schema.js';
import { recordRun, type RecordedRun } from '../../helpers/recorded-run.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const junitXsd = join(root, 'fixtures/schemas/junit.xsd');
const reportSchema = join(root, 'docs/report-schema.json');

let work: string;
/** fixture-partition.yaml: latency then a partition between us-east and eu-west, active-active. */
let partition: RecordedRun;
/** demo-failover.yaml: a primary cut off keeps acknowledging; the failover loses those writes. */
let failover: RecordedRun;
let partitionSummary: RunSummary;
let failoverSummary: RunSummary;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'geoctl-report-'));
  // Both game days at once, each on its own embedded Toxiproxy and fixture store.
  [partition, failover] = await Promise.all([
    recordRun({
      workDir: work,
      name: 'partition',
      scenario: 'fixture-partition.yaml',
      kv: { mode: 'active-active', batchMs: 0 },
    }),
    recordRun({
      workDir: work,
      name: 'failover',
      scenario: 'demo-failover.yaml',
      kv: { mode: 'primary', primary: 'us-east', batchMs: 5, failoverAfterMs: 1_500 },
      links: [
        ['eu-west', 'us-east'],
        ['ap-south', 'us-east'],
        ['ap-south', 'eu-west'],
      ],
    }),
  ]);
  [partitionSummary, failoverSummary] = await Promise.all([summaryOf(partition), summaryOf(failover)]);
}, 90_000);

afterAll(async () => {
  killAllCli();
  if (work) await rm(work, { recursive: true, force: true });
});

async function report(dir: string, ...args: string[]): Promise<string> {
  const result = await runCli(['report', dir, ...args]);
  expect(result.stderr).not.toContain('    at ');
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

async function summaryOf(run: RecordedRun): Promise<RunSummary> {
  const result = await runCli(['report', run.dir, '--json']);
  if (result.code !== 0) throw new Error(`geoctl report --json exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as RunSummary;
}

describe('the recorded runs', () => {
  it('ran as the scenarios intend, and `geoctl run` left report.html and report.md beside the results', async () => {
    expect(partition.run.stderr).not.toContain('    at ');
    expect(partition.record.outcome.leftBehind).toEqual([]);
    expect(partition.record.faults.map((f) => f.healedAt !== undefined)).toEqual([true, true]);
    const rpo = failover.record.expectations.find((e) => e.metric === 'rpo.lost_writes')!;
    expect(rpo.status).toBe('fail');
    expect(rpo.measured!).toBeGreaterThan(0);
    for (const run of [partition, failover]) {
      expect(run.run.code).toBe(run.record.outcome.exitCode);
      for (const file of ['report.html', 'report.md']) {
        expect((await stat(join(run.dir, file))).size).toBeGreaterThan(500);
        expect(run.run.stdout).toContain(join(run.dir, file));
      }
    }
  });
});

describe('geoctl report', () => {
  it('json: the summary document follows docs/report-schema.json and agrees with the probes and run.json', async () => {
    const schema = JSON.parse(await readFile(reportSchema, 'utf8')) as Record<string, unknown>;
    const summary = partitionSummary;
    expect(validateJson(schema, summary)).toEqual([]);
    expect(JSON.parse(await report(partition.dir, '--format', 'json'))).toEqual(summary);
    // Expectations exactly as run.json has them.
    expect(summary.expectations.map((e) => [e.text, e.status, e.measured])).toEqual(
      partition.record.expectations.map((e) => [e.text, e.status, e.measured ?? null]),
    );
    // Percentiles per pair from the observations equal the probes' own histograms.
    const raw = partition.record.probes.raw!.summary as RawSummary;
    for (const pair of raw.pairs) {
      const mine = summary.visibility.pairs.find(
        (p) => p.writer === pair.writer && p.reader === pair.reader,
      )!;
      expect(mine.checked).toBe(pair.checked);
      expect(mine.neverSeen).toBe(pair.neverSeen);
      expect(mine.staleReads).toBe(pair.staleReads);
      expect([mine.lag.count, mine.lag.p50, mine.lag.p90, mine.lag.p99, mine.lag.max]).toEqual([
        pair.lagFromAck.count,
        pair.lagFromAck.p50,
        pair.lagFromAck.p90,
        pair.lagFromAck.p99,
        pair.lagFromAck.max,
      ]);
    }
    const lag = partition.record.probes.lag!.summary as LagSummary;
    for (const pair of lag.pairs) {
      const mine = summary.heartbeat.pairs.find((p) => p.writer === pair.writer && p.reader === pair.reader)!;
      expect([mine.lag.count, mine.lag.p50, mine.lag.p99]).toEqual([
        pair.delay.count,
        pair.delay.p50,
        pair.delay.p99,
      ]);
    }
    // The latency phase's p50 is the expectation's measured value, and shows the 150 ms of latency (the
    // midpoint estimate reads low on a loaded machine, within its resolution).
    const during = summary.visibility.pairs
      .find((p) => p.reader === 'eu-west')!
      .byPhase.find((p) => p.phase === 'latency')!;
    const expectation = summary.expectations.find((e) => e.text.startsWith('raw.eu-west.p50'))!;
    expect(during.lag.p50).toBeCloseTo(expectation.measured!, 2);
    expect(during.lag.p50!).toBeGreaterThan(100);
    const baseline = summary.visibility.pairs.find((p) => p.reader === 'eu-west')!.byPhase[0]!;
    expect(baseline.lag.p50!).toBeLessThan(50);
    // Time series stay within 600 points; faults and phases as recorded.
    for (const s of summary.series.lag) expect(s.points.length).toBeLessThanOrEqual(600);
    expect(summary.faults.map((f) => f.kind)).toEqual(['latency', 'partition']);
    expect(summary.phases.map((p) => p.name)).toEqual(['baseline', 'latency', 'partition', 'recovery']);
    expect(summary.divergence[0]!.episodes.length).toBeGreaterThan(0);
  });

  it('json: the failover run has its failover time, RPO and lost writes from the probe', async () => {
    const schema = JSON.parse(await readFile(reportSchema, 'utf8')) as Record<string, unknown>;
    const summary = failoverSummary;
    expect(validateJson(schema, summary)).toEqual([]);
    const probe = failover.record.probes.failover!.summary as FailoverSummary;
    const f = summary.failover[0]!;
    expect(f.rpo.lostWrites).toBe(probe.rpo.lostWrites);
    expect(f.rpo.lostSeqs).toEqual(probe.rpo.lost.map((l) => l.seq));
    expect(f.rpo.indeterminate).toBe(probe.rpo.indeterminate);
    expect(f.failover!.durationMs).toBeCloseTo(probe.failover!.seconds * 1000, 2);
    const lostInSeries = summary.series.availability[0]!.points.reduce((n, p) => n + p.lost, 0);
    expect(lostInSeries).toBe(probe.rpo.lostWrites);
  });

  it('table (the default): every expectation with its measured value, and lag percentiles per pair', async () => {
    const outputs = await Promise.all([report(partition.dir), report(failover.dir)]);
    for (const [i, run] of [partition, failover].entries()) {
      const out = outputs[i]!;
      const summary = i === 0 ? partitionSummary : failoverSummary;
      for (const e of run.record.expectations) {
        const line = out.split('\n').find((l) => l.includes(e.text))!;
        expect(line, e.text).toBeDefined();
        expect(line).toContain(e.status === 'pass' ? 'PASS' : e.status === 'fail' ? 'FAIL' : 'INDETERMINATE');
        expect(line).toContain(measure(e.measured, e.unit));
      }
      for (const p of summary.visibility.pairs) {
        const line = out
          .split('\n')
          .find((l) => l.includes(`${p.writer} → ${p.reader}`) && l.includes('visibility'))!;
        expect(line).toContain(ms(p.lag.p50!));
        expect(line).toContain(ms(p.lag.p99!));
      }
    }
    const out = outputs[1]!;
    const probe = failover.record.probes.failover!.summary as FailoverSummary;
    expect(out).toContain(`${probe.rpo.lostWrites} acknowledged writes lost`);
  });

  it('md: expectations first, the measured values, and small enough for $GITHUB_STEP_SUMMARY', async () => {
    const md = await report(failover.dir, '--format', 'md');
    expect(md.startsWith('## ❌ geoctl run demo-failover: FAILED')).toBe(true);
    expect(md.indexOf('### Expectations')).toBeLessThan(md.indexOf('### Timeline'));
    expect(md.indexOf('### Expectations')).toBeLessThan(md.indexOf('### Failover and RPO'));
    for (const e of failover.record.expectations) {
      const row = md.split('\n').find((l) => l.includes(e.text.replace(/</g, '&lt;')))!;
      expect(row, e.text).toBeDefined();
      expect(row).toContain(measure(e.measured, e.unit));
    }
    expect(Buffer.byteLength(md)).toBeLessThan(64 * 1024);
    expect(await readFile(join(failover.dir, 'report.md'), 'utf8')).toBe(md);
  });

  it('junit: valid against the JUnit schema, one testcase per expectation, failures with value and threshold', async () => {
    const xmlFiles = [join(work, 'partition.xml'), join(work, 'failover.xml')];
    await Promise.all([
      report(partition.dir, '--format', 'junit', '--output', xmlFiles[0]!),
      report(failover.dir, '--format', 'junit', '--output', xmlFiles[1]!),
    ]);
    for (const [i, run] of [partition, failover].entries()) {
      const file = xmlFiles[i]!;
      await exec('xmllint', ['--noout', '--schema', junitXsd, file]);
      const xml = await readFile(file, 'utf8');
      const cases = [...xml.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => unescapeXml(m[1]!));
      expect(cases).toEqual(run.record.expectations.map((e) => e.text));
      const failed = run.record.expectations.filter((e) => e.status === 'fail');
      expect([...xml.matchAll(/<failure /g)]).toHaveLength(failed.length);
      expect(xml).toContain(`failures="${failed.length}"`);
      for (const e of failed) {
        const message = new RegExp(`<failure type="expectation" message="([^"]*)"`).exec(
          xml.slice(xml.indexOf(`name="${escapeXml(e.text)}"`)),
        )![1]!;
        expect(unescapeXml(message)).toContain(`measured ${measure(e.measured, e.unit)}`);
        expect(unescapeXml(message)).toContain(`threshold ${e.operator} ${measure(e.threshold, e.unit)}`);
      }
    }
    // The failover run's RPO gate fails; a schema that rejects the output would fail the test above.
    expect(failover.record.expectations.some((e) => e.status === 'fail')).toBe(true);
  });

  it('html: one self-contained file; Chromium renders the charts with the fault windows, the failover gap and the lost writes', async () => {
    const files = [join(work, 'partition.html'), join(work, 'failover.html')];
    await Promise.all([
      report(partition.dir, '--format', 'html', '--output', files[0]!),
      report(failover.dir, '--format', 'html', '--output', files[1]!),
    ]);
    for (const file of files) {
      const html = await readFile(file, 'utf8');
      // Nothing fetched: no script, no stylesheet link, no src/href/url() pointing anywhere.
      expect(html).not.toMatch(/<script|<link|<img|<iframe|@import/i);
      expect(html).not.toMatch(/\b(?:src|href|xlink:href)\s*=/i);
      expect(html).not.toMatch(/url\(/i);
      expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    }
    const [partitionFile, failoverFile] = files as [string, string];

    // The partition run's charts: every lag and divergence chart shades both faults and labels them.
    const html = await readFile(partitionFile, 'utf8');
    const charts = partitionSummary.series.lag.length + partitionSummary.series.divergence.length;
    expect(html.match(/<svg class="chart"/g)!.length).toBe(charts);
    for (const fault of partitionSummary.faults) {
      expect(html.match(new RegExp(`<rect class="fault-window fault-${fault.kind}"`, 'g'))!.length).toBe(
        charts,
      );
      expect(html).toContain(`>${escapeXml(fault.summary)}</text>`);
    }

    // The failover run as Chromium renders it: the DOM, and a screenshot that is not blank.
    const png = join(work, 'failover.png');
    const [dom] = await Promise.all([
      chromium(['--dump-dom', `file://${failoverFile}`]),
      chromium([`--screenshot=${png}`, '--window-size=1280,2000', `file://${failoverFile}`]),
    ]);
    const expectedCharts =
      failoverSummary.series.lag.length +
      failoverSummary.series.availability.length +
      failoverSummary.series.divergence.length;
    expect(dom.match(/<svg class="chart"/g)!.length).toBe(expectedCharts);
    for (const fault of failoverSummary.faults) {
      expect(dom).toContain(`<rect class="fault-window fault-${fault.kind}"`);
      expect(dom).toContain(`<text class="band-label"`);
      expect(dom).toContain(`>${escapeXml(fault.summary)}</text>`);
    }
    for (const phase of failoverSummary.phases) expect(dom).toContain(`>${phase.name}</text>`);
    const lost = failover.record.expectations.find((e) => e.metric === 'rpo.lost_writes')!.measured!;
    expect(dom).toContain('<rect class="failover-gap"');
    expect(dom).toMatch(/<text class="band-label"[^>]*>failover \d/);
    expect(dom).toContain('<rect class="lost-writes"');
    expect(dom).toContain(`>${lost} lost writes</text>`);
    expect(dom).toContain('class="lost-write-mark"');

    const image = await readFile(png);
    expect(image.subarray(1, 4).toString()).toBe('PNG');
    // A blank 1280×2000 page compresses to a few KiB; text, tables and charts do not.
    expect(image.length).toBeGreaterThan(40_000);
    expect(new Set(image.subarray(0, 100_000)).size).toBeGreaterThan(200);
  }, 60_000);

  it('a directory that is not a recorded run: a clear E_INVALID_VALUE, exit 2, no stack trace', async () => {
    const [missing, json, badFormat] = await Promise.all([
      runCli(['report', join(work, 'nope')]),
      runCli(['report', work, '--json']),
      runCli(['report', partition.dir, '--format', 'pdf']),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope: no such directory/);
    expect(missing.stderr).not.toContain('    at ');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'E_INVALID_VALUE' }, exitCode: 2 });
    expect((JSON.parse(json.stdout) as { error: { message: string } }).error.message).toMatch(
      /has no run\.json/,
    );
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/table, md, junit, html, json/);
  });
});

async function chromium(args: string[]): Promise<string> {
  const { stdout } = await exec(
    '/usr/bin/chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', ...args],
    { timeout: 45_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
