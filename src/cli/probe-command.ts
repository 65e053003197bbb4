import { Flags } from '@oclif/core';
import { parseDuration } from '../chaos/faults/duration.js';
import { activeFaults as faultsOn } from '../chaos/services/geoctl-toxics.js';
import { resolveTarget } from '../chaos/services/toxiproxy-target.js';
import { ToxiproxyDriver } from '../chaos/toxiproxy-driver.js';
import { stateDir } from '../state/state-dir.js';
import { runProbeSession, type SessionResult } from '../probes/probe-session.js';
import type { Observation, ProbeContext } from '../probes/probe-types.js';
import type { ProbeMetrics } from '../metrics/probe-metrics.js';
import { openStore } from '../stores/open-store.js';
import type { Store } from '../stores/store.js';
import { loadTopology } from '../topology/load-topology.js';
import { resolveRegionGroup } from '../topology/resolve-region.js';
import type { Topology } from '../topology/topology.js';
import { GeoctlCommand } from './base-command.js';
import { waitForShutdownSignal } from './signals.js';
import { topologyFlags } from './topology-flags.js';

/** Flags every probe takes. */
export const probeFlags = {
  config: topologyFlags.config,
  region: Flags.string({
    char: 'r',
    description: 'reader region(s), comma-separated (default: every region)',
  }),
  writer: Flags.string({
    char: 'w',
    description: 'writer region(s), comma-separated (default: the primary, or every other region in turn)',
  }),
  duration: Flags.string({
    char: 'd',
    description: 'how long to run (default: until Ctrl-C for lag and failover, 30s otherwise)',
  }),
  timeout: Flags.string({ description: 'time limit per store operation', default: '2s' }),
  out: Flags.string({
    char: 'o',
    description: 'append every observation to this file as JSON lines',
    helpValue: 'results.jsonl',
  }),
  'metrics-port': Flags.integer({
    description: 'serve Prometheus /metrics on 127.0.0.1:PORT while running (0 picks one)',
    min: 0,
    max: 65535,
  }),
  pushgateway: Flags.string({
    description: 'push the metrics to this Prometheus Pushgateway at the end',
    helpValue: 'http://127.0.0.1:9091',
  }),
};

export interface ProbeFlags {
  config?: string | undefined;
  region?: string | undefined;
  writer?: string | undefined;
  duration?: string | undefined;
  timeout: string;
  out?: string | undefined;
  'metrics-port'?: number | undefined;
  pushgateway?: string | undefined;
}

export interface ProbeSetup {
  topology: Topology;
  store: Store;
  readers: string[];
  writers: string[];
  timeoutMs: number;
}

/** What every `geoctl probe <kind>` does around its engine; each kind supplies the engine and a presenter. */
export abstract class ProbeCommand extends GeoctlCommand {
  protected async runProbe<S>(
    kind: string,
    flags: ProbeFlags,
    options: {
      defaultDurationMs: number | undefined;
      engine: (ctx: ProbeContext, setup: ProbeSetup) => Promise<S>;
      present: (result: SessionResult<S>, setup: ProbeSetup) => Promise<string>;
      progress?: (o: Observation) => string | undefined;
      finalMetrics?: (summary: S, metrics: ProbeMetrics) => void;
      /** Every region writes unless --writer says otherwise (conflict, divergence need several writers). */
      allWritersByDefault?: boolean;
    },
  ): Promise<SessionResult<S> & { probe: string }> {
    const durationMs =
      flags.duration === undefined ? options.defaultDurationMs : parseDuration(flags.duration, '--duration');
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const topology = await loadTopology({ path: flags.config });
    const readers = flags.region
      ? resolveRegionGroup(topology, flags.region).map((r) => r.name)
      : topology.regions.map((r) => r.name);
    const store = await openStore(topology);
    const shutdown = waitForShutdownSignal();
    const stop = new AbortController();
    void shutdown.promise.then(() => stop.abort());
    let ticker: NodeJS.Timeout | undefined;
    try {
      const writers = flags.writer
        ? resolveRegionGroup(topology, flags.writer).map((r) => r.name)
        : options.allWritersByDefault
          ? topology.regions.map((r) => r.name)
          : await defaultWriters(store, topology, readers);
      const setup: ProbeSetup = { topology, store, readers, writers, timeoutMs };
      const interactive = !this.jsonEnabled() && process.stderr.isTTY === true;
      let line: string | undefined;
      if (interactive) ticker = setInterval(() => line && process.stderr.write(`\r${line}\x1b[K`), 500);
      else
        this.note(
          `${kind}: writing in ${writers.join(', ')}, reading in ${readers.join(', ')}${durationMs ? ` for ${flags.duration ?? `${durationMs / 1000}s`}` : ' until Ctrl-C'}...`,
        );
      const result = await runProbeSession(
        {
          store,
          durationMs,
          signal: stop.signal,
          out: flags.out,
          metricsPort: flags['metrics-port'],
          pushgateway: flags.pushgateway,
          labels: { probe: kind },
          activeFaults: await faultCounter(topology),
          // On stderr even with --json: stdout carries only the summary document.
          onMetricsListening: (url) => process.stderr.write(`Prometheus metrics at ${url}\n`),
          onObservation: (o) => {
            const text = options.progress?.(o);
            if (text) line = text;
          },
        },
        (ctx) => options.engine(ctx, setup),
        options.finalMetrics,
      );
      if (ticker) process.stderr.write('\r\x1b[K');
      if (!this.jsonEnabled()) this.log(await options.present(result, setup));
      return { probe: kind, ...result };
    } finally {
      clearInterval(ticker);
      shutdown.cancel();
      await store.close();
    }
  }
}

/** The primary when the store has one; otherwise every region other than the readers (all, if none). */
async function defaultWriters(store: Store, topology: Topology, readers: string[]): Promise<string[]> {
  const primary = await store.primaryRegion?.();
  if (primary) return [primary];
  const others = topology.regions.map((r) => r.name).filter((r) => !readers.includes(r));
  return others.length > 0 ? others : topology.regions.map((r) => r.name);
}

/** Counts geoctl faults on the topology's Toxiproxy, if one is reachable (the embedded one may not run). */
async function faultCounter(topology: Topology): Promise<(() => Promise<number | undefined>) | undefined> {
  const target = await resolveTarget(topology, { stateDir: stateDir() }).catch(() => undefined);
  if (!target?.url) return undefined;
  const driver = new ToxiproxyDriver(target.url, { timeoutMs: 1_000 });
  return async () => faultsOn(await driver.listProxies()).length;
}
