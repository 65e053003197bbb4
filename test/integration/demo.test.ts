import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/report/run-results.js';
import { killAllCli, runCli } from '../helpers/cli.js';

let dir: string | undefined;
afterEach(async () => {
  killAllCli();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('geoctl demo', () => {
  it('runs both game days on nothing but geoctl, shows the partition and the lost writes, and leaves nothing running', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geoctl-demo-'));
    const out = join(dir, 'demo');
    const result = await runCli(['demo', '--out', out], { GEOCTL_STATE_DIR: dir }, 150_000);
    expect(result.stderr).not.toContain('    at ');
    expect(result.code, result.stderr).toBe(0);
    const part1 = JSON.parse(await readFile(join(out, '1-active-active', 'run.json'), 'utf8')) as RunRecord;
    const part2 = JSON.parse(await readFile(join(out, '2-failover', 'run.json'), 'utf8')) as RunRecord;
    // The partition of eu-west shows in its lag and heals with convergence; nothing left injected.
    const byText = (r: RunRecord, start: string) => r.expectations.find((e) => e.text.startsWith(start))!;
    expect(byText(part1, 'raw.eu-west.p50 >= 190ms').status).toBe('pass');
    expect(byText(part1, 'divergence.converged_within').status).toBe('pass');
    expect(part1.outcome.leftBehind).toEqual([]);
    // The failover loses acknowledged writes, and the RPO expectation says so.
    const rpo = byText(part2, 'rpo.lost_writes');
    expect(rpo.status).toBe('fail');
    expect(rpo.measured!).toBeGreaterThan(0);
    expect(part2.outcome.leftBehind).toEqual([]);
    expect(result.stdout).toMatch(new RegExp(`The failover lost ${rpo.measured} acknowledged writes`));
    expect(result.stdout).toContain('Everything the demo started is stopped');
    // Each game day left its reports, and the demo says where they are and what to try next.
    for (const part of ['1-active-active', '2-failover']) {
      for (const file of ['report.html', 'report.md']) expect(result.stdout).toContain(join(out, part, file));
    }
    expect(result.stdout).toContain(`geoctl report ${join(out, '2-failover')} --format junit`);
    const html1 = await readFile(join(out, '1-active-active', 'report.html'), 'utf8');
    const partition = part1.faults.find((f) => f.kind === 'partition')!;
    expect(html1).toMatch(/<rect class="fault-window fault-partition"/);
    expect(html1).toContain(`>${partition.summary.replace(/&/g, '&amp;')}</text>`);
    const html2 = await readFile(join(out, '2-failover', 'report.html'), 'utf8');
    expect(html2).toContain('<rect class="failover-gap"');
    expect(html2).toContain(`>${rpo.measured} lost writes</text>`);
    const md2 = await readFile(join(out, '2-failover', 'report.md'), 'utf8');
    expect(md2).toMatch(new RegExp(`rpo\\.lost_writes == 0 \\| ${rpo.measured} \\|`));
  }, 180_000);
});
