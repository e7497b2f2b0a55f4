/**
 * Slave side of replication (ref §8.2 HAClient): connects to the master's HA address, reports its max commit-log
 * offset (at connect, after each append, and every haSendHeartbeatInterval), checks that every block starts exactly at
 * its own max offset, and appends with `store.appendCommitLogRaw`. Any break, gap or mismatch drops the connection
 * (logged); it reconnects after haConnectRetryInterval and resumes from its own max offset. It never writes anywhere
 * but at its own end.
 *
 * Integration (broker, SLAVE role): construct with the store, `start()`, and call `setMasterAddress(haServerAddr)`
 * whenever a REGISTER_BROKER answer carries one (or rely on the haMasterAddress option); `await shutdown()` before
 * the store shuts down.
 */
import net from 'net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { splitHostPort } from '../../common';
import { haHandshakeSlave } from './ha-auth';
import { BlockDecoder, encodeReport } from './ha-codec';
import type { TransferBlock } from './ha-codec';
import { attachHaMetrics } from './ha-metrics';
import { resolveHaOptions } from './ha-options';
import type { HaOptions } from './ha-options';
import type { HAStore } from './ha-store';

/** Connection state; changed only by setStatus(), which logs the transition. */
export type HAClientStatus = 'idle' | 'connecting' | 'connected' | 'stopped';

export interface HAClientDeps {
  logger: Logger;
  registry?: Registry;
  /**
   * Asked before each connection attempt; false postpones it to the next retry. The broker uses it to connect only
   * once the master is known to hold this store's log (log identity checked by the metadata sync).
   */
  mayConnect?: () => boolean;
  /** Called when a connection ends (any reason), before the next attempt. */
  onDisconnected?: () => void;
}

/** Most bytes of contiguous blocks handed to the store in one append. */
const MAX_APPEND_BYTES = 4 * 1024 * 1024;
/** Above this many queued bytes the socket is paused until the appends catch up. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

/** One live connection and its receive queue. */
interface Link {
  socket: net.Socket;
  /** Master -> slave stream decoder; its size limit guards against a corrupt header. */
  decoder: BlockDecoder;
  /** Decoded blocks not yet appended, in stream order. */
  queue: TransferBlock[];
  /** Data bytes in `queue` (flow control of the socket). */
  queuedBytes: number;
  /** True while process() runs: appends are strictly sequential. */
  processing: boolean;
  /** Last time anything arrived (housekeeping). */
  lastReadAt: number;
  /** Last time a report was sent (heartbeat). */
  lastReportAt: number;
  /** Offset last reported; -1 before the first report. */
  reported: number;
}

export class HAClient {
  readonly options: HaOptions;
  private readonly logger: Logger;
  private statusValue: HAClientStatus = 'idle';
  private master: string;
  private link: Link | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastAttemptAt = 0;
  private detachMetrics: () => void = () => undefined;
  /** Counters a test or a health check may read. */
  readonly stats = { connects: 0, blocks: 0, bytes: 0, mismatches: 0, appendFailures: 0 };
  /** Highest offset the master has told us about (block ends and heartbeats). */
  private masterOffsetSeen = 0;

  constructor(
    private readonly store: HAStore,
    options: Record<string, unknown> | HaOptions,
    private readonly deps: HAClientDeps,
  ) {
    this.options = resolveHaOptions({ ...options });
    this.logger = deps.logger.child({ component: 'ha-slave' });
    this.master = this.options.haMasterAddress;
  }

  get status(): HAClientStatus {
    return this.statusValue;
  }

  /** The master HA address in use ('' when unknown). */
  get masterAddress(): string {
    return this.master;
  }

  /** The master's offset as last seen in a block or heartbeat (0 before any). */
  get masterOffset(): number {
    return this.masterOffsetSeen;
  }

  /** Starts the connect/heartbeat/housekeeping timer and connects at once when the master address is known. */
  start(): void {
    if (this.timer || this.statusValue === 'stopped') return;
    const tick = Math.max(5, Math.min(500, this.options.haSendHeartbeatInterval, this.options.haConnectRetryInterval));
    this.timer = setInterval(() => this.tick(), tick);
    this.timer.unref();
    this.detachMetrics = attachHaMetrics(this.deps.registry, {
      connections: () => [{ role: 'slave', peer: this.master || 'unknown', connected: this.statusValue === 'connected' ? 1 : 0 }],
    });
    this.tick();
  }

