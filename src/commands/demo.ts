import { Flags } from '@oclif/core';
import { GeoctlCommand } from '../cli/base-command.js';
import { renderRunSummary } from '../cli/presenters/run-summary.js';
import { waitForShutdownSignal } from '../cli/signals.js';
import { runDemo, type DemoResult } from '../demo/run-demo.js';

export default class Demo extends GeoctlCommand {
  static override summary = 'Run a whole game day on this machine with nothing installed (about a minute).';
  static override description = `Starts geoctl's embedded Toxiproxy server and its three-region fixture store in this process, deploys the proxies, and runs two bundled game days: the store in active-active mode under cross-region latency and a partition, then heal and convergence; and a primary failover with asynchronous acknowledgements, which loses acknowledged writes. Shows progress, prints the results, writes the reports, and leaves nothing running.`;
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --out /tmp/geoctl-demo'];
  static override flags = {
    out: Flags.string({
      char: 'o',
      description: 'directory for the results and reports',
      default: 'geoctl-demo',
    }),
  };

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    const shutdown = waitForShutdownSignal();
    const stop = new AbortController();
    void shutdown.promise.then(() => stop.abort());
    const started = Date.now();
    try {
      const result = await runDemo({
        dir: flags.out,
        signal: stop.signal,
        onPart: (title) => this.note(`\n== ${title}`),
        progress: ({ at, message }) => {
          if (message !== '')
            this.note(`${`+${((at - started) / 1000).toFixed(1)}s`.padStart(8)}  ${message}`);
        },
      });
      if (!this.jsonEnabled()) {
        for (const part of result.parts)
          this.log(`\n== ${part.title}\n${await renderRunSummary(part.record, part.dir, part.reports)}`);
        this.log(nextSteps(result));
      }
      if (result.interrupted) process.exitCode = 130;
      return result;
    } finally {
      shutdown.cancel();
    }
  }
}

function nextSteps(result: DemoResult): string {
  const failover = result.parts.find((p) => p.record.probes.failover);
  const lost = (failover?.record.probes.failover?.summary as { rpo?: { lostWrites?: number } } | undefined)
    ?.rpo?.lostWrites;
  return [
    '',
    lost
      ? `The failover lost ${lost} acknowledged writes: asynchronous replication acknowledges before a replica has the write.`
      : '',
    `Everything the demo started is stopped. Results and reports are in ${result.dir}.`,
    'The HTML reports (charts of lag, write availability and divergence; open them in a browser):',
    ...result.parts.flatMap((p) => p.reports.filter((r) => r.endsWith('.html')).map((r) => `  ${r}`)),
    'Next:',
    `  geoctl report ${failover?.dir ?? result.parts[0]?.dir ?? result.dir} --format junit --output junit.xml   # each expectation a JUnit testcase, for CI`,
    `  geoctl report ${result.parts[0]?.dir ?? result.dir}    # the figures as a table; --format md|html|json for the others`,
    '  cp fixtures/topologies/three-regions.yaml geoctl.yaml && geoctl deploy    # your own topology, proxies that stay up',
    '  geoctl fixture kv   (in another terminal), then geoctl probe raw --region eu    # measure as you break things',
    '  geoctl run fixtures/scenarios/fixture-partition.yaml    # a game day with SLO gates and exit codes',
  ]
    .filter((l) => l !== '')
    .join('\n');
}
