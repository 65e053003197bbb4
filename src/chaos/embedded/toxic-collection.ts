import { SerialQueue } from './serial-queue.js';
import type { ToxicLink } from './toxic-link.js';
import type { Direction, ToxicWrapper } from './toxic-wrapper.js';

/**
 * A proxy's toxics, one ordered chain per direction, and the live links they apply to. Changes are
 * serialised: each waits for every live link to splice the change in before the API answers, so a client
 * that added a toxic can rely on it applying to connections that were already open.
 */
export class ToxicCollection {
  private readonly chains: Record<Direction, ToxicWrapper[]> = { upstream: [], downstream: [] };
  private readonly links = new Set<ToxicLink>();
  private readonly serial = new SerialQueue();

  chain(direction: Direction): readonly ToxicWrapper[] {
    return this.chains[direction];
  }

  /** All toxics, upstream first, then downstream, each in insertion order (as Toxiproxy lists them). */
  list(): ToxicWrapper[] {
    return [...this.chains.upstream, ...this.chains.downstream];
  }

  find(name: string): ToxicWrapper | undefined {
    return this.list().find((toxic) => toxic.name === name);
  }

  /** Links are registered synchronously with the chain snapshot they start from. */
  attach(link: ToxicLink): void {
    this.links.add(link);
  }

  detach(link: ToxicLink): void {
    this.links.delete(link);
  }

  add(wrapper: ToxicWrapper): Promise<void> {
    this.chains[wrapper.direction].push(wrapper);
    return this.serial.run(() => this.eachLink(wrapper.direction, (link) => link.addToxic(wrapper)));
  }

  update(wrapper: ToxicWrapper): Promise<void> {
    const chain = this.chains[wrapper.direction];
    const index = chain.findIndex((toxic) => toxic.name === wrapper.name);
    if (index >= 0) chain[index] = wrapper;
    return this.serial.run(() => this.eachLink(wrapper.direction, (link) => link.updateToxic(wrapper)));
  }

  remove(wrapper: ToxicWrapper): Promise<void> {
    const chain = this.chains[wrapper.direction];
    const index = chain.indexOf(wrapper);
    if (index >= 0) chain.splice(index, 1);
    return this.serial.run(() => this.eachLink(wrapper.direction, (link) => link.removeToxic(wrapper.name)));
  }

  async removeAll(): Promise<void> {
    for (const wrapper of this.list()) await this.remove(wrapper);
  }

  private async eachLink(direction: Direction, apply: (link: ToxicLink) => Promise<void>): Promise<void> {
    const targets = [...this.links].filter((link) => link.direction === direction);
    await Promise.all(targets.map(apply));
  }
}
