import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Pushgateway } from 'prom-client';
import { GeoctlError } from '../errors.js';
import { ProbeMetrics } from '../metrics/probe-metrics.js';
import { serveMetrics } from '../metrics/metrics-server.js';
import { JsonlWriter } from '../report/jsonl-writer.js';
import type { Store } from '../stores/store.js';
import { systemClock, type Clock } from './clock.js';
import type { Observation, ProbeContext } from './probe-types.js';

const FAULT_POLL_MS = 2_000;

export interface SessionOptions {
  store: Store;
  /** Stop after this long; undefined runs until `signal` aborts. */
  durationMs?: number | undefined;
  /** Aborted by the command on SIGINT/SIGTERM. */
  signal: AbortSignal;
  out?: string | undefined;
  metricsPort?: number | undefined;
  pushgateway?: string | undefined;
  /** Labels on every metric (e.g. the probe kind). */
  labels?: Record<string, string>;
  clock?: Clock;
  /** Live progress: every observation and sample, for a presenter. */
  onObservation?: (o: Observation) => void;
  onSample?: (name: string, labels: Record<string, string>, value: number) => void;
  /** How many geoctl faults are active (from the topology's Toxiproxy), for the geoctl_active_faults gauge. */
  activeFaults?: (() => Promise<number | undefined>) | undefined;
  /** Called once the metrics endpoint listens (so its address can be shown before the run ends). */
  onMetricsListening?: (url: string) => void;
}

export interface SessionResult<S> {
  runId: string;
  summary: S;
  interrupted: boolean;
  startedAt: string;
  durationMs: number;
  out?: string;
  metricsUrl?: string;
  pushed?: string;
}

/**
 * Runs one probe engine with what every probe shares: a run id, the stop signal (duration or Ctrl-C),
 * --out as JSON lines written as observations happen, /metrics while it runs, and a push to a Pushgateway
 * at the end. The summary is produced for whatever was measured, also after an interruption.
 */
export async function runProbeSession<S>(
  options: SessionOptions,
  engine: (ctx: ProbeContext) => Promise<S>,
  finalMetrics: (summary: S, metrics: ProbeMetrics) => void = () => undefined,
): Promise<SessionResult<S>> {
  const clock = options.clock ?? systemClock;
  const runId = randomBytes(4).toString('hex');
  const metrics = new ProbeMetrics(options.labels);
  const out = options.out === undefined ? undefined : await JsonlWriter.open(options.out);
  const server =
    options.metricsPort === undefined ? undefined : await serveMetrics(metrics.registry, options.metricsPort);
  if (server) options.onMetricsListening?.(server.url);
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const onAbort = (): void => stop.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  const timer = options.durationMs === undefined ? undefined : setTimeout(onAbort, options.durationMs);
  const started = clock.now();
  const watchFaults = async (): Promise<void> => {
    const active = await options.activeFaults?.().catch(() => undefined);
    if (active !== undefined) metrics.activeFaults.set(active);
  };
  const faultWatch = options.activeFaults ? setInterval(() => void watchFaults(), FAULT_POLL_MS) : undefined;
  void watchFaults();
  try {
    const summary = await engine({
      store: options.store,
      clock,
      signal: stop.signal,
      runId,
      observe: (o) => {
        out?.write(o);
        metrics.observe(o);
        options.onObservation?.(o);
      },
      count: (region, operation, outcome) => metrics.count(region, operation, outcome),
      sample: (name, labels, value) => {
        metrics.sample(name, labels, value);
        options.onSample?.(name, labels, value);
      },
    });
    finalMetrics(summary, metrics);
    out?.write({ type: 'summary', at: clock.now(), summary: summary as unknown as Record<string, unknown> });
    const pushed =
      options.pushgateway === undefined
        ? undefined
        : await push(metrics, options.pushgateway, options.labels?.probe ?? 'probe');
    return {
      runId,
      summary,
      interrupted: options.signal.aborted,
      startedAt: new Date(started).toISOString(),
      durationMs: Math.round(clock.now() - started),
      ...(out ? { out: out.path } : {}),
      ...(server ? { metricsUrl: server.url } : {}),
      ...(pushed ? { pushed } : {}),
    };
  } finally {
    clearTimeout(timer);
    clearInterval(faultWatch);
    options.signal.removeEventListener('abort', onAbort);
    try {
      await out?.close();
    } finally {
      await server?.close();
    }
  }
}

async function push(metrics: ProbeMetrics, url: string, job: string): Promise<string> {
  try {
    const gateway = new Pushgateway(url, { timeout: 5_000 }, metrics.registry);
    await gateway.pushAdd({ jobName: `geoctl_${job}` });
    return url;
  } catch (error) {
    throw new GeoctlError(
      'E_METRICS_PUSH',
      `--pushgateway ${url}: could not push the metrics: ${(error as Error).message}`,
      {
        hint: 'Check the Pushgateway URL (e.g. http://127.0.0.1:9091); the probe summary above is still valid.',
      },
    );
  }
}
