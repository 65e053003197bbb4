import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Observation } from '../probes/probe-types.js';

/** Visibility-lag buckets, seconds: 1 ms to 1 min, dense where replication usually lands. */
const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Every metric a probe exports, in a Registry of its own (never prom-client's global one). Names follow
 * Prometheus conventions: geoctl_ prefix, base units, _total for counters, from/to labels for a region pair.
 * Fed from the probes' observations, so the engines know nothing about Prometheus.
 *
 * A gauge without labels has no sample until it is set (prom-client would export 0 from the start): a raw
 * probe must not claim a 0 s failover or 0 lost writes, nor a session without a reachable Toxiproxy 0 faults.
 */
export class ProbeMetrics {
  readonly registry = new Registry();
  readonly visibilityLag: Histogram<'from' | 'to'>;
  readonly heartbeatLag: Gauge<'from' | 'to'>;
  readonly operations: Counter<'region' | 'operation' | 'outcome'>;
  readonly staleReads: Counter<'from' | 'to'>;
  readonly neverVisible: Counter<'from' | 'to'>;
  readonly uncheckedWrites: Counter<'from' | 'to'>;
  readonly readYourWritesViolations: Counter<'region'>;
  readonly divergentKeys: Gauge;
  readonly conflicts: Counter<'resolution'>;
  readonly failoverSeconds: Gauge;
  readonly rpoLostWrites: Gauge;
  readonly activeFaults: Gauge;

  constructor(labels: Record<string, string> = {}) {
    const registers = [this.registry];
    this.registry.setDefaultLabels(labels);
    this.visibilityLag = new Histogram({
      name: 'geoctl_visibility_lag_seconds',
      help: 'Read-after-write visibility lag from the write acknowledgement until the value was readable, per writer (from) and reader (to) region.',
      labelNames: ['from', 'to'],
      buckets: LAG_BUCKETS,
      registers,
    });
    this.heartbeatLag = new Gauge({
      name: 'geoctl_heartbeat_lag_seconds',
      help: 'Now minus the newest heartbeat of region `from` seen in region `to` (pt-heartbeat style).',
      labelNames: ['from', 'to'],
      registers,
    });
    this.operations = new Counter({
      name: 'geoctl_operations_total',
      help: 'Store operations by region, operation (read, write) and outcome (ok, fail, indeterminate).',
      labelNames: ['region', 'operation', 'outcome'],
      registers,
    });
    this.staleReads = new Counter({
      name: 'geoctl_stale_reads_total',
      help: 'Reads in region `to` that did not yet see a write acknowledged in region `from`.',
      labelNames: ['from', 'to'],
      registers,
    });
    this.neverVisible = new Counter({
      name: 'geoctl_never_visible_writes_total',
      help: 'Acknowledged writes of region `from` not visible in region `to` within the visibility timeout.',
      labelNames: ['from', 'to'],
      registers,
    });
    this.uncheckedWrites = new Counter({
      name: 'geoctl_unchecked_writes_total',
      help: 'Acknowledged writes of region `from` not followed in region `to`, which already had the probe concurrency of visibility checks pending.',
      labelNames: ['from', 'to'],
      registers,
    });
    this.readYourWritesViolations = new Counter({
      name: 'geoctl_read_your_writes_violations_total',
      help: "Reads in a writer's own region, right after the ack, that did not see the write.",
      labelNames: ['region'],
      registers,
    });
    this.divergentKeys = new Gauge({
      name: 'geoctl_divergent_keys',
      help: 'Keys whose value differs between regions at the last comparison.',
      registers,
    });
    this.conflicts = new Counter({
      name: 'geoctl_conflicts_total',
      help: 'Keys written in several regions at once, by how they resolved (winner, siblings, unconverged; no-conflict when fewer than two writes were acknowledged).',
      labelNames: ['resolution'],
      registers,
    });
    this.failoverSeconds = new Gauge({
      name: 'geoctl_failover_seconds',
      help: 'The longest gap between acknowledged writes in the failover probe.',
      registers,
    });
    this.rpoLostWrites = new Gauge({
      name: 'geoctl_rpo_lost_writes',
      help: 'Acknowledged writes missing after the failover.',
      registers,
    });
    this.activeFaults = new Gauge({
      name: 'geoctl_active_faults',
      help: 'geoctl faults active on the Toxiproxy server.',
      registers,
    });
    for (const gauge of [this.divergentKeys, this.failoverSeconds, this.rpoLostWrites, this.activeFaults])
      gauge.remove({});
  }

  count(region: string, operation: string, outcome: string): void {
    this.operations.inc({ region, operation, outcome });
  }

  sample(name: string, labels: Record<string, string>, value: number): void {
    if (name === 'heartbeat-age')
      this.heartbeatLag.set({ from: labels.writer ?? '', to: labels.reader ?? '' }, value / 1000);
  }

  observe(o: Observation): void {
    switch (o.type) {
      case 'write':
        this.operations.inc({
          region: String(o.writer ?? o.region),
          operation: 'write',
          outcome: String(o.outcome),
        });
        break;
      case 'read':
        this.operations.inc({ region: String(o.region), operation: 'read', outcome: String(o.outcome) });
        break;
      case 'visible':
        this.visibilityLag.observe({ from: String(o.writer), to: String(o.reader) }, Number(o.lagMs) / 1000);
        if (Number(o.staleReads) > 0)
          this.staleReads.inc({ from: String(o.writer), to: String(o.reader) }, Number(o.staleReads));
        break;
      case 'never-seen':
        this.neverVisible.inc({ from: String(o.writer), to: String(o.reader) });
        break;
      case 'unchecked':
        this.uncheckedWrites.inc({ from: String(o.writer), to: String(o.reader) });
        break;
      case 'ryw-violation':
        this.readYourWritesViolations.inc({ region: String(o.writer) });
        break;
      case 'divergence':
        this.divergentKeys.set(Number(o.divergent));
        break;
      case 'conflict':
        this.conflicts.inc({ resolution: String(o.resolution) });
        break;
      case 'failover':
        this.failoverSeconds.set(Number(o.seconds));
        break;
      case 'rpo':
        this.rpoLostWrites.set(Number(o.lostWrites));
        break;
      case 'faults':
        this.activeFaults.set(Number(o.active));
        break;
    }
  }
}
