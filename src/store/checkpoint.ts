/**
 * The checkpoint file (ref §5.6): 4096 bytes, three i64 timestamps at 0, 8 and 16 as in RocketMQ, plus two i64
 * offsets of our own in the unused space:
 *   0  physicMsgTimestamp   store time of the last fsynced commit-log record
 *   8  logicsMsgTimestamp   store time of the last record whose consume-queue unit was fsynced
 *   16 indexMsgTimestamp    store time of the last durable index entry
 *   24 logicsPhyOffset      commit-log offset up to which consume queues were fsynced (re-dispatch start)
 *   32 indexPhyOffset       commit-log offset up to which the index was complete and durable (-1 = unknown)
 */
import * as fs from 'fs';
import { readLong, writeLong } from '../common/message';

const SIZE = 4096;

export class Checkpoint {
  physicMsgTimestamp = 0;
  logicsMsgTimestamp = 0;
  indexMsgTimestamp = 0;
  logicsPhyOffset = 0;
  indexPhyOffset = -1;
  /** False when the file did not exist at open. */
  readonly existed: boolean;
  private readonly fd: number;

  constructor(readonly file: string) {
    this.existed = fs.existsSync(file);
    this.fd = fs.openSync(file, this.existed ? 'r+' : 'w+');
    if (!this.existed) fs.ftruncateSync(this.fd, SIZE);
    const b = Buffer.alloc(40);
    fs.readSync(this.fd, b, 0, 40, 0);
    this.physicMsgTimestamp = readLong(b, 0);
    this.logicsMsgTimestamp = readLong(b, 8);
    this.indexMsgTimestamp = readLong(b, 16);
    this.logicsPhyOffset = readLong(b, 24);
    this.indexPhyOffset = this.existed ? readLong(b, 32) : -1;
  }

  /** min(physic, logics) - 3 s, floored at 0 (ref §5.6). */
  minTimestamp(): number {
    return Math.max(0, Math.min(this.physicMsgTimestamp, this.logicsMsgTimestamp) - 3000);
  }

  /** Writes the values and fsyncs. */
  async flush(): Promise<void> {
    const b = Buffer.alloc(40);
    writeLong(b, this.physicMsgTimestamp, 0);
    writeLong(b, this.logicsMsgTimestamp, 8);
    writeLong(b, this.indexMsgTimestamp, 16);
    writeLong(b, this.logicsPhyOffset, 24);
    writeLong(b, this.indexPhyOffset, 32);
    fs.writeSync(this.fd, b, 0, 40, 0);
    await new Promise<void>((resolve, reject) => fs.fdatasync(this.fd, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
