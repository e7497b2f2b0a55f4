/**
 * Where the client learns the name-server addresses. Three sources sit behind one interface: a static list, a DNS
 * name (A/SRV records, re-resolved on a timer; a blue/green switch changes its answer) and RocketMQ's HTTP address
 * server (ref §7.4). The route cache listens for `change` and moves to the new name servers at once.
 */
import { EventEmitter } from 'events';
import type { Logger } from 'pino';
import { MqError, splitHostPort } from '../../common';

/** Emits `change(addresses, previous)` whenever the sorted address list changes. */
export interface NameServerAddressProvider {
  /** The current addresses, `host:port` each; empty until the first successful lookup. */
  current(): string[];
  /** Does the first lookup (resolves even when it fails; the failure is logged and retried), then starts the timer. */
  start(): Promise<void>;
  /** Stops the refresh timer. */
  stop(): void;
  /** A short description for logs and errors, e.g. `dns:ns.example:9876`. */
  describe(): string;
  on(event: 'change', listener: (addresses: string[], previous: string[]) => void): this;
  off(event: 'change', listener: (addresses: string[], previous: string[]) => void): this;
}

/**
 * Parses RocketMQ's address list format: `host:port;host:port` (ref §7.4). Blank entries are skipped; duplicates
 * are dropped; the result is sorted so that equal sets compare equal.
 * @throws MqError('INVALID_ARGUMENT') naming `source` when an entry is not host:port.
 */
export function parseAddressList(text: string, source: string): string[] {
  const out = new Set<string>();
  for (const raw of text.split(';')) {
    const a = raw.trim();
    if (a === '') continue;
    try {
      splitHostPort(a);
    } catch (err) {
      throw new MqError('INVALID_ARGUMENT', `${source}: name-server address ${JSON.stringify(a)} is not host:port`, {
        cause: err,
      });
    }
    out.add(a);
  }
  return [...out].sort();
}

/** Shared timer and change-detection logic of the refreshing providers. */
export abstract class RefreshingAddressProvider extends EventEmitter implements NameServerAddressProvider {
  private addresses: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inflight: Promise<void> | undefined;

  protected constructor(
    protected readonly logger: Logger,
    private readonly refreshMs: number,
  ) {
    super();
  }

  /** Looks the addresses up once; rejects on failure (the previous list is then kept). */
  protected abstract lookup(): Promise<string[]>;

  abstract describe(): string;

  current(): string[] {
    return this.addresses.slice();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.refresh();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Looks up now (one lookup at a time) and emits `change` if the answer differs. Never rejects. */
  refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    this.inflight = this.lookup()
      .then((next) => this.apply(next))
      .catch((err: unknown) => {
        // Keep the last good list: a flaky DNS or address server must not empty the client's view.
        this.logger.warn(
          { err, source: this.describe(), kept: this.addresses },
          'name-server address lookup failed; keeping the previous list',
        );
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private apply(next: string[]): void {
    const sorted = [...new Set(next)].sort();
    if (sorted.length === 0) {
      this.logger.warn({ source: this.describe(), kept: this.addresses }, 'name-server lookup returned no address');
      return;
    }
    if (sorted.join(';') === this.addresses.join(';')) return;
    const previous = this.addresses;
    this.addresses = sorted;
    this.logger.info({ source: this.describe(), addresses: sorted, previous }, 'name-server addresses changed');
    this.emit('change', sorted.slice(), previous.slice());
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.refresh().then(() => this.schedule());
    }, this.refreshMs);
    // The client's lifetime is governed by start/shutdown, not by this timer.
    this.timer.unref();
  }
}
