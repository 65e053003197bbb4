import { GeoctlError } from '../../errors.js';
import type { Link, Topology } from '../../topology/topology.js';
import { formatDuration } from './duration.js';
import { faultToxicName } from './fault-name.js';
import type { FaultPlan, FaultRequest, FaultTarget, PartitionMode, PlannedToxic, Stream } from './fault.js';

export interface PlanOptions {
  id: string;
  now: number;
  /** --for: the fault's lifetime; its expiry is written into the toxic names. */
  durationMs?: number | undefined;
}

/**
 * Which toxics on which streams realise a fault. A link proxy's upstream stream carries what the dialling
 * region (`from`) sends to the dialled one (`to`); its downstream stream carries the replies. So traffic
 * sent from A toward B is the upstream stream of links A dials to B, and the downstream stream of links B
 * dials to A: that is how `--oneway` picks streams whichever side dials.
 */
export function planFault(topology: Topology, request: FaultRequest, options: PlanOptions): FaultPlan {
  const targets = targetsOf(topology, request);
  const expiresAt = options.durationMs === undefined ? undefined : options.now + options.durationMs;
  const toxics: PlannedToxic[] = [];
  const disable: string[] = [];
  const mode = 'mode' in request ? request.mode : undefined;
  for (const target of targets) {
    for (const stream of target.streams) {
      const name = faultToxicName({
        id: options.id,
        kind: request.kind,
        stream,
        createdAt: options.now,
        expiresAt,
      });
      toxics.push({ proxy: target.proxy, name, stream, ...toxicFor(request, mode) });
    }
    if (mode === 'down') disable.push(target.proxy);
  }
  return {
    id: options.id,
    kind: request.kind,
    summary: summarise(request),
    request,
    createdAt: options.now,
    expiresAt,
    targets,
    toxics,
    disable,
  };
}

function toxicFor(
  request: FaultRequest,
  mode: PartitionMode | undefined,
): Pick<PlannedToxic, 'type' | 'attributes'> {
  switch (request.kind) {
    case 'latency':
      return { type: 'latency', attributes: { latency: request.latencyMs, jitter: request.jitterMs } };
    case 'bandwidth':
      return { type: 'bandwidth', attributes: { rate: request.kbPerSecond } };
    default:
      // blackhole: timeout 0 drops everything and never closes, as packets vanish in a real partition.
      // reset: reset_peer 0 resets a connection on its next byte. down: the proxy is disabled; the noop
      // toxic only marks the fault so it can be found and healed.
      if (mode === 'reset') return { type: 'reset_peer', attributes: { timeout: 0 } };
      if (mode === 'down') return { type: 'noop', attributes: {} };
      return { type: 'timeout', attributes: { timeout: 0 } };
  }
}

function targetsOf(topology: Topology, request: FaultRequest): FaultTarget[] {
  if (request.kind === 'isolate') return isolateTargets(topology, request.region);
  const { a, b, oneway } = request;
  const overlap = a.filter((region) => b.includes(region));
  if (overlap.length > 0) {
    throw new GeoctlError(
      'E_INVALID_VALUE',
      `region ${overlap.join(', ')} is on both sides of the ${request.kind}`,
      {
        hint: 'Name each region on one side only, e.g. `us-east,eu-west ap-south`.',
        details: { a, b },
      },
    );
  }
  if (request.kind === 'partition' && request.mode === 'down' && oneway) {
    throw new GeoctlError('E_USAGE', '--oneway cannot be combined with --mode down', {
      hint: 'A disabled proxy stops both directions; use --mode blackhole or reset for a one-way partition.',
    });
  }
  const targets: FaultTarget[] = [];
  for (const link of topology.links) {
    const streams = streamsFor(link, a, b, oneway);
    if (streams.length > 0) targets.push(linkTarget(link, streams));
  }
  if (targets.length === 0) {
    const known = topology.links.map((l) => `${l.from} → ${l.to}`).join(', ') || 'none';
    throw new GeoctlError(
      'E_INVALID_VALUE',
      `no replication link between ${a.join(',')} and ${b.join(',')} in ${topology.file}; links: ${known}`,
      {
        hint: 'Faults act on the links the topology declares; add the link under `links:` or pick other regions.',
      },
    );
  }
  return targets;
}

function streamsFor(link: Link, a: string[], b: string[], oneway: boolean): Stream[] {
  const aDialsB = a.includes(link.from) && b.includes(link.to);
  const bDialsA = b.includes(link.from) && a.includes(link.to);
  if (!aDialsB && !bDialsA) return [];
  if (!oneway) return ['upstream', 'downstream'];
  return aDialsB ? ['upstream'] : ['downstream'];
}

function isolateTargets(topology: Topology, regionName: string): FaultTarget[] {
  const region = topology.regions.find((r) => r.name === regionName);
  if (!region) throw new GeoctlError('E_INTERNAL', `isolate: region ${regionName} was not resolved`);
  const both: Stream[] = ['upstream', 'downstream'];
  const links = topology.links.filter((l) => l.from === regionName || l.to === regionName);
  return [
    {
      proxy: region.client.proxy,
      label: `clients → ${region.name}`,
      purpose: 'client',
      listen: region.client.listen,
      streams: both,
    },
    ...links.map((link) => linkTarget(link, both)),
  ];
}

function linkTarget(link: Link, streams: Stream[]): FaultTarget {
  return {
    proxy: link.proxy,
    label: `${link.from} → ${link.to}`,
    purpose: 'link',
    listen: link.listen,
    streams,
  };
}

export function summarise(request: FaultRequest): string {
  switch (request.kind) {
    case 'isolate':
      return `isolate ${request.region} (${request.mode})`;
    case 'partition':
      return `partition ${pair(request)} (${request.mode})`;
    case 'latency':
      return `latency ${pair(request)} +${formatDuration(request.latencyMs)}${
        request.jitterMs > 0 ? ` ±${formatDuration(request.jitterMs)}` : ''
      }${request.oneway ? '' : ' each way'}`;
    case 'bandwidth':
      return `bandwidth ${pair(request)} ${request.kbPerSecond}KB/s`;
  }
}

function pair(request: { a: string[]; b: string[]; oneway: boolean }): string {
  return `${request.a.join(',')} ${request.oneway ? '→' : '↔'} ${request.b.join(',')}`;
}
