import { stopEmbedded } from '../chaos/services/embedded-daemon.js';
import { PROXY_NAME_PREFIX } from '../topology/topology.js';
import { GeoctlCommand } from '../cli/base-command.js';
import { openTopology } from '../cli/topology-context.js';
import { topologyFlags } from '../cli/topology-flags.js';

interface TeardownResult {
  url: string | undefined;
  deleted: string[];
  stoppedEmbedded: { pid: number } | undefined;
}

export default class Teardown extends GeoctlCommand {
  static override summary = "Delete geoctl's proxies (and their faults) and stop the embedded server.";
  static override description = `Undoes \`geoctl deploy\`: deletes every geoctl.* proxy on the Toxiproxy server (their toxics go with them), and with \`toxiproxy: embedded\` stops the background server. Proxies geoctl did not create are left alone.`;
  static override examples = ['<%= config.bin %> teardown'];
  static override flags = { ...topologyFlags };

  async run(): Promise<TeardownResult> {
    const { flags } = await this.parse(Teardown);
    const ctx = await openTopology(flags);
    const deleted: string[] = [];
    if (ctx.target.url) {
      const driver = ctx.driver();
      for (const proxy of await driver.listProxies()) {
        if (!proxy.name.startsWith(`${PROXY_NAME_PREFIX}.`)) continue;
        await driver.deleteProxy(proxy.name);
        deleted.push(proxy.name);
      }
    }
    const stopped = ctx.target.kind === 'embedded' ? await stopEmbedded(ctx.stateDir) : undefined;
    const result = {
      url: ctx.target.url,
      deleted,
      stoppedEmbedded: stopped ? { pid: stopped.pid } : undefined,
    };
    if (!this.jsonEnabled()) {
      this.log(
        `Deleted ${deleted.length} prox${deleted.length === 1 ? 'y' : 'ies'}${deleted.length ? `: ${deleted.join(', ')}` : ''}.`,
      );
      if (stopped) this.log(`Stopped the embedded Toxiproxy server (pid ${stopped.pid}).`);
    }
    return result;
  }
}
