import { GeoctlError } from '../../errors.js';
import type { Topology } from '../../topology/topology.js';
import type { FaultPlan, PlannedToxic } from '../faults/fault.js';
import { linkProtocol } from '../link-check/protocols.js';
import type { ToxiproxyDriver } from '../toxiproxy-driver.js';
import { verifyTargets, type Expectation, type TargetVerification } from './verify-fault.js';

export interface InjectResult {
  url: string;
  fault: FaultPlan;
  verification: TargetVerification[];
}

/**
 * Applies a plan: every toxic, then the proxies to disable. All or nothing: if any step fails, what was
 * already applied is removed again before the error is thrown, so a failed command leaves no fault behind.
 * Then, unless told not to, it checks the effect with a probe connection through each affected proxy.
 */
export async function injectFault(
  driver: ToxiproxyDriver,
  topology: Topology,
  plan: FaultPlan,
  options: { verify: boolean },
): Promise<InjectResult> {
  const proxies = new Map((await driver.listProxies()).map((p) => [p.name, p]));
  const missing = plan.targets.filter((t) => !proxies.has(t.proxy)).map((t) => t.proxy);
  if (missing.length > 0) {
    throw new GeoctlError(
      'E_NOT_DEPLOYED',
      `the Toxiproxy at ${driver.url} has no proxy ${missing.join(', ')}, so the fault cannot be injected`,
      { hint: 'Run `geoctl deploy` to create the proxies the topology describes.', details: { missing } },
    );
  }
  const added: PlannedToxic[] = [];
  const disabled: string[] = [];
  try {
    for (const toxic of plan.toxics) {
      await driver.addToxic(toxic.proxy, {
        name: toxic.name,
        type: toxic.type,
        stream: toxic.stream,
        toxicity: 1,
        attributes: toxic.attributes,
      });
      added.push(toxic);
    }
    for (const proxy of plan.disable) {
      if (proxies.get(proxy)?.enabled === false) continue;
      await driver.updateProxy(proxy, { enabled: false });
      disabled.push(proxy);
    }
  } catch (error) {
    await rollBack(driver, added, disabled);
    throw error;
  }
  const verification = options.verify
    ? await verifyTargets(plan.targets, linkProtocol(topology.protocol), expectationFor(plan))
    : [];
  return { url: driver.url, fault: plan, verification };
}

function expectationFor(plan: FaultPlan): Expectation {
  const request = plan.request;
  if (request.kind === 'latency') {
    // Each stream of a two-way fault delays the check's request or its answer.
    const streams = request.oneway ? 1 : 2;
    return { kind: 'slower', minRoundTripMs: streams * Math.max(0, request.latencyMs - request.jitterMs) };
  }
  if (request.kind === 'bandwidth') return { kind: 'flowing' };
  if (request.mode === 'down') return { kind: 'stopped', outcome: 'refused' };
  if (request.mode === 'reset') return { kind: 'stopped', outcome: 'reset' };
  return { kind: 'stopped', outcome: 'blocked' };
}

async function rollBack(driver: ToxiproxyDriver, added: PlannedToxic[], disabled: string[]): Promise<void> {
  for (const proxy of disabled) await driver.updateProxy(proxy, { enabled: true }).catch(() => undefined);
  for (const toxic of added.reverse())
    await driver.removeToxic(toxic.proxy, toxic.name).catch(() => undefined);
}
