import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { DirectionBytes, Proxy, TrafficObserver } from './proxy.js';

export interface MetricsOptions {
  /** toxiproxy_proxy_{received,sent}_bytes_total, as -proxy-metrics enables. */
  proxyMetrics?: boolean;
  /** Process and runtime metrics, as -runtime-metrics enables (Node's instead of Go's). */
  runtimeMetrics?: boolean;
}

const LABELS = ['direction', 'proxy', 'listener', 'upstream'] as const;
type Label = (typeof LABELS)[number];

/**
 * The /metrics endpoint's registry. Always a registry of its own, so several servers in one process (tests,
 * or geoctl embedding one) never share or double-register series.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly received: Counter<Label> | undefined;
  private readonly sent: Counter<Label> | undefined;

  constructor(private readonly options: MetricsOptions) {
    if (options.proxyMetrics) {
      this.received = byteCounter(this.registry, 'toxiproxy_proxy_received_bytes_total');
      this.sent = byteCounter(this.registry, 'toxiproxy_proxy_sent_bytes_total');
    }
    if (options.runtimeMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Toxiproxy routes /metrics only when one of the two flags is set. */
  get enabled(): boolean {
    return this.options.proxyMetrics === true || this.options.runtimeMetrics === true;
  }

  /** Counts a connection's bytes when it closes, as Toxiproxy adds them when each link's copy ends. */
  readonly observer: TrafficObserver = {
    connectionClosed: (proxy: Proxy, received: DirectionBytes, sent: DirectionBytes) => {
      if (!this.received || !this.sent) return;
      for (const direction of ['upstream', 'downstream'] as const) {
        // Key order is print order; Go prints labels sorted by name.
        const labels = { direction, listener: proxy.listen, proxy: proxy.name, upstream: proxy.upstream };
        this.received.inc(labels, received[direction]);
        this.sent.inc(labels, sent[direction]);
      }
    },
  };

  /**
   * The text exposition laid out as Go's promhttp writes it: families sorted by name, no blank lines
   * between them, families without samples left out, samples sorted by their labels.
   */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const names = this.registry
      .getMetricsAsArray()
      .map((metric) => metric.name)
      .sort();
    const families: string[] = [];
    for (const name of names) {
      const lines = (await this.registry.getSingleMetricAsString(name))
        .split('\n')
        .filter((line) => line !== '');
      const comments = lines.filter((line) => line.startsWith('#'));
      const samples = lines.filter((line) => !line.startsWith('#'));
      if (samples.length === 0) continue;
      if (name.startsWith('toxiproxy_')) samples.sort();
      families.push([...comments, ...samples].join('\n'));
    }
    return {
      contentType: this.registry.contentType,
      body: families.length ? `${families.join('\n')}\n` : '',
    };
  }

  close(): void {
    this.registry.clear();
  }
}

function byteCounter(registry: Registry, name: string): Counter<Label> {
  const counter = new Counter({ name, help: name, labelNames: LABELS, registers: [registry] });
  // Toxiproxy's counters have no help text ("# HELP name " in the exposition); prom-client insists on one
  // at construction only, so it is cleared afterwards.
  Object.assign(counter, { help: '' });
  return counter;
}
