/**
 * Store recovery at load (ref §5.7):
 *  1. Commit log: after a clean exit walk from the third-last segment; after a crash (abort file present) from the
 *     newest segment whose first record is older than the checkpoint's min timestamp. Records are checked (magic,
 *     lengths, PHYSICALOFFSET, body CRC when checkCRCOnRecover); the first bad one ends the log, and everything after
 *     it is zeroed / removed. A corrupt record is therefore never served.
 *  2. Consume queues: loaded, then truncated to the recovered end (after a crash: to the checkpoint's dispatch
 *     offset, everything after it is re-dispatched).
 *  3. Index: after a crash, files newer than the checkpoint are destroyed.
 *  4. Re-dispatch from the earliest point some derived structure is missing (checkpoint offset for consume queues,
 *     last indexed message for the index; the whole log when a queue listed in `consumequeue/.queues` has lost its
 *     files), so consume queues and the index are always rebuilt from the commit log.
 *  5. The topic-queue offset table is rebuilt from the consume queues and their min offsets are corrected.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MESSAGE_MAGIC, readLong, storeTimestampPos } from '../common/message';
import { Checkpoint } from './checkpoint';
import { parseDispatch } from './dispatch';
import type { StoreContext } from './store-context';
import { scanRecords } from './record-scanner';
import type { SegmentFile } from './segment-file';

function firstStoreTime(seg: SegmentFile): number {
  const b = seg.readSync(0, 128);
  if (b.length < 128 || b.readInt32BE(4) !== MESSAGE_MAGIC) return -1;
  return readLong(b, storeTimestampPos(b.readInt32BE(36)));
}

export async function recoverStore(store: StoreContext): Promise<void> {
  const o = store.options;
  const root = o.storePathRootDir;
  const log = store.commitLog;
  const abnormal = fs.existsSync(store.abortFile());
  const cp = new Checkpoint(path.join(root, 'checkpoint'));
  store.checkpoint = cp;
  log.load();

  // 1. Commit log.
  let end = 0;
  if (log.segments.length > 0) {
    let startIdx = Math.max(0, log.segments.length - 3);
    if (abnormal) {
      startIdx = 0;
      const minTs = cp.existed ? cp.minTimestamp() : 0;
      for (let i = log.segments.length - 1; i >= 0; i--) {
        const t = firstStoreTime(log.segments[i]);
        if (t >= 0 && t <= minTs) {
          startIdx = i;
          break;
        }
      }
    }
    const from = log.segments[startIdx].fileFromOffset;
    const r = await scanRecords(log, from, Number.MAX_SAFE_INTEGER, o.checkCRCOnRecover, () => undefined);
    end = r.end;
    if (r.stoppedOnBad) {
      store.logger.warn({ end, abnormal }, 'commit log ends in bytes that are not a valid record; truncating there');
    }
    store.logger.info({ from, end, records: r.records, abnormal }, 'commit log recovered');
  }
  log.setRecoveredEnd(end);
  const minPhy = log.minOffset();

  // 2. Consume queues.
  // After a crash, units past the checkpoint's dispatch offset are rebuilt rather than trusted (a unit torn by the
  // kill would otherwise stay), so each queue is cut back to what the checkpoint confirmed.
  const cqEnd = abnormal && cp.existed ? Math.min(end, cp.logicsPhyOffset) : end;
  const cqRoot = path.join(root, 'consumequeue');
  const listed = store.queueRegistry.load();
  let missingQueueFiles = false;
  let topics: string[] = [];
  try {
    topics = fs.readdirSync(cqRoot);
  } catch {
    topics = [];
  }
  for (const topic of topics) {
    let qids: string[] = [];
    try {
      qids = fs.readdirSync(path.join(cqRoot, topic));
    } catch {
      continue;
    }
    for (const q of qids) {
      if (!/^\d+$/.test(q)) continue;
      const cq = store.findOrCreateCq(topic, Number(q));
      cq.load();
      if (cq.segments.length === 0) missingQueueFiles = true;
      cq.truncateDirty(cqEnd);
    }
  }
  // A queue the store once created whose files are gone is rebuilt by a full re-dispatch.
  for (const q of listed ?? []) {
    const cq = store.findCq(q.topic, q.queueId);
    if (!cq || cq.segments.length === 0) {
      store.logger.warn({ topic: q.topic, queueId: q.queueId }, 'consume queue files missing; rebuilding from the commit log');
      missingQueueFiles = true;
    }
  }
  if (log.segments.length === 0) {
    for (const cq of store.cqs.values()) cq.destroy();
    store.cqs.clear();
  }

  // 3. Index.
  if (o.messageIndexEnable) store.index.load(abnormal, cp.existed ? cp.indexPhyOffset : -1);

  // 4. Re-dispatch.
  // No queue list (a store made before it existed, or consumequeue/ removed): rebuild every queue.
  const fullReplay = missingQueueFiles || !cp.existed || (listed === null && end > minPhy);
  let from = fullReplay ? minPhy : cp.logicsPhyOffset;
  if (o.messageIndexEnable) from = Math.min(from, store.index.replayFrom());
  from = Math.max(minPhy, Math.min(from, end));
  store.dispatchedPos = from;
  if (from < end) {
    let n = 0;
    const r = await scanRecords(log, from, end, false, (buf, off) => {
      store.dispatch(parseDispatch(buf, off, store.delayLevels));
      if (++n % 10000 === 0) store.finishDispatchRound();
    });
    store.finishDispatchRound();
    store.logger.info({ from, end: r.end, records: r.records }, 'consume queues and index re-dispatched');
  }
  store.dispatchedPos = end;

  // 5. Queue offsets and min offsets.
  for (const cq of store.cqs.values()) {
    store.setNextQueueOffset(cq.topic, cq.queueId, cq.maxOffset);
    cq.deleteExpired(minPhy);
  }
  store.lastWrittenTs = cp.physicMsgTimestamp;
}
