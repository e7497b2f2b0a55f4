/**
 * A name-server list set from outside (the gateway's generation manager): each cluster generation's client gets one,
 * so that a change to another cluster opens a new client instead of moving the old one (apache/rocketmq#2090).
 */
import { EventEmitter } from 'events';
import type { NameServerAddressProvider } from './address-provider';

export class MutableAddressProvider extends EventEmitter implements NameServerAddressProvider {
  private addresses: string[];

  constructor(
    initial: readonly string[],
    private readonly label = 'generation',
  ) {
    super();
    this.addresses = [...new Set(initial)].sort();
  }

  current(): string[] {
    return this.addresses.slice();
  }

  /** Replaces the list; emits `change` when it differs. */
  set(next: readonly string[]): void {
    const sorted = [...new Set(next)].sort();
    if (sorted.length === 0 || sorted.join(';') === this.addresses.join(';')) return;
    const previous = this.addresses;
    this.addresses = sorted;
    this.emit('change', sorted.slice(), previous.slice());
  }

  async start(): Promise<void> {
    // Fed by set().
  }

  stop(): void {
    // No timer.
  }

  describe(): string {
    return `${this.label}:${this.addresses.join(';')}`;
  }
}
