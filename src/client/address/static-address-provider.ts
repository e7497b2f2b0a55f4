/** A fixed name-server list, `host:port;host:port` (ref §7.4 `namesrvAddr`). */
import { EventEmitter } from 'events';
import type { NameServerAddressProvider } from './address-provider';
import { parseAddressList } from './address-provider';

export class StaticAddressProvider extends EventEmitter implements NameServerAddressProvider {
  private readonly addresses: string[];

  /** @throws MqError('INVALID_ARGUMENT') when an entry is not host:port or the list is empty. */
  constructor(list: string) {
    super();
    this.addresses = parseAddressList(list, 'option namesrvAddr');
  }

  current(): string[] {
    return this.addresses.slice();
  }

  async start(): Promise<void> {
    // Nothing to look up.
  }

  stop(): void {
    // No timer.
  }

  describe(): string {
    return `static:${this.addresses.join(';')}`;
  }
}
