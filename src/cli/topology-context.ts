import { resolveTarget, requireUrl, type ToxiproxyTarget } from '../chaos/services/toxiproxy-target.js';
import { ToxiproxyDriver } from '../chaos/toxiproxy-driver.js';
import { FaultJournal } from '../state/fault-journal.js';
import { stateDir } from '../state/state-dir.js';
import { loadTopology } from '../topology/load-topology.js';
import type { Topology } from '../topology/topology.js';

export interface TopologyContext {
  topology: Topology;
  target: ToxiproxyTarget;
  stateDir: string;
  journal: FaultJournal;
  /** A driver for the target; throws the "run geoctl deploy" error when the embedded server is not running. */
  driver(): ToxiproxyDriver;
}

/** What every topology command starts from: the validated topology, which Toxiproxy, the state directory. */
export async function openTopology(
  flags: { config?: string | undefined; 'toxiproxy-url'?: string | undefined },
  options: { startEmbedded?: boolean } = {},
): Promise<TopologyContext> {
  const topology = await loadTopology({ path: flags.config, store: 'deferred' });
  const dir = stateDir();
  const target = await resolveTarget(topology, {
    flagUrl: flags['toxiproxy-url'],
    stateDir: dir,
    start: options.startEmbedded ?? false,
  });
  let driver: ToxiproxyDriver | undefined;
  return {
    topology,
    target,
    stateDir: dir,
    journal: new FaultJournal(dir),
    driver: () => (driver ??= new ToxiproxyDriver(requireUrl(target, topology))),
  };
}
