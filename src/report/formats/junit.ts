import type { ExpectationReport, RunSummary } from '../summary.js';
import { isoTime, measuredText, resolutionText, thresholdText } from './common.js';
import type { ReportFormat } from './format.js';

/**
 * JUnit XML (the Ant/Jenkins dialect every CI reads; fixtures/schemas/junit.xsd): one testsuite for the
 * run, one testcase per expectation. A failed expectation is a <failure> whose message has the measured
 * value and the threshold; an indeterminate one is an <error> (the gate could not be decided, and
 * `geoctl run` exits 4 for it: CI must not show it green). A run that did not complete (a probe or hook
 * failed, it was interrupted, or faults were left behind) adds one more testcase, in error.
 */
function render(s: RunSummary): string {
  const cases = s.expectations.map((e) => testcase(s, e));
  const incomplete =
    s.outcome.status === 'error' || s.outcome.status === 'interrupted' || s.outcome.leftBehind.length > 0;
  if (incomplete)
    cases.push(
      `    <testcase classname="${attr(classname(s, null))}" name="the run completed and healed every fault" time="${seconds(s.durationMs)}">\n` +
        `      <error type="${attr(s.outcome.status)}" message="${attr(s.outcome.message)}">${text(s.outcome.message)}</error>\n` +
        '    </testcase>',
    );
  const failures = s.counts.fail;
  const errors = s.counts.indeterminate + (incomplete ? 1 : 0);
  const tests = cases.length;
  const time = seconds(s.durationMs);
  const properties = [
    ['scenario.file', s.scenario.file],
    ['topology', s.topology],
    ['outcome', s.outcome.status],
    ['exitCode', String(s.outcome.exitCode)],
    ...s.faults.map((f) => [`fault.${f.id}`, f.summary]),
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="geoctl" tests="${tests}" failures="${failures}" errors="${errors}" time="${time}">`,
    `  <testsuite name="${attr(s.scenario.name)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="0" time="${time}" timestamp="${isoTime(s.startedAt).slice(0, 19)}" hostname="localhost" id="0" package="geoctl">`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property name="${attr(name!)}" value="${attr(value!)}"/>`),
    '    </properties>',
    ...cases,
    `    <system-out>${text(s.outcome.message)}</system-out>`,
    '    <system-err></system-err>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function testcase(s: RunSummary, e: ExpectationReport): string {
  const phase = e.phase === null ? undefined : s.phases.find((p) => p.name === e.phase);
  const open = `    <testcase classname="${attr(classname(s, e.phase))}" name="${attr(e.text)}" time="${seconds(phase?.durationMs ?? s.durationMs)}"`;
  if (e.status === 'pass') return `${open}/>`;
  const resolution = resolutionText(e);
  const figures = `measured ${measuredText(e)}${resolution ? ` (${resolution})` : ''}, threshold ${thresholdText(e)}`;
  const detail = [
    `${e.metric} ${figures}${e.phase ? ` during ${e.phase}` : ''}`,
    `measured=${e.measured ?? 'none'} threshold=${e.threshold} unit=${e.unit}${e.resolution === null ? '' : ` resolution=${e.resolution}`}`,
    e.message,
  ].join('\n');
  const element =
    e.status === 'fail'
      ? `      <failure type="expectation" message="${attr(`${e.metric} ${figures}`)}">${text(detail)}</failure>`
      : `      <error type="indeterminate" message="${attr(`indeterminate: ${e.message}`)}">${text(detail)}</error>`;
  return `${open}>\n${element}\n    </testcase>`;
}

function classname(s: RunSummary, phase: string | null): string {
  const safe = (t: string): string => t.replace(/[^A-Za-z0-9_-]+/g, '_');
  return `geoctl.${safe(s.scenario.name)}${phase ? `.${safe(phase)}` : ''}`;
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** XML 1.0 allows neither most control characters nor lone surrogates, even escaped: drop them. */
function clean(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    const allowed =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      (c >= 0x10000 && c <= 0x10ffff);
    if (allowed) out += ch;
  }
  return out;
}

function text(value: string): string {
  return clean(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

const format: ReportFormat = {
  name: 'junit',
  description: 'JUnit XML for CI: one testcase per expectation',
  extension: 'xml',
  render,
};
export default format;
