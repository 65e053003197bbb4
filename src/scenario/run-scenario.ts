import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newFaultId } from '../chaos/faults/fault-name.js';
import type { FaultRequest } from '../chaos/faults/fault.js';
import { planFault } from '../chaos/faults/plan-fault.js';
import { activeFaults, faultToxics } from '../chaos/services/geoctl-toxics.js';
import { heal } from '../chaos/services/heal.js';
import { injectFault } from '../chaos/services/inject-fault.js';
import type { ToxiproxyDriver } from '../chaos/toxiproxy-driver.js';
import { ExitCode } from '../errors.js';
import { systemClock, type Clock } from '../probes/clock.js';
import { runConflictProbe } from '../probes/conflict-probe.js';
import { runDivergenceProbe } from '../probes/divergence-probe.js';
import { runFailoverProbe, type FailoverSummary } from '../probes/failover-probe.js';
import { runLagProbe } from '../probes/lag-probe.js';
import type { Observation, ProbeContext } from '../probes/probe-types.js';
import { runRawProbe } from '../probes/raw-probe.js';
import { JsonlWriter } from '../report/jsonl-writer.js';
import { RUN_RECORD_VERSION, type RunRecord } from '../report/run-results.js';
import type { Store } from '../stores/store.js';
import { resolveRegion, resolveRegionGroup } from '../topology/resolve-region.js';
import type { Topology } from '../topology/topology.js';
import { parseDuration } from '../chaos/faults/duration.js';
import { ExpectationEvaluator } from './evaluate.js';
import type { FaultSpec, ProbeSpec, Scenario, Step } from './scenario.js';
import type { DivergenceSummary } from '../probes/divergence-probe.js';

export interface RunScenarioOptions {
  scenario: Scenario;
  topology: Topology;
  driver: ToxiproxyDriver;
  store: Store;
  outDir: string;
  /** Aborted on SIGINT/SIGTERM: the run stops, heals, and records what it measured. */
  signal: AbortSignal;
  clock?: Clock;
  /** Check each fault with a probe connection (slower; off by default in game days). */
  verify?: boolean;
  progress?: (event: { at: number; message: string; observation?: Observation }) => void;
}

/**
 * Runs a game day: starts the probes, walks the timeline, stops the probes, heals everything the run
 * injected (whatever happened: an SLO breach, a crashed probe, a failing hook, a signal), checks the
 * expectations and records it all in the output directory.
 */
