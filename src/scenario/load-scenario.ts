import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { parseDuration } from '../chaos/faults/duration.js';
import { PARTITION_MODES } from '../chaos/faults/fault.js';
import { parseRate } from '../chaos/faults/rate.js';
import { GeoctlError } from '../errors.js';
import { didYouMean } from '../topology/did-you-mean.js';
import { formatProblem, ProblemList } from '../topology/problems.js';
import { addSyntaxErrors } from '../topology/syntax-errors.js';
import { FieldReader } from '../topology/yaml-fields.js';
import { findMetric } from './expectation-metrics.js';
import { parseExpectation } from './parse-expectation.js';
import {
  PROBE_KINDS,
  type Expectation,
  type FaultSpec,
  type ProbeKind,
  type ProbeSpec,
  type Scenario,
  type Step,
} from './scenario.js';

const TOP_KEYS = ['name', 'description', 'topology', 'probes', 'timeline', 'expect'];
const COMMON_PROBE_KEYS = ['kind', 'writer', 'region', 'timeout'];
const PROBE_KEYS: Record<ProbeKind, string[]> = {
  raw: ['rate', 'concurrency', 'poll', 'visibility-timeout'],
  lag: ['interval', 'poll'],
  divergence: ['keys', 'rate', 'check'],
  conflict: ['rate', 'concurrency', 'converge-timeout', 'poll'],
  failover: ['interval', 'settle'],
};
const DURATION_OPTIONS = [
  'timeout',
  'poll',
  'visibility-timeout',
  'interval',
  'check',
  'converge-timeout',
  'settle',
];
const INTEGER_OPTIONS = ['rate', 'concurrency', 'keys'];
const STEP_KINDS = ['phase', 'wait', 'fault', 'heal', 'run'];
const FAULT_KINDS = ['partition', 'isolate', 'latency', 'bandwidth'];

/**
 * Reads and checks a scenario file completely before anything runs: every problem is reported at once with
 * file:line:col, the path in the file and what was expected. Region names are checked against the topology
 * by `checkRegions` once it is loaded.
 */
