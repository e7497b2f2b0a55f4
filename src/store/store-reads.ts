/**
 * Read paths of the store: getMessage (ref §8.4 transfer limits, suggestPullingFromSlave, tag filtering by hash code
 * in the consume queue), queue offset by time, and queryMessage by key.
 */
import { KEY_SEPARATOR, MESSAGE_MAGIC, PROP } from '../common/message';
import { CQ_UNIT_SIZE, CqUnit, decodeUnit, isBlankUnit } from './consume-queue';
import { checkRecordAt, parseDispatch } from './dispatch';
import type { StoreContext } from './store-context';
import type { GetMessageResult, GetMessageStatus, QueryMessageResult } from './types';

/** Largest single read when fetching several adjacent records at once, bytes. */
const MAX_GROUP_READ = 1024 * 1024;
/** Largest gap of foreign bytes read over to keep one read for several records, bytes. */
const MAX_GROUP_GAP = 64 * 1024;
/**
 * A read for pulls takes at least this many bytes (up to the written end and the segment end): a read costs about
 * the same up to a few hundred KiB, and the pulls of the other queues (whose records interleave with this one's)
 * and the next pull of this queue are then served from it.
 */
const READ_AHEAD = 256 * 1024;
/** Recent reads kept for later pulls, per store (oldest dropped first). */
const WINDOWS = 24;
/** Records at least this large are read on their own, never through the windows. */
const WINDOW_MAX_RECORD = 64 * 1024;

/** The bytes of one read: commit-log offsets [start, start + buf.length) of one segment. */
interface Window {
  seg: object;
  start: number;
  /** The bytes, or the read bringing them (pulls arriving meanwhile wait for it instead of reading again). */
  buf: Buffer | Promise<Buffer | null> | null;
  end: number;
}

/**
 * Recent commit-log reads of one store. Bytes below the written end never change while the log only grows; they
 * do when it is cut back (recovery sets a lower end): a written end lower than seen before drops everything.
 */
class ReadWindows {
  private list: Window[] = [];
  private lastWritten = 0;

  /** The window holding [from, to) of `seg`, if any; forgets everything when the log's end went back. */
  find(seg: object, from: number, to: number, written: number): Window | undefined {
    if (written < this.lastWritten) this.list = [];
    this.lastWritten = written;
    for (let i = this.list.length - 1; i >= 0; i--) {
      const w = this.list[i];
      if (w.seg === seg && w.start <= from && to <= w.end) return w;
    }
    return undefined;
  }

  add(w: Window): void {
    this.list.push(w);
    if (this.list.length > WINDOWS) this.list.shift();
  }

  drop(w: Window): void {
    const i = this.list.indexOf(w);
    if (i >= 0) this.list.splice(i, 1);
  }
}

const windowsOf = new WeakMap<StoreContext, ReadWindows>();

/**
 * Bytes [from, from + len) of the commit log for pulls: from a recent read that covers them, else by a read of at
 * least READ_AHEAD bytes that later pulls may use too. Null when they are not (fully) written or readable.
 */
async function readForPull(store: StoreContext, seg: { fileFromOffset: number; endOffset: number }, from: number, len: number): Promise<{ buf: Buffer; off: number } | null> {
  const log = store.commitLog;
  let windows = windowsOf.get(store);
  if (!windows) windowsOf.set(store, (windows = new ReadWindows()));
  const written = log.writtenPos;
  if (from + len > written) return null;
  let w = windows.find(seg, from, from + len, written);
  if (!w) {
    const end = Math.min(Math.max(from + len, from + READ_AHEAD), written, seg.endOffset);
    const pending = log.read(from, end - from);
    const fresh: Window = { seg, start: from, end, buf: pending };
    windows.add(fresh);
    pending.then(
      (b) => {
        if (b) fresh.buf = b;
        else windows.drop(fresh);
      },
      () => windows.drop(fresh),
    );
    w = fresh;
  }
  const buf = Buffer.isBuffer(w.buf) ? w.buf : await w.buf;
  if (!buf || buf.length < from - w.start + len) return null;
  return { buf, off: from - w.start };
}

/** RocketMQ's `isTheBatchFull` plus the caller's byte budget; the first message always fits. */
function batchFull(
  store: StoreContext,
  size: number,
  maxMsgNums: number,
  maxBytes: number,
  bufferTotal: number,
  count: number,
  inDisk: boolean,
): boolean {
  if (bufferTotal === 0 || count === 0) return false;
  if (maxMsgNums <= count) return true;
  if (bufferTotal + size > maxBytes) return true;
  const o = store.options;
  if (inDisk) {
    if (bufferTotal + size > o.maxTransferBytesOnMessageInDisk) return true;
    if (count > o.maxTransferCountOnMessageInDisk - 1) return true;
  } else {
    if (bufferTotal + size > o.maxTransferBytesOnMessageInMemory) return true;
    if (count > o.maxTransferCountOnMessageInMemory - 1) return true;
  }
  return false;
}

