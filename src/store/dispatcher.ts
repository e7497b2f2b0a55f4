/**
 * The dispatcher (RocketMQ's "reput" service, ref §5.4): turns each written record into its consume-queue unit and
 * index entries, writes them once per round, then calls the arrival listeners (long-polling wake-ups, ref §9). On a
 * slave it parses the replicated bytes itself, leaving a partial record for the next round.
 */
import {
  BLANK_MAGIC,
  MESSAGE_MAGIC,
  TRANSACTION_COMMIT_TYPE,
  TRANSACTION_NOT_TYPE,
  transactionType,
} from '../common/message';
import type { ConsumeQueue } from './consume-queue';
import { DispatchRequest, checkRecordAt, parseDispatch } from './dispatch';
import type { StoreContext } from './store-context';
import type { ArrivalListener } from './types';

type Arrival = [string, number, number, number, number, Record<string, string>];

export class Dispatcher {
  readonly listeners: ArrivalListener[] = [];
  private readonly dirtyCqs = new Set<ConsumeQueue>();
  private arrivals: Arrival[] = [];

  constructor(private readonly store: StoreContext) {}

  /** Adds one record to its consume queue (normal and committed messages only, ref §5.3) and to the index. */
  dispatch(r: DispatchRequest): void {
    const s = this.store;
    const tt = transactionType(r.sysFlag);
    if (tt === TRANSACTION_NOT_TYPE || tt === TRANSACTION_COMMIT_TYPE) {
      const cq = s.findOrCreateCq(r.topic, r.queueId);
      if (cq.put(r.queueOffset, r.physicalOffset, r.size, r.tagsCode)) {
        this.dirtyCqs.add(cq);
        if (this.listeners.length) {
          this.arrivals.push([r.topic, r.queueId, r.queueOffset + 1, r.tagsCode, r.storeTimestamp, r.properties]);
        }
        // Re-dispatch (recovery, slave) also moves the next queue offset forward.
        if (s.nextQueueOffset(r.topic, r.queueId) < r.queueOffset + 1) {
          s.setNextQueueOffset(r.topic, r.queueId, r.queueOffset + 1);
        }
      }
    }
    if (s.options.messageIndexEnable) s.index.dispatch(r);
    s.lastDispatchedTs = r.storeTimestamp;
  }

  /** Writes the units and index entries of this round (one write per file), then calls the listeners. */
  finishRound(): void {
    for (const cq of this.dirtyCqs) cq.writePending();
    this.dirtyCqs.clear();
    if (this.store.options.messageIndexEnable) this.store.index.writePending();
    const arrivals = this.arrivals;
    this.arrivals = [];
    for (const a of arrivals) {
      for (const l of this.listeners) {
        try {
          l(a[0], a[1], a[2], a[3], a[4], a[5]);
        } catch (err) {
          this.store.logger.warn({ err }, 'arrival listener threw');
        }
      }
    }
  }

  /** Slave: parses and dispatches the records written since the last round (a partial record waits). */
  dispatchWrittenLog(): void {
    const s = this.store;
    const log = s.commitLog;
    while (s.dispatchedPos < log.writtenPos) {
      const pos = s.dispatchedPos;
      const seg = log.segmentFor(pos);
      if (!seg) return;
      const rel = pos - seg.fileFromOffset;
      const avail = Math.min(log.writtenPos, seg.endOffset) - pos;
      if (avail < 8) return;
      let chunk = seg.readSync(rel, Math.min(avail, 4 * 1024 * 1024));
      let off = 0;
      let progressed = false;
      while (off + 8 <= chunk.length) {
        const total = chunk.readInt32BE(off);
        const magic = chunk.readInt32BE(off + 4);
        if (magic === BLANK_MAGIC) {
          s.dispatchedPos = seg.endOffset;
          progressed = true;
          break;
        }
        if (magic !== MESSAGE_MAGIC || total < 91) {
          s.logger.error({ offset: pos + off }, 'replicated data holds no record where one should start');
          return;
        }
        if (off + total > chunk.length) {
          // A record larger than the chunk but complete on disk: read it whole; otherwise wait for more data.
          if (off === 0 && total <= avail) {
            chunk = seg.readSync(rel, total);
            continue;
          }
          break;
        }
        if (checkRecordAt(chunk, off, pos + off, false) !== total) {
          s.logger.error({ offset: pos + off }, 'replicated record is malformed; dispatch stops');
          return;
        }
        this.dispatch(parseDispatch(chunk, off, s.delayLevels));
        off += total;
        s.dispatchedPos = pos + off;
        progressed = true;
      }
      if (!progressed) return;
    }
  }
}