export async function loadScenario(
  path: string,
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<Scenario> {
  const file = resolve(cwd, path);
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new GeoctlError('E_CONFIG', `cannot read scenario file ${file}: ${(error as Error).message}`, {
      hint: 'Pass the path of a scenario YAML file (see fixtures/scenarios/ for examples).',
    });
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const display = displayName(file, cwd);
  const problems = new ProblemList(display, lines);
  addSyntaxErrors(doc.errors, source, lines, problems);
  if (problems.size > 0) throw scenarioError(file, problems);
  const offsets = new Map<string, number>();
  const reader = new FieldReader(doc, problems, env);
  const root = reader.plain(doc.contents, '', 0, offsets);
  const check = new Checker(offsets, problems);
  const scenario = check.scenario(root, file);
  if (problems.size > 0) throw scenarioError(file, problems);
  return scenario;
}

/** Region names in the scenario that the topology does not know, as problems with positions. */
export function scenarioProblemsFor(
  scenario: Scenario,
  known: (name: string) => string | undefined,
): string[] {
  const out: string[] = [];
  const regionsOf = (group: string): string[] => group.split(',').map((s) => s.trim());
  const checkGroup = (group: string, where: string): void => {
    for (const region of regionsOf(group)) {
      const problem = known(region);
      if (problem) out.push(`${where}: ${problem}`);
    }
  };
  for (const probe of scenario.probes) {
    for (const key of ['writer', 'region'] as const) {
      const value = probe.options[key];
      if (typeof value === 'string') checkGroup(value, `probes.${probe.name}.${key}`);
    }
  }
  scenario.timeline.forEach((step, i) => {
    if (step.kind === 'fault') {
      const f = step.fault;
      if (f.kind === 'isolate') checkGroup(f.region, `timeline.${i}.fault`);
      else {
        checkGroup(f.a, `timeline.${i}.fault`);
        checkGroup(f.b, `timeline.${i}.fault`);
      }
    }
    if (step.kind === 'heal' && step.between) {
      checkGroup(step.between.a, `timeline.${i}.heal`);
      checkGroup(step.between.b, `timeline.${i}.heal`);
    }
  });
  for (const e of scenario.expectations) {
    const found = findMetric(e.metric);
    const region = found?.match[1];
    if (region && found.definition.pattern.source.includes('[a-z0-9_-]+'))
      checkGroup(region, `expect "${e.text}"`);
  }
  return out;
}

class Checker {
  constructor(
    private readonly offsets: Map<string, number>,
    private readonly problems: ProblemList,
  ) {}

  report(path: string, message: string): void {
    this.problems.add(this.offsetOf(path), path, message);
  }

  /** A problem with a key itself (unknown, misspelt): placed at the key, not its value. */
  reportKey(path: string, message: string): void {
    this.problems.add(this.offsets.get(`${path}:key`) ?? this.offsetOf(path), path, message);
  }

  private offsetOf(path: string): number {
    for (let p = path; ; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
      const offset = this.offsets.get(p);
      if (offset !== undefined) return offset;
      if (p === '') return 0;
    }
  }

  private map(value: unknown, path: string, expected: string): Record<string, unknown> | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    this.report(path, `expected ${expected}, got ${describe(value)}`);
    return undefined;
  }

  private only(map: Record<string, unknown>, path: string, allowed: string[]): void {
    for (const key of Object.keys(map)) {
      if (!allowed.includes(key)) {
        const at = path === '' ? key : `${path}.${key}`;
        this.reportKey(
          at,
          `unknown key${didYouMean(key, allowed)}; expected one of ${allowed.map((k) => `"${k}"`).join(', ')}`,
        );
      }
    }
  }

  private string(value: unknown, path: string, expected: string): string | undefined {
    if (typeof value === 'string' && value.trim() !== '') return value;
    this.report(path, `expected ${expected}, got ${describe(value)}`);
    return undefined;
  }

  private duration(value: unknown, path: string, allowZero = false): number | undefined {
    try {
      return parseDuration(String(value), path, { allowZero });
    } catch {
      this.report(path, `expected a duration such as 500ms, 10s or 1m, got ${describe(value)}`);
      return undefined;
    }
  }

  scenario(root: unknown, file: string): Scenario {
    const top = this.map(root, '', 'a map with name, probes, timeline and expect') ?? {};
    this.only(top, '', TOP_KEYS);
    const name =
      top.name === undefined
        ? (this.report('', 'missing name; expected a name for the game day'), '')
        : (this.string(top.name, 'name', 'a name') ?? '');
    const topology =
      top.topology === undefined
        ? undefined
        : this.string(top.topology, 'topology', 'the path of a topology file, relative to this file');
    const probes = this.probes(top.probes);
    if (top.timeline === undefined)
      this.report('', 'missing timeline; expected a list of steps (phase, wait, fault, heal, run)');
    const timeline = top.timeline === undefined ? [] : this.timeline(top.timeline);
    const phases = new Set(
      timeline.filter((s) => s.kind === 'phase').map((s) => (s as { name: string }).name),
    );
    const expectations = this.expectations(top.expect, probes, phases);
    return {
      name,
      description: typeof top.description === 'string' ? top.description : undefined,
      file,
      topology:
        topology === undefined
          ? undefined
          : isAbsolute(topology)
            ? topology
            : resolve(dirname(file), topology),
      probes,
      timeline,
      expectations,
    };
  }

  private probes(value: unknown): ProbeSpec[] {
    if (value === undefined) return [];
    const map = this.map(value, 'probes', 'a map of probes, e.g. raw: { writer: us-east }');
    if (!map) return [];
    const specs: ProbeSpec[] = [];
    for (const [name, raw] of Object.entries(map)) {
      const path = `probes.${name}`;
      const options = raw === null || raw === undefined ? {} : this.map(raw, path, 'a map of probe options');
      if (!options) continue;
      const kind = (options.kind ?? name) as string;
      if (!(PROBE_KINDS as readonly string[]).includes(kind)) {
        (options.kind === undefined ? this.reportKey : this.report).call(
          this,
          options.kind === undefined ? path : `${path}.kind`,
          `unknown probe "${kind}"${didYouMean(kind, [...PROBE_KINDS])}; expected one of ${PROBE_KINDS.join(', ')} (or give kind:)`,
        );
        continue;
      }
      const k = kind as ProbeKind;
      this.only(options, path, [...COMMON_PROBE_KEYS, ...PROBE_KEYS[k]]);
      for (const [key, v] of Object.entries(options)) {
        const at = `${path}.${key}`;
        if (DURATION_OPTIONS.includes(key)) this.duration(v, at, key === 'poll' || key === 'settle');
        if (INTEGER_OPTIONS.includes(key) && !(Number.isInteger(v) && (v as number) > 0))
          this.report(at, `expected a whole number above 0, got ${describe(v)}`);
        if (
          (key === 'writer' || key === 'region') &&
          typeof v !== 'string' &&
          !(Array.isArray(v) && v.every((x) => typeof x === 'string'))
        ) {
          this.report(at, `expected a region or a list of regions, got ${describe(v)}`);
        }
      }
      const normalised = { ...options };
      for (const key of ['writer', 'region'])
        if (Array.isArray(normalised[key])) normalised[key] = (normalised[key] as string[]).join(',');
      specs.push({ name, kind: k, options: normalised });
    }
    return specs;
  }

  private timeline(value: unknown): Step[] {
    if (!Array.isArray(value)) {
      this.report('timeline', `expected a list of steps, got ${describe(value)}`);
      return [];
    }
    const steps: Step[] = [];
    value.forEach((item, i) => {
      const path = `timeline.${i}`;
      const map = this.map(item, path, 'a step: one of phase, wait, fault, heal, run');
      if (!map) return;
      const kinds = Object.keys(map).filter((k) => STEP_KINDS.includes(k));
      this.only(map, path, [...STEP_KINDS, 'label', 'for']);
      if (kinds.length !== 1) {
        this.report(
          path,
          `expected exactly one of ${STEP_KINDS.join(', ')} in a step, got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
        );
        return;
      }
      const kind = kinds[0]!;
      const label = typeof map.label === 'string' ? map.label : undefined;
      if (map.for !== undefined && kind !== 'fault')
        this.report(`${path}.for`, 'only a fault step takes "for"');
      const step = this.step(kind, map[kind], `${path}.${kind}`, map.for, `${path}.for`, label);
      if (step) steps.push(step);
    });
    return steps;
  }

  private step(
    kind: string,
    value: unknown,
    path: string,
    forValue: unknown,
    forPath: string,
    label: string | undefined,
  ): Step | undefined {
    switch (kind) {
      case 'phase': {
        const name = this.string(value, path, 'a phase name (e.g. baseline)');
        if (name !== undefined && !/^[a-z0-9_-]+$/.test(name))
          this.report(
            path,
            `phase names use lower-case letters, digits, "-" and "_", got ${JSON.stringify(name)}`,
          );
        return name === undefined ? undefined : { kind: 'phase', name, label: label ?? `phase ${name}` };
      }
      case 'wait': {
        const ms = this.duration(value, path);
        return ms === undefined ? undefined : { kind: 'wait', ms, label: label ?? `wait ${String(value)}` };
      }
      case 'heal': {
        if (value === 'all' || value === null || value === undefined)
          return { kind: 'heal', label: label ?? 'heal all' };
        const map = this.map(value, path, '"all" or { between: [A, B] }');
        if (!map) return undefined;
        this.only(map, path, ['between']);
        const between = this.between(map.between, `${path}.between`);
        return between
          ? { kind: 'heal', between, label: label ?? `heal ${between.a} ${between.b}` }
          : undefined;
      }
      case 'run': {
        const map =
          typeof value === 'string'
            ? { command: value }
            : this.map(value, path, 'a command, or { command, timeout }');
        if (!map) return undefined;
        this.only(map, path, ['command', 'timeout']);
        const command = this.string(map.command, `${path}.command`, 'a shell command');
        const timeoutMs = map.timeout === undefined ? 60_000 : this.duration(map.timeout, `${path}.timeout`);
        return command === undefined || timeoutMs === undefined
          ? undefined
          : { kind: 'run', command, timeoutMs, label: label ?? `run ${command}` };
      }
      case 'fault': {
        const forMs = forValue === undefined ? undefined : this.duration(forValue, forPath);
        const fault = this.fault(value, path);
        return fault
          ? { kind: 'fault', fault, forMs, label: label ?? describeFault(fault, forValue) }
          : undefined;
      }
    }
    return undefined;
  }

  private between(value: unknown, path: string): { a: string; b: string } | undefined {
    const parts = typeof value === 'string' ? value.trim().split(/\s+/) : value;
    if (Array.isArray(parts) && parts.length === 2 && parts.every((p) => typeof p === 'string' && p !== '')) {
      return { a: parts[0] as string, b: parts[1] as string };
    }
    this.report(
      path,
      `expected two regions or groups, e.g. [us-east, eu-west] or "us-east,eu-west ap-south", got ${describe(value)}`,
    );
    return undefined;
  }

  private fault(value: unknown, path: string): FaultSpec | undefined {
    const map = this.map(value, path, `one of ${FAULT_KINDS.join(', ')} with its arguments`);
    if (!map) return undefined;
    const kinds = Object.keys(map);
    this.only(map, path, FAULT_KINDS);
    const kind = kinds.find((k) => FAULT_KINDS.includes(k));
    if (!kind || kinds.length !== 1) {
      if (kinds.length !== 1) this.report(path, `expected exactly one of ${FAULT_KINDS.join(', ')}`);
      return undefined;
    }
    const at = `${path}.${kind}`;
    const args =
      kind === 'isolate' && typeof map[kind] === 'string'
        ? { region: map[kind] }
        : this.map(map[kind], at, 'a map of arguments');
    if (!args) return undefined;
    const mode = (): 'blackhole' | 'reset' | 'down' => {
      if (args.mode === undefined) return 'blackhole';
      if ((PARTITION_MODES as readonly unknown[]).includes(args.mode)) return args.mode as 'blackhole';
      this.report(`${at}.mode`, `expected one of ${PARTITION_MODES.join(', ')}, got ${describe(args.mode)}`);
      return 'blackhole';
    };
    const oneway = (): boolean => {
      if (args.oneway === undefined) return false;
      if (typeof args.oneway === 'boolean') return args.oneway;
      this.report(`${at}.oneway`, `expected true or false, got ${describe(args.oneway)}`);
      return false;
    };
    if (kind === 'isolate') {
      this.only(args, at, ['region', 'mode']);
      const region = this.string(args.region, `${at}.region`, 'a region');
      return region === undefined ? undefined : { kind, region, mode: mode() };
    }
    const between = this.between(args.between, `${at}.between`);
    if (kind === 'partition') {
      this.only(args, at, ['between', 'oneway', 'mode']);
      const m = mode();
      const o = oneway();
      if (o && m === 'down')
        this.report(
          `${at}.oneway`,
          'oneway cannot be combined with mode down (a disabled proxy stops both directions)',
        );
      return between ? { kind, ...between, oneway: o, mode: m } : undefined;
    }
    if (kind === 'latency') {
      this.only(args, at, ['between', 'latency', 'jitter', 'oneway']);
      const latencyMs = this.duration(args.latency, `${at}.latency`);
      const jitterMs = args.jitter === undefined ? 0 : this.duration(args.jitter, `${at}.jitter`, true);
      const o = oneway();
      return between && latencyMs !== undefined && jitterMs !== undefined
        ? { kind, ...between, oneway: o, latencyMs: Math.round(latencyMs), jitterMs: Math.round(jitterMs) }
        : undefined;
    }
    this.only(args, at, ['between', 'rate', 'oneway']);
    let kbPerSecond: number | undefined;
    try {
      kbPerSecond = parseRate(String(args.rate), `${at}.rate`).kbPerSecond;
    } catch {
      this.report(`${at}.rate`, `expected a rate such as 512KB/s or 10Mbit/s, got ${describe(args.rate)}`);
    }
    const o = oneway();
    return between && kbPerSecond !== undefined
      ? { kind: 'bandwidth', ...between, oneway: o, kbPerSecond }
      : undefined;
  }

  private expectations(value: unknown, probes: ProbeSpec[], phases: Set<string>): Expectation[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.report('expect', `expected a list of expectations, got ${describe(value)}`);
      return [];
    }
    const out: Expectation[] = [];
    value.forEach((item, i) => {
      const path = `expect.${i}`;
      if (typeof item !== 'string') {
        this.report(path, `expected an expectation such as "raw.eu-west.p99 < 800ms", got ${describe(item)}`);
        return;
      }
      const parsed = parseExpectation(item);
      if (typeof parsed === 'string') {
        this.report(path, parsed);
        return;
      }
      const needed = findMetric(parsed.metric)!.definition.probe;
      if (!probes.some((p) => p.kind === needed))
        this.report(path, `${parsed.metric} needs a ${needed} probe; add one under probes:`);
      if (parsed.phase !== undefined && !phases.has(parsed.phase)) {
        this.report(
          path,
          `no phase "${parsed.phase}" in the timeline${didYouMean(parsed.phase, [...phases])}; phases: ${[...phases].join(', ') || 'none'}`,
        );
      }
      out.push(parsed);
    });
    return out;
  }
}

function describeFault(fault: FaultSpec, forValue: unknown): string {
  const during = forValue === undefined ? '' : ` for ${String(forValue)}`;
  switch (fault.kind) {
    case 'isolate':
      return `isolate ${fault.region}${during}`;
    case 'partition':
      return `partition ${fault.a} ${fault.oneway ? '→' : '↔'} ${fault.b}${during}`;
    case 'latency':
      return `latency ${fault.a} ${fault.oneway ? '→' : '↔'} ${fault.b} +${fault.latencyMs}ms${during}`;
    case 'bandwidth':
      return `bandwidth ${fault.a} ${fault.oneway ? '→' : '↔'} ${fault.b} ${fault.kbPerSecond}KB/s${during}`;
  }
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return JSON.stringify(value);
}

function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function scenarioError(file: string, problems: ProblemList): GeoctlError {
  const list = problems.sorted();
  return new GeoctlError('E_CONFIG', list.map(formatProblem).join('\n'), {
    hint: `Fix the ${list.length === 1 ? 'problem' : `${list.length} problems`} above in ${file}; nothing was injected.`,
    details: { file, problems: list },
  });
}
