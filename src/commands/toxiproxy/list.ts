import { GeoctlCommand } from '../../cli/base-command.js';
import { renderInventory } from '../../cli/presenters/inventory-table.js';
import { toxiproxyUrlFlag } from '../../cli/toxiproxy-flags.js';
import { inspectToxiproxy, type ToxiproxyInventory } from '../../chaos/services/inspect-toxiproxy.js';
import { resolveToxiproxyUrl } from '../../chaos/toxiproxy-url.js';

export default class ToxiproxyList extends GeoctlCommand {
  static override summary = 'List the proxies and toxics on a Toxiproxy server (embedded or real).';
  static override examples = [
    '<%= config.bin %> toxiproxy list',
    'TOXIPROXY_URL=http://toxiproxy.internal:8474 <%= config.bin %> toxiproxy list --json',
  ];

  static override flags = { 'toxiproxy-url': toxiproxyUrlFlag };

  async run(): Promise<ToxiproxyInventory> {
    const { flags } = await this.parse(ToxiproxyList);
    const { url } = resolveToxiproxyUrl({ flag: flags['toxiproxy-url'] });
    const inventory = await inspectToxiproxy(url);
    if (!this.jsonEnabled()) this.log(await renderInventory(inventory));
    return inventory;
  }
}
