import { Args, Flags } from '@oclif/core';
import { join } from 'node:path';
import { deploy } from '../chaos/services/deploy.js';
import { resolveTarget, requireUrl } from '../chaos/services/toxiproxy-target.js';
import { ToxiproxyDriver } from '../chaos/toxiproxy-driver.js';
import { GeoctlCommand } from '../cli/base-command.js';
import { renderRunSummary } from '../cli/presenters/run-summary.js';
import { waitForShutdownSignal } from '../cli/signals.js';
import { GeoctlError } from '../errors.js';
import { writeRunReports } from '../report/render-report.js';
import type { RunRecord } from '../report/run-results.js';
import { loadScenario, scenarioProblemsFor } from '../scenario/load-scenario.js';
import { runScenario } from '../scenario/run-scenario.js';
import { stateDir } from '../state/state-dir.js';
import { openStore } from '../stores/open-store.js';
import { loadTopology } from '../topology/load-topology.js';
import { resolveRegion } from '../topology/resolve-region.js';

export default class Run extends GeoctlCommand {
  static override summary = 'Run a game day: probes, a timeline of faults, and expectations (SLO gates).';
  static override description = `Checks the scenario (and its topology) completely before touching anything, deploys the proxies, starts the probes, walks the timeline, stops the probes, heals every fault the run injected, and checks the expectations. Whatever happens (a failed expectation, a crashed probe, a failing hook, Ctrl-C, SIGTERM) the faults it injected are healed before it exits, and it says so.

Results go to --out (run.json and observations.jsonl), with report.html and report.md rendered from them at the end; \`geoctl report <dir>\` renders table, md, junit, html or json from them at any time.

Exit codes: 0 every expectation met, 3 an expectation failed, 4 an expectation could not be decided, 1 a tool error (a probe or hook failed, Toxiproxy unreachable), 2 a bad scenario or flag, 130 interrupted (SIGINT), 143 terminated (SIGTERM).`;

  static override examples = [
    '<%= config.bin %> run fixtures/scenarios/fixture-partition.yaml',
    '<%= config.bin %> run game-day.yaml --topology prod-like.yaml --out results/nightly',
  ];

  static override args = { scenario: Args.string({ description: 'scenario file (YAML)', required: true }) };

  static override flags = {
    topology: Flags.string({
      char: 'c',
      aliases: ['config'],
      description: "topology file (default: the scenario's `topology:`, else geoctl.yaml)",
    }),
    out: Flags.string({
      char: 'o',
      description: 'directory for the results (default: geoctl-runs/<scenario>-<time>)',
    }),
    'toxiproxy-url': Flags.string({
      description: "Toxiproxy API URL, overriding the topology's `toxiproxy:`",
    }),
    verify: Flags.boolean({
      description: 'check each fault with a probe connection when it is injected',
      default: false,
    }),
  };

  async run(): Promise<RunRecord & { out: string; reports: string[] }> {
    const { args, flags } = await this.parse(Run);
    const scenario = await loadScenario(args.scenario);
    const topology = await loadTopology({ path: flags.topology ?? scenario.topology });
    const problems = scenarioProblemsFor(scenario, (name) => {
      try {
        resolveRegion(topology, name);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    });
    if (problems.length > 0) {
      throw new GeoctlError(
        'E_CONFIG',
        `${scenario.file} does not fit ${topology.file}:\n${problems.join('\n')}`,
        {
          hint: 'Use region names, aliases or unique prefixes from the topology; nothing was injected.',
        },
      );
    }
    const out =
      flags.out ??
      join(
        'geoctl-runs',
        `${scenario.name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      );
    const target = await resolveTarget(topology, {
      flagUrl: flags['toxiproxy-url'],
      stateDir: stateDir(),
      start: true,
    });
    const driver = new ToxiproxyDriver(requireUrl(target, topology));
    await deploy(driver, topology, false);
    const store = await openStore(topology);
    const shutdown = waitForShutdownSignal();
    const stop = new AbortController();
    // The signal's name is the abort reason: the run exits 130 for SIGINT, 143 for SIGTERM.
    void shutdown.promise.then((name) => stop.abort(name));
    const interactive = !this.jsonEnabled() && process.stderr.isTTY === true;
    const started = Date.now();
    try {
      this.note(
        `${scenario.name}: ${scenario.probes.length} probe(s), ${scenario.timeline.length} step(s), ${scenario.expectations.length} expectation(s); results in ${out}`,
      );
      const record = await runScenario({
        scenario,
        topology,
        driver,
        store,
        outDir: out,
        signal: stop.signal,
        verify: flags.verify,
        progress: ({ at, message }) => {
          if (message === '' || this.jsonEnabled()) return;
          const t = `+${((at - started) / 1000).toFixed(1)}s`.padStart(8);
          process.stderr.write(`${interactive ? '\r\x1b[K' : ''}${t}  ${message}\n`);
        },
      });
      const reports = await writeRunReports(out).then(
        (written) => written.map((w) => w.file),
        (error: Error) => {
          this.note(`could not write the reports into ${out}: ${error.message}`);
          return [];
        },
      );
      if (!this.jsonEnabled()) this.log(await renderRunSummary(record, out, reports));
      process.exitCode = record.outcome.exitCode;
      return { ...record, out, reports };
    } finally {
      shutdown.cancel();
      await store.close();
    }
  }
}