  /**
   * Sets the master HA address (ip:port), e.g. from the REGISTER_BROKER answer's haServerAddr. A configured
   * haMasterAddress wins. A changed address drops the current connection; '' or null forgets the master.
   */
  setMasterAddress(addr: string | null | undefined): void {
    if (this.options.haMasterAddress) return;
    const next = addr ?? '';
    if (next === this.master) return;
    this.logger.info({ from: this.master, to: next }, 'HA master address changed');
    this.master = next;
    this.dropLink('master address changed');
    this.lastAttemptAt = 0;
    if (this.timer) this.tick();
  }

  /** Stops reconnecting and closes the connection. */
  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.dropLink('shutdown');
    this.setStatus('stopped');
    this.detachMetrics();
  }

  private setStatus(next: HAClientStatus, info: Record<string, unknown> = {}): void {
    if (next === this.statusValue) return;
    this.logger.info({ from: this.statusValue, to: next, master: this.master, ...info }, 'HA client status');
    this.statusValue = next;
  }

  /** Timer: connect when due, heartbeat report, housekeeping. */
  private tick(): void {
    if (this.statusValue === 'stopped') return;
    const now = Date.now();
    const link = this.link;
    if (!link) {
      if (this.master && now - this.lastAttemptAt >= this.options.haConnectRetryInterval) {
        // Not yet allowed: asked again at the next tick (the answer may come from a request in flight).
        if (this.deps.mayConnect && !this.deps.mayConnect()) return;
        this.connect();
      }
      return;
    }
    if (this.statusValue === 'connecting' && now - this.lastAttemptAt > this.options.haHousekeepingInterval) {
      this.logger.warn({ master: this.master }, 'HA connect did not complete within haHousekeepingInterval');
      this.dropLink('connect timeout');
      return;
    }
    if (this.statusValue !== 'connected') return;
    if (now - link.lastReadAt > this.options.haHousekeepingInterval) {
      this.logger.warn(
        { master: this.master, silentMs: now - link.lastReadAt, limit: this.options.haHousekeepingInterval },
        'HA master silent past haHousekeepingInterval; reconnecting',
      );
      this.dropLink('housekeeping');
      return;
    }
    if (now - link.lastReportAt >= this.options.haSendHeartbeatInterval) this.report(link, true);
  }

  /** Opens a connection to the master; every event handler checks that its link is still the current one. */
  private connect(): void {
    this.lastAttemptAt = Date.now();
    let host: string;
    let port: number;
    try {
      ({ host, port } = splitHostPort(this.master));
    } catch (err) {
      this.logger.error({ master: this.master, err }, 'HA master address is not ip:port (set haMasterAddress)');
      return;
    }
    this.setStatus('connecting');
    const socket = net.connect({ host, port });
    const link: Link = {
      socket,
      decoder: new BlockDecoder(Math.max(this.options.haMaxBlockSize, this.options.haTransferBatchSize)),
      queue: [],
      queuedBytes: 0,
      processing: false,
      lastReadAt: Date.now(),
      lastReportAt: 0,
      reported: -1,
    };
    this.link = link;
    socket.setNoDelay(true);
    const connected = (): void => {
      if (this.link !== link) return;
      this.stats.connects++;
      link.lastReadAt = Date.now();
      socket.on('data', (chunk: Buffer) => this.onData(link, chunk));
      socket.resume();
      this.setStatus('connected', { fromOffset: this.store.getMaxPhyOffset() });
      // The first report is where the master starts streaming (ref §8.2).
      this.report(link, true);
    };
    socket.once('connect', () => {
      if (this.link !== link) return;
      const secret = this.options.clusterSecret;
      if (secret === '') {
        connected();
        return;
      }
      // clusterSecret: both sides prove the secret before the first report (see ha-auth.ts).
      haHandshakeSlave(socket, secret, Math.min(10_000, this.options.haHousekeepingInterval)).then(connected, (err: Error) => {
        if (this.link !== link) return;
        this.logger.warn({ master: this.master, err: err.message }, 'HA master failed authentication; reconnecting later');
        this.dropLink('authentication failed');
      });
    });
    socket.on('error', (err) => {
      if (this.link === link) this.logger.warn({ master: this.master, err: err.message }, 'HA connection error');
    });
    socket.on('close', () => {
      // A link dropped on purpose was already replaced or cleared; only an unexpected close changes state here.
      if (this.link !== link) return;
      this.link = null;
      this.lastAttemptAt = Date.now();
      if (this.statusValue !== 'stopped') this.setStatus('idle', { reason: 'connection closed' });
    });
  }

  /** Closes the current connection; queued blocks of it are discarded (the next connection resumes at our end). */
  private dropLink(reason: string): void {
    const link = this.link;
    if (!link) return;
    this.link = null;
    link.queue = [];
    link.queuedBytes = 0;
    link.socket.destroy();
    this.lastAttemptAt = Date.now();
    if (this.statusValue !== 'stopped') this.setStatus('idle', { reason });
    this.deps.onDisconnected?.();
  }

  /** Decodes and queues blocks; a stale link's data (after a drop) is ignored. */
  private onData(link: Link, chunk: Buffer): void {
    if (this.link !== link) return;
    link.lastReadAt = Date.now();
    let blocks: TransferBlock[];
    try {
      blocks = link.decoder.push(chunk);
    } catch (err) {
      this.logger.error({ master: this.master, err }, 'HA stream from the master is malformed; reconnecting');
      this.dropLink('protocol error');
      return;
    }
    for (const b of blocks) {
      link.queue.push(b);
      link.queuedBytes += b.data.length;
    }
    // Back-pressure: stop reading while the store is behind; process() resumes the socket.
    if (link.queuedBytes > MAX_QUEUED_BYTES) link.socket.pause();
    if (!link.processing && link.queue.length > 0) void this.process(link);
  }

  /** Appends queued blocks one at a time, in order; reports our new end when the queue is empty. */
  private async process(link: Link): Promise<void> {
    link.processing = true;
    try {
      while (this.link === link && link.queue.length > 0) {
        const own = this.store.getMaxPhyOffset();
        const first = link.queue[0];
        // An empty slave takes the master's start (the last file); otherwise the block must continue our log exactly.
        if (own !== 0 && first.phyOffset !== own) {
          this.stats.mismatches++;
          this.logger.error(
            { master: this.master, blockOffset: first.phyOffset, slaveMaxOffset: own, size: first.data.length },
            'HA block does not start at the slave max offset; nothing written, reconnecting',
          );
          this.dropLink('offset mismatch');
          return;
        }
        // Take the run of queued blocks that continue each other exactly, up to MAX_APPEND_BYTES, as one append:
        // one store write per run instead of one per haTransferBatchSize block. A block that does not continue the
        // run stays queued and is refused by the check above on the next turn.
        const parts: Buffer[] = [];
        const start = first.phyOffset;
        let end = first.phyOffset;
        let bytes = 0;
        while (link.queue.length > 0 && link.queue[0].phyOffset === end && bytes < MAX_APPEND_BYTES) {
          const b = link.queue.shift()!;
          link.queuedBytes -= b.data.length;
          if (b.data.length > 0) parts.push(b.data);
          end += b.data.length;
          bytes += b.data.length;
        }
        if (link.queuedBytes <= MAX_QUEUED_BYTES / 2 && link.socket.isPaused()) link.socket.resume();
        this.masterOffsetSeen = Math.max(this.masterOffsetSeen, end);
        if (bytes === 0) continue; // heartbeats only
        const data = parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes);
        const ok = await this.store.appendCommitLogRaw(start, data);
        if (!ok) {
          this.stats.appendFailures++;
          this.logger.error({ master: this.master, blockOffset: start, size: bytes }, 'HA append refused by the store; reconnecting');
          this.dropLink('append failed');
          return;
        }
        this.stats.blocks += parts.length;
        this.stats.bytes += bytes;
        // Ack every append at once: a SYNC_MASTER put is waiting for it (ref §8.3).
        this.report(link, false);
      }
    } catch (err) {
      this.logger.error({ master: this.master, err }, 'HA append failed; reconnecting');
      this.dropLink('append error');
    } finally {
      link.processing = false;
    }
  }

  /** Sends our max offset; unless `force`, only when it moved since the last report. */
  private report(link: Link, force: boolean): void {
    if (this.link !== link || link.socket.destroyed || this.statusValue !== 'connected') return;
    const max = this.store.getMaxPhyOffset();
    if (!force && max === link.reported) return;
    link.reported = max;
    link.lastReportAt = Date.now();
    link.socket.write(encodeReport(max));
  }
}