export async function runScenario(options: RunScenarioOptions): Promise<RunRecord> {
  const { scenario, topology, driver, store } = options;
  const clock = options.clock ?? systemClock;
  const say = (message: string): void => options.progress?.({ at: clock.now(), message });
  await mkdir(options.outDir, { recursive: true });
  const observations = await JsonlWriter.open(join(options.outDir, 'observations.jsonl'));
  const evaluator = new ExpectationEvaluator(scenario.expectations);
  const started = clock.now();
  const record: RunRecord = {
    version: RUN_RECORD_VERSION,
    scenario: { name: scenario.name, file: scenario.file, description: scenario.description },
    topology: topology.file,
    toxiproxy: driver.url,
    startedAt: started,
    endedAt: started,
    phases: [],
    faults: [],
    steps: [],
    probes: {},
    expectations: [],
    outcome: {
      status: 'error',
      exitCode: ExitCode.toolError,
      message: 'the run did not finish',
      healedOnExit: [],
      leftBehind: [],
    },
  };
  const save = (): Promise<void> =>
    writeFile(join(options.outDir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  await save();
  let phase: string | undefined;
  const runId = newFaultId().slice(0, 6);
  const stopProbes = new AbortController();
  // Every probe operation may wait on this signal; hundreds of listeners are expected, not a leak.
  setMaxListeners(0, stopProbes.signal);
  const active = new Map<string, RunRecord['faults'][number]>();
  let failure: string | undefined;

  // Start measuring only once the store replicates: a write in one region visible in every other.
  const readiness = await waitUntilReplicating(
    store,
    topology,
    clock,
    options.signal,
    `geoctl/ready/${runId}`,
  );
  record.steps.push({
    at: started,
    endedAt: clock.now(),
    kind: 'ready',
    label: 'wait until the store replicates',
    outcome: readiness === undefined ? 'ok' : 'failed',
    detail: readiness,
  });
  if (readiness !== undefined) say(`the store does not replicate yet: ${readiness}; measuring anyway`);
  else say(`the store replicates (${((clock.now() - started) / 1000).toFixed(1)}s); starting the probes`);

  const abortTimeline = new AbortController();
  const probeRuns = scenario.probes.map(async (spec) => {
    record.probes[spec.name] = { kind: spec.kind, options: spec.options };
    const ctx: ProbeContext = {
      store,
      clock,
      signal: stopProbes.signal,
      runId: `${runId}-${spec.name}`,
      observe: (o) => {
        const tagged = { ...o, probe: spec.name, kind: spec.kind, ...(phase ? { phase } : {}) };
        observations.write(tagged);
        evaluator.observe(tagged);
        options.progress?.({ at: o.at, message: '', observation: tagged });
      },
    };
    try {
      const summary = await runProbe(spec, ctx, topology, store, driver);
      record.probes[spec.name]!.summary = summary;
      if (spec.kind === 'failover') {
        const f = summary as FailoverSummary;
        evaluator.final('failover.seconds', f.failover === undefined ? undefined : f.failover.seconds * 1000);
        evaluator.final('rpo.lost_writes', f.rpo.lostWrites);
        evaluator.final('rpo.indeterminate', f.rpo.indeterminate);
      }
      if (spec.kind === 'divergence') {
        const d = summary as DivergenceSummary;
        evaluator.final(
          'divergence.unconverged',
          d.episodes.some((e) => e.convergedAfterMs === undefined) ? 1 : 0,
        );
      }
    } catch (error) {
      record.probes[spec.name]!.error = (error as Error).message;
      failure ??= `probe ${spec.name} failed: ${(error as Error).message}`;
      say(`probe ${spec.name} failed: ${(error as Error).message}`);
      // A crashed probe ends the game day now: the rest of the timeline would measure nothing.
      abortTimeline.abort();
    }
  });

  const onSignal = (): void => abortTimeline.abort();
  options.signal.addEventListener('abort', onSignal, { once: true });
  // Last line of defence: an error escaping a probe's own handling (a bug, a misbehaving adapter module)
  // would otherwise end the process with faults still injected. Treat it as a crash of the run instead.
  const onStray = (error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    failure ??= `internal error: ${message}`;
    say(`internal error: ${message}`);
    abortTimeline.abort();
    stopProbes.abort();
  };
  process.on('unhandledRejection', onStray);
  process.on('uncaughtException', onStray);
  try {
    for (const step of scenario.timeline) {
      if (abortTimeline.signal.aborted || failure) break;
      const at = clock.now();
      const entry: RunRecord['steps'][number] = {
        at,
        endedAt: at,
        kind: step.kind,
        label: step.label,
        outcome: 'ok',
      };
      record.steps.push(entry);
      say(step.label);
      try {
        await runStep(step);
      } catch (error) {
        entry.outcome = 'failed';
        entry.detail = (error as Error).message;
        failure ??= `step "${step.label}" failed: ${(error as Error).message}`;
        say(`step "${step.label}" failed: ${(error as Error).message}`);
      }
      entry.endedAt = clock.now();
      await save();
    }
  } finally {
    options.signal.removeEventListener('abort', onSignal);
    stopProbes.abort();
    // Probes stop here (a failover probe reads back what it wrote); then nothing of this run stays injected.
    await Promise.all(probeRuns);
    await healEverything();
    record.endedAt = clock.now();
    closePhase(record.endedAt);
    record.expectations = evaluator.results();
    await observations.close().catch((error: Error) => {
      failure ??= error.message;
    });
    decideOutcome();
    await save();
    process.off('unhandledRejection', onStray);
    process.off('uncaughtException', onStray);
  }
  return record;

  async function runStep(step: Step): Promise<void> {
    switch (step.kind) {
      case 'phase':
        closePhase(clock.now());
        phase = step.name;
        record.phases.push({ name: step.name, start: clock.now(), end: clock.now() });
        return;
      case 'wait':
        await clock.sleep(step.ms, abortTimeline.signal);
        return;
      case 'fault': {
        const request = resolveFault(step.fault, topology);
        const plan = planFault(topology, request, {
          id: newFaultId(),
          now: Date.now(),
          durationMs: step.forMs,
        });
        const injected = await injectFault(driver, topology, plan, { verify: options.verify ?? false });
        const fault = {
          id: plan.id,
          summary: plan.summary,
          kind: plan.kind,
          injectedAt: clock.now(),
          proxies: plan.targets.map((t) => t.proxy),
        };
        record.faults.push(fault);
        active.set(plan.id, fault);
        const failed = injected.verification.filter((v) => v.verdict === 'failed');
        if (failed.length > 0)
          throw new Error(`the fault did not take effect on ${failed.map((f) => f.label).join(', ')}`);
        if (step.forMs !== undefined) {
          await clock.sleep(step.forMs, abortTimeline.signal);
          await healFault(plan.id, 'timeline (for)');
        }
        return;
      }
      case 'heal': {
        const between = step.between
          ? {
              a: resolveRegionGroup(topology, step.between.a).map((r) => r.name),
              b: resolveRegionGroup(topology, step.between.b).map((r) => r.name),
            }
          : undefined;
        for (const id of [...active.keys()]) {
          const result = await heal(driver, topology, { faultId: id, between }, { verify: false });
          if (result.removed.length === 0) continue;
          const remaining = faultToxics(await driver.listProxies()).filter((t) => t.identity.id === id);
          if (remaining.length === 0) markHealed(id, 'timeline (heal)');
        }
        return;
      }
      case 'run':
        await runHook(step.command, step.timeoutMs, abortTimeline.signal);
        return;
    }
  }

  async function healFault(id: string, how: string): Promise<void> {
    await heal(driver, topology, { faultId: id }, { verify: false });
    markHealed(id, how);
  }

  function markHealed(id: string, how: string): void {
    const fault = active.get(id);
    if (!fault) return;
    fault.healedAt = clock.now();
    fault.healedBy = how;
    active.delete(id);
  }

  async function healEverything(): Promise<void> {
    for (const id of [...active.keys()]) {
      try {
        await healFault(id, 'end of run');
        record.outcome.healedOnExit.push(id);
      } catch (error) {
        say(`could not heal fault ${id}: ${(error as Error).message}`);
      }
    }
    // Double-check on the server: anything of this run's still there is reported as left behind.
    const ids = new Set(record.faults.map((f) => f.id));
    const left = await driver.listProxies().then(
      (proxies) =>
        activeFaults(proxies)
          .filter((f) => ids.has(f.id))
          .map((f) => f.id),
      () => [...active.keys()],
    );
    record.outcome.leftBehind = left;
  }

  function closePhase(at: number): void {
    const last = record.phases.at(-1);
    if (last) last.end = at;
  }

  function decideOutcome(): void {
    const statuses = record.expectations.map((e) => e.status);
    const interrupted = options.signal.aborted;
    const healed =
      record.outcome.leftBehind.length === 0
        ? 'every fault it injected is healed'
        : `FAULTS LEFT BEHIND: ${record.outcome.leftBehind.join(', ')} (run \`geoctl heal\`)`;
    if (failure)
      Object.assign(record.outcome, {
        status: 'error',
        exitCode: ExitCode.toolError,
        message: `${failure}; ${healed}`,
      });
    else if (interrupted)
      Object.assign(record.outcome, {
        status: 'interrupted',
        exitCode: options.signal.reason === 'SIGTERM' ? 143 : 130,
        message: `interrupted; ${healed}`,
      });
    else if (statuses.includes('fail'))
      Object.assign(record.outcome, {
        status: 'failed',
        exitCode: ExitCode.expectationFailed,
        message: `${statuses.filter((s) => s === 'fail').length} of ${statuses.length} expectations failed; ${healed}`,
      });
    else if (statuses.includes('indeterminate'))
      Object.assign(record.outcome, {
        status: 'indeterminate',
        exitCode: ExitCode.indeterminate,
        message: `${statuses.filter((s) => s === 'indeterminate').length} of ${statuses.length} expectations could not be decided; ${healed}`,
      });
    else
      Object.assign(record.outcome, {
        status: 'passed',
        exitCode: ExitCode.ok,
        message: `all ${statuses.length} expectations met; ${healed}`,
      });
    if (record.outcome.leftBehind.length > 0) record.outcome.exitCode = ExitCode.toolError;
  }
}

function resolveFault(spec: FaultSpec, topology: Topology): FaultRequest {
  const group = (g: string): string[] => resolveRegionGroup(topology, g).map((r) => r.name);
  switch (spec.kind) {
    case 'isolate':
      return { kind: 'isolate', region: resolveRegion(topology, spec.region).name, mode: spec.mode };
    case 'partition':
      return { kind: 'partition', a: group(spec.a), b: group(spec.b), oneway: spec.oneway, mode: spec.mode };
    case 'latency':
      return {
        kind: 'latency',
        a: group(spec.a),
        b: group(spec.b),
        oneway: spec.oneway,
        latencyMs: spec.latencyMs,
        jitterMs: spec.jitterMs,
      };
    case 'bandwidth':
      return {
        kind: 'bandwidth',
        a: group(spec.a),
        b: group(spec.b),
        oneway: spec.oneway,
        kbPerSecond: spec.kbPerSecond,
      };
  }
}

function runHook(command: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer): void => {
      output = (output + d.toString()).slice(-2_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const kill = (): boolean => child.kill('SIGTERM');
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`\`${command}\` did not finish within ${timeoutMs / 1000}s (stopped)`));
    }, timeoutMs);
    signal.addEventListener('abort', kill, { once: true });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`\`${command}\` could not start: ${error.message}`));
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `\`${command}\` exited with ${code ?? sig}${output.trim() ? `: ${output.trim().split('\n').at(-1)}` : ''}`,
          ),
        );
    });
  });
}

