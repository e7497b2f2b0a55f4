/**
 * An in-memory commit log with the HA hooks of src/store (HAStore), for HA tests that must not depend on the real
 * store's internals: reads never cross a file boundary, raw appends must continue the log exactly.
 */
import type { HAStore, ReplicationResult, ReplicationWaiter } from '../../../src/broker/ha/ha-store';

export class FakeStore implements HAStore {
  readonly options: { mappedFileSizeCommitLog: number };
  replicationWaiter?: ReplicationWaiter;
  replicatedOffset?: number | (() => number);
  /** Offset of data[0]. */
  private base = 0;
  private data = Buffer.alloc(0);
  /** When set, appendCommitLogRaw waits on this promise first (a stalled slave). */
  stall: Promise<void> | null = null;
  appendCalls: Array<{ start: number; size: number }> = [];

  constructor(fileSize = 4096, base = 0) {
    this.options = { mappedFileSizeCommitLog: fileSize };
    this.base = base;
  }

  getMaxPhyOffset(): number {
    return this.base + this.data.length;
  }

  getMinPhyOffset(): number {
    return this.base;
  }

  /** The bytes held, from `from` (default the start) to the end. */
  bytes(from = this.base): Buffer {
    return this.data.subarray(from - this.base);
  }

  readCommitLog(fromOffset: number, maxBytes: number): Buffer | null {
    if (fromOffset < this.base || fromOffset >= this.getMaxPhyOffset()) return null;
    const fileEnd = fromOffset - (fromOffset % this.options.mappedFileSizeCommitLog) + this.options.mappedFileSizeCommitLog;
    const end = Math.min(this.getMaxPhyOffset(), fromOffset + maxBytes, fileEnd);
    return this.data.subarray(fromOffset - this.base, end - this.base);
  }

  async appendCommitLogRaw(startOffset: number, data: Buffer): Promise<boolean> {
    this.appendCalls.push({ start: startOffset, size: data.length });
    if (this.stall) await this.stall;
    if (this.data.length === 0 && this.base === 0) this.base = startOffset;
    if (startOffset !== this.getMaxPhyOffset()) return false;
    this.data = Buffer.concat([this.data, data]);
    return true;
  }

  /** Master side: appends `data` as a put would; with `sync`, waits for the replication result like SYNC_MASTER. */
  async put(data: Buffer, sync = false): Promise<ReplicationResult> {
    this.data = Buffer.concat([this.data, data]);
    if (!sync) return 'PUT_OK';
    if (!this.replicationWaiter) throw new Error('no replicationWaiter installed');
    return this.replicationWaiter(this.getMaxPhyOffset());
  }
}
