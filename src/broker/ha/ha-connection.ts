/**
 * Master side of one slave connection (ref §8.2 HAConnection): reads the slave's offset reports and streams commit-log
 * blocks from the requested offset. The first report is the start; every report is also the slave's ack.
 */
import type { Socket } from 'net';
import type { Logger } from 'pino';
import { MqError } from '../../common';
import { sleep } from '../../common';
import { BLOCK_HEADER_SIZE, ReportDecoder, encodeBlockHeader } from './ha-codec';
import type { HaOptions } from './ha-options';
import type { HAStore } from './ha-store';

/** What the connection tells its service. */
export interface HAConnectionEvents {
  /** The slave acknowledged `offset` (every report). */
  onAck(conn: HAConnection, offset: number): void;
  /** The connection is gone (closed by either side); called once. */
  onClose(conn: HAConnection): void;
}

/** Bytes allowed in the socket's user-space buffer before the transfer waits for 'drain'. */
const SEND_BUFFER_BYTES = 4 * 1024 * 1024;
/** Blocks read from the commit log at once (each still at most haTransferBatchSize on the wire). */
const READ_AHEAD_BLOCKS = 32;

export class HAConnection {
  /** The slave's address, ip:port. */
  readonly address: string;
  /** When the connection was accepted (ms since epoch). */
  readonly connectedAt = Date.now();
  /** First reported offset; -1 until the slave has reported. */
  requestOffset = -1;
  /** Latest acknowledged offset; -1 until the slave has reported. */
  ackedOffset = -1;
  /** Next commit-log offset to send; -1 until the transfer has started. */
  nextTransferOffset = -1;
  /** Last time a byte was read from the slave (housekeeping). */
  lastReadAt = Date.now();
  /** Bytes of commit log sent to this slave. */
  bytesSent = 0;
  /** Last block or heartbeat written (master heartbeat timing). */
  private lastWriteAt = Date.now();
  private readonly decoder = new ReportDecoder();
  private closed = false;
  /** Resolves the transfer loop's idle sleep early; set only while it sleeps. */
  private wake: (() => void) | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly store: HAStore,
    private readonly options: HaOptions,
    private readonly logger: Logger,
    private readonly events: HAConnectionEvents,
  ) {
    this.address = `${(socket.remoteAddress ?? '?').replace(/^::ffff:/, '')}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.close('socket error', err));
    socket.on('close', () => this.close('closed by the slave'));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** New bytes may be in the commit log: wakes the transfer loop if it is sleeping. */
  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Closes the connection (idempotent); `reason` is logged. */
  close(reason: string, err?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.logger.info({ slave: this.address, reason, err, ackedOffset: this.ackedOffset }, 'HA slave connection closed');
    this.socket.destroy();
    this.notify();
    this.events.onClose(this);
  }

  /** Slave reports: the first starts the transfer, each one acknowledges. */
  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    let reports: number[];
    try {
      reports = this.decoder.push(chunk);
    } catch (err) {
      this.close('bad report from the slave', err);
      return;
    }
    if (reports.length === 0) return;
    // Only the newest report matters (ref §8.2: "the last complete 8-byte value").
    const offset = reports[reports.length - 1];
    const max = this.store.getMaxPhyOffset();
    if (offset > max) {
      // The slave claims bytes the master never wrote (e.g. the master lost data): streaming would corrupt it.
      this.logger.error(
        { slave: this.address, slaveOffset: offset, masterMaxOffset: max },
        'HA slave reports an offset beyond the master commit log; closing',
      );
      this.close('slave ahead of master');
      return;
    }
    this.ackedOffset = offset;
    if (this.requestOffset < 0) {
      this.requestOffset = offset;
      void this.transferLoop();
    }
    this.events.onAck(this, offset);
  }

  /** Where streaming starts: the requested offset, or the start of the last commit-log file for an empty slave. */
  private startOffset(): number {
    if (this.requestOffset > 0) return this.requestOffset;
    const max = this.store.getMaxPhyOffset();
    const fileSize = this.store.options.mappedFileSizeCommitLog;
    return max - (max % fileSize);
  }

  /**
   * Streams from the start offset for the life of the connection: read what the commit log has, write it, and sleep
   * (until notified or the poll interval) when there is nothing new; heartbeat when idle for haSendHeartbeatInterval.
   */
  private async transferLoop(): Promise<void> {
    try {
      this.nextTransferOffset = this.startOffset();
      const min = this.store.getMinPhyOffset();
      if (this.nextTransferOffset < min && this.nextTransferOffset < this.store.getMaxPhyOffset()) {
        throw new MqError(
          'NOT_FOUND',
          `HA slave ${this.address} requests offset ${this.nextTransferOffset} but the master retains from ${min}; ` +
            'the slave needs a fresh copy (empty its store) or a longer fileReservedTime on the master',
        );
      }
      this.logger.info({ slave: this.address, from: this.nextTransferOffset }, 'HA transfer started');
      let sinceYield = 0;
      while (!this.closed) {
        // One read of up to READ_AHEAD_BLOCKS blocks, sent as blocks of at most haTransferBatchSize in one corked write:
        // the wire format is unchanged, with fewer read and write system calls.
        const batch = this.options.haTransferBatchSize;
        const data = this.store.readCommitLog(this.nextTransferOffset, batch * READ_AHEAD_BLOCKS);
        if (data && data.length > 0) {
          this.socket.cork();
          for (let at = 0; at < data.length; at += batch) {
            const part = data.subarray(at, Math.min(data.length, at + batch));
            this.writeBlock(this.nextTransferOffset, part);
            this.nextTransferOffset += part.length;
            this.bytesSent += part.length;
          }
          this.socket.uncork();
          // Keep up to SEND_BUFFER_BYTES queued in the socket (blocks are small next to it), and let other work run
          // now and then while catching up, since reading is synchronous.
          if (this.socket.writableLength >= SEND_BUFFER_BYTES) await this.drained();
          else if (++sinceYield >= 4) {
            sinceYield = 0;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          continue;
        }
        if (Date.now() - this.lastWriteAt >= this.options.haSendHeartbeatInterval) {
          // Header-only heartbeat carrying the next transfer offset (ref §8.2).
          if (!this.writeBlock(this.nextTransferOffset, null)) await this.drained();
          continue;
        }
        await this.idle();
      }
    } catch (err) {
      this.logger.error({ slave: this.address, err }, 'HA transfer failed');
      this.close('transfer failed', err);
    }
  }

  /** Writes one block; false when the socket buffer is full. */
  private writeBlock(phyOffset: number, data: Buffer | null): boolean {
    this.lastWriteAt = Date.now();
    const header = encodeBlockHeader(phyOffset, data ? data.length : 0);
    if (!data) return this.socket.write(header);
    // Small blocks go out as one write; big ones avoid the copy.
    if (data.length <= 4 * BLOCK_HEADER_SIZE) return this.socket.write(Buffer.concat([header, data]));
    this.socket.write(header);
    return this.socket.write(data);
  }

  private drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Sleeps until notified, or the poll interval passes (a put without notification is still picked up). */
  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      void sleep(this.options.haTransferPollInterval).then(() => {
        if (this.wake === resolve) this.wake = null;
        resolve();
      });
    });
  }
}