async function runProbe(
  spec: ProbeSpec,
  ctx: ProbeContext,
  topology: Topology,
  store: Store,
  driver: ToxiproxyDriver,
): Promise<unknown> {
  const o = spec.options;
  const ms = (key: string, fallback: number, allowZero = false): number =>
    o[key] === undefined ? fallback : parseDuration(String(o[key]), key, { allowZero });
  const int = (key: string, fallback: number): number => (o[key] === undefined ? fallback : Number(o[key]));
  const all = topology.regions.map((r) => r.name);
  const group = (key: string): string[] | undefined =>
    typeof o[key] === 'string'
      ? resolveRegionGroup(topology, o[key] as string).map((r) => r.name)
      : undefined;
  const readers = group('region') ?? all;
  const primary = await store.primaryRegion?.().catch(() => undefined);
  const defaultWriters = primary
    ? [primary]
    : all.filter((r) => !readers.includes(r)).length > 0
      ? all.filter((r) => !readers.includes(r))
      : all;
  const timeout = ms('timeout', 2_000);
  switch (spec.kind) {
    case 'raw':
      return runRawProbe(ctx, {
        writers: group('writer') ?? defaultWriters,
        readers,
        rate: int('rate', 20),
        concurrency: int('concurrency', 64),
        visibilityTimeoutMs: ms('visibility-timeout', 10_000),
        pollMs: ms('poll', 2, true),
        operationTimeoutMs: timeout,
      });
    case 'lag':
      return runLagProbe(ctx, {
        writers: group('writer') ?? defaultWriters,
        readers,
        intervalMs: ms('interval', 100),
        pollMs: ms('poll', 10),
        operationTimeoutMs: timeout,
      });
    case 'divergence':
      return runDivergenceProbe(ctx, {
        writers: group('writer') ?? all,
        readers,
        keys: int('keys', 100),
        rate: int('rate', 50),
        checkIntervalMs: ms('check', 200),
        operationTimeoutMs: timeout,
        activeFaults: async () => faultToxics(await driver.listProxies()).length,
      });
    case 'conflict':
      return runConflictProbe(ctx, {
        writers: group('writer') ?? all,
        readers,
        rate: int('rate', 5),
        concurrency: int('concurrency', 64),
        convergeTimeoutMs: ms('converge-timeout', 30_000),
        pollMs: ms('poll', 10, true),
        operationTimeoutMs: timeout,
      });
    case 'failover': {
      const first = group('writer') ?? defaultWriters;
      return runFailoverProbe(ctx, {
        writers: [...first, ...all.filter((r) => !first.includes(r))],
        intervalMs: ms('interval', 10, true),
        operationTimeoutMs: timeout,
        settleMs: ms('settle', 2_000, true),
      });
    }
  }
}