/**
 * Reads the chosen records, one read per run of adjacent records; returns views into the read buffers. Runs of
 * small records go through the store's recent reads (readForPull); large records are read on their own.
 */
async function readRecords(store: StoreContext, units: CqUnit[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const log = store.commitLog;
  let i = 0;
  while (i < units.length) {
    const first = units[i];
    const seg = log.segmentFor(first.physicalOffset);
    let end = first.physicalOffset + first.size;
    let j = i + 1;
    // One read covers following records of the same segment when the gap before each is small (other queues'
    // records interleave with this one's) and the whole span stays under MAX_GROUP_READ.
    while (
      j < units.length &&
      seg !== undefined &&
      units[j].physicalOffset >= end &&
      units[j].physicalOffset - end <= MAX_GROUP_GAP &&
      units[j].physicalOffset + units[j].size <= seg.endOffset &&
      units[j].physicalOffset + units[j].size - first.physicalOffset <= MAX_GROUP_READ
    ) {
      end = units[j].physicalOffset + units[j].size;
      j++;
    }
    const len = end - first.physicalOffset;
    let buf: Buffer | null;
    let base = 0;
    if (seg !== undefined && len <= READ_AHEAD && first.size < WINDOW_MAX_RECORD) {
      const r = await readForPull(store, seg, first.physicalOffset, len);
      buf = r ? r.buf : null;
      base = r ? r.off : 0;
    } else {
      buf = await log.read(first.physicalOffset, len);
    }
    if (buf) {
      for (let k = i; k < j; k++) {
        const off = base + units[k].physicalOffset - first.physicalOffset;
        const size = units[k].size;
        if (buf.readInt32BE(off) === size && buf.readInt32BE(off + 4) === MESSAGE_MAGIC) {
          out.push(buf.subarray(off, off + size));
        } else {
          store.logger.warn({ phys: units[k].physicalOffset }, 'consume-queue unit does not match the commit log');
        }
      }
    }
    i = j;
  }
  return out;
}

/**
 * MessageStore.getMessage: statuses and nextBeginOffset as RocketMQ's DefaultMessageStore `getMessage` (an offset
 * outside [min, max] is corrected to the nearest valid one on a master, or with offsetCheckInSlave).
 */
export async function getMessageImpl(
  store: StoreContext,
  topic: string,
  queueId: number,
  offset: number,
  maxMsgNums: number,
  maxBytes: number,
  filter?: (tagsCode: number) => boolean,
): Promise<GetMessageResult> {
  const log = store.commitLog;
  const maxOffsetPy = log.writtenPos;
  // RocketMQ's nextOffsetCorrection: slaves keep the client's offset unless offsetCheckInSlave.
  const correct = (oldOffset: number, newOffset: number): number =>
    store.isMaster() || store.options.offsetCheckInSlave ? newOffset : oldOffset;
  const result: GetMessageResult = {
    status: 'NO_MESSAGE_IN_QUEUE',
    nextBeginOffset: offset,
    minOffset: 0,
    maxOffset: 0,
    records: [],
    messageCount: 0,
    bufferTotalSize: 0,
    suggestPullingFromSlave: false,
  };
  const cq = store.findCq(topic, queueId);
  if (!cq) {
    result.status = 'NO_MATCHED_LOGIC_QUEUE';
    result.nextBeginOffset = correct(offset, 0);
    return result;
  }
  const minOffset = cq.minOffset;
  const maxOffset = cq.maxOffset;
  result.minOffset = minOffset;
  result.maxOffset = maxOffset;
  if (maxOffset === 0) {
    result.status = 'NO_MESSAGE_IN_QUEUE';
    result.nextBeginOffset = correct(offset, 0);
  } else if (offset < minOffset) {
    result.status = 'OFFSET_TOO_SMALL';
    result.nextBeginOffset = correct(offset, minOffset);
  } else if (offset === maxOffset) {
    result.status = 'OFFSET_OVERFLOW_ONE';
    result.nextBeginOffset = correct(offset, offset);
  } else if (offset > maxOffset) {
    result.status = 'OFFSET_OVERFLOW_BADLY';
    result.nextBeginOffset = minOffset === 0 ? correct(offset, minOffset) : correct(offset, maxOffset);
  } else {
    // Scan at most max(16000 bytes of units, maxMsgNums units) as RocketMQ does.
    const units = cq.readUnits(offset, Math.max(16000 / CQ_UNIT_SIZE, maxMsgNums));
    if (!units) {
      result.status = 'OFFSET_FOUND_NULL';
      result.nextBeginOffset = correct(offset, cq.rollNextFile(offset));
      return result;
    }
    // The status describes the first unit that could not be served when nothing is returned.
    let status: GetMessageStatus = 'NO_MATCHED_MESSAGE';
    const memory = store.memoryThreshold();
    const minPhy = log.minOffset();
    const chosen: CqUnit[] = [];
    let bufferTotal = 0;
    let nextPhyFileStart = -1;
    let maxPhyPulling = 0;
    let i = 0;
    for (; i < units.length; i += CQ_UNIT_SIZE) {
      const u = decodeUnit(units, i);
      if (isBlankUnit(u)) {
        if (chosen.length === 0) status = 'MESSAGE_WAS_REMOVING';
        continue;
      }
      maxPhyPulling = u.physicalOffset;
      if (u.physicalOffset < nextPhyFileStart) continue;
      // Older than accessMessageInMemoryMaxRatio of RAM behind the log end: probably on disk, smaller limits.
      const inDisk = maxOffsetPy - u.physicalOffset > memory;
      if (batchFull(store, u.size, maxMsgNums, maxBytes, bufferTotal, chosen.length, inDisk)) break;
      if (filter && !filter(u.tagsCode)) {
        if (chosen.length === 0) status = 'NO_MATCHED_MESSAGE';
        continue;
      }
      // Removed by retention (or not readable yet): skip to the next segment's units.
      if (u.physicalOffset < minPhy || u.physicalOffset + u.size > maxOffsetPy) {
        if (chosen.length === 0) status = 'MESSAGE_WAS_REMOVING';
        nextPhyFileStart = u.physicalOffset - (u.physicalOffset % log.fileSize) + log.fileSize;
        continue;
      }
      chosen.push(u);
      bufferTotal += u.size;
      status = 'FOUND';
    }
    const records = chosen.length ? await readRecords(store, chosen) : [];
    if (status === 'FOUND' && records.length === 0) status = 'MESSAGE_WAS_REMOVING';
    result.status = status;
    result.records = records;
    result.messageCount = records.length;
    result.bufferTotalSize = records.reduce((n, b) => n + b.length, 0);
    result.nextBeginOffset = offset + i / CQ_UNIT_SIZE;
    result.suggestPullingFromSlave = maxOffsetPy - maxPhyPulling > memory;
  }
  return result;
}

/**
 * Queue offset of the message whose store time is `timestamp`, or of the nearest one on either side (the closer
 * wins), as RocketMQ's ConsumeQueue `getOffsetInQueueByTime`. 0 for an empty or unknown queue.
 */
export function offsetInQueueByTime(store: StoreContext, topic: string, queueId: number, timestamp: number): number {
  const cq = store.findCq(topic, queueId);
  if (!cq || cq.maxOffset === 0) return 0;
  let low = cq.minOffset;
  let high = cq.maxOffset - 1;
  let left = -1;
  let leftTime = -1;
  let right = -1;
  let rightTime = -1;
  while (high >= low) {
    const mid = Math.floor((low + high) / 2);
    const u = cq.unitAt(mid);
    const t = u && !isBlankUnit(u) ? store.storeTimeAt(u.physicalOffset) : -1;
    if (t < 0) {
      // Unreadable (removed) message: search the newer half.
      low = mid + 1;
      continue;
    }
    if (t === timestamp) return mid;
    if (t > timestamp) {
      high = mid - 1;
      right = mid;
      rightTime = t;
    } else {
      low = mid + 1;
      left = mid;
      leftTime = t;
    }
  }
  if (left === -1) return right === -1 ? cq.minOffset : right;
  if (right === -1) return left;
  return Math.abs(timestamp - leftTime) > Math.abs(timestamp - rightTime) ? right : left;
}

/** Looks a key up in the index and returns the matching records (hash collisions are filtered out). */
export function queryMessageImpl(
  store: StoreContext,
  topic: string,
  key: string,
  maxNum: number,
  begin: number,
  end: number,
): QueryMessageResult {
  const records: Buffer[] = [];
  const last = store.index.lastUpdate();
  if (store.options.messageIndexEnable) {
    for (const phys of store.index.query(topic, key, Math.max(maxNum, 1) * 2, begin, end)) {
      if (records.length >= maxNum) break;
      const rec = store.lookMessageByOffset(phys);
      if (!rec || checkRecordAt(rec, 0, phys, false) !== rec.length) continue;
      const d = parseDispatch(rec, 0, store.delayLevels);
      if (d.topic !== topic) continue;
      const keys = (d.properties[PROP.KEYS] ?? '').split(KEY_SEPARATOR);
      if (d.properties[PROP.UNIQ_KEY] !== key && !keys.includes(key)) continue;
      records.push(rec);
    }
  }
  return { records, indexLastUpdateTimestamp: last.timestamp, indexLastUpdatePhyoffset: last.phyOffset };
}