/** Writes a canary and waits (30 s at most) until every region reads it; a message when it never did. */
async function waitUntilReplicating(
  store: Store,
  topology: Topology,
  clock: Clock,
  signal: AbortSignal,
  key: string,
): Promise<string | undefined> {
  const regions = topology.regions.map((r) => r.name);
  const writer = (await store.primaryRegion?.().catch(() => undefined)) ?? regions[0]!;
  const deadline = clock.now() + 30_000;
  let written = false;
  let last = '';
  while (clock.now() < deadline && !signal.aborted) {
    if (!written) {
      const w = await store.write(writer, key, 'ready', { timeoutMs: 2_000 });
      written = w.status === 'ok';
      last = w.status === 'ok' ? '' : `the canary write in ${writer}: ${w.error}`;
    }
    if (written) {
      const reads = await Promise.all(regions.map((r) => store.read(r, key, { timeoutMs: 2_000 })));
      const missing = regions.filter((_, i) => {
        const r = reads[i]!;
        return !(r.status === 'ok' && r.value.kind === 'value' && r.value.value === 'ready');
      });
      if (missing.length === 0) return undefined;
      last = `not yet visible in ${missing.join(', ')}`;
    }
    await clock.sleep(50, signal);
  }
  return last || 'interrupted';
}
