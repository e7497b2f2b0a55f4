/**
 * One consume queue (ref §5.3): the index of one topic and queue id into the commit log, built by the dispatcher.
 *
 * Grammar (per 20-byte unit; unit i = queue offset i sits at logical byte i*20):
 *   unit := COMMITLOG_OFFSET:i64 SIZE:i32 TAGSCODE:i64
 * Segments are `consumequeue/<topic>/<queueId>/<20-digit start byte>` of `mappedFileSizeConsumeQueue` bytes.
 * A gap before a queue's first unit is filled with (0, Integer.MAX_VALUE, 0) units (ref §5.3 `fillPreBlank`).
 * Units are collected per dispatch round and written with one positional write per segment touched, on the thread
 * pool (not on the event loop): until a write completes, its units are read from its buffer, and a flush waits for
 * the writes issued before it, so a fsync (and the checkpoint written after it) covers every unit dispatched before.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readLong, writeLong } from '../common/message';
import { SegmentFile, listSegmentOffsets } from './segment-file';

export const CQ_UNIT_SIZE = 20;
const BLANK_UNIT_SIZE = 0x7fffffff;

/** One unit read back. */
export interface CqUnit {
  physicalOffset: number;
  size: number;
  tagsCode: number;
}

export class ConsumeQueue {
  readonly dir: string;
  readonly fileSize: number;
  readonly segments: SegmentFile[] = [];
  /** Logical bytes written (max offset × 20). */
  maxBytes = 0;
  /** Logical byte of the first unit still backed by the commit log (min offset × 20). */
  minLogicOffset = 0;
  /** End (offset + size) of the last record referenced. */
  maxPhysicOffset = -1;
  /** Logical bytes fsynced. */
  private flushedBytes = 0;
  private pending: Buffer = Buffer.alloc(0);
  private pendingLen = 0;
  /** Logical byte up to which units were handed to writes (readable from here or from `writing`). */
  private pendingStart = 0;
  /** Logical byte below which every write has completed (readable from the segment files). */
  private writtenBytes = 0;
  /** Writes in flight, in logical order; each within one segment. */
  private writing: Array<{ start: number; buf: Buffer; done: boolean }> = [];
  /** Callers waiting until writtenBytes reaches `end`. */
  private writeWaiters: Array<{ end: number; resolve: () => void }> = [];

  constructor(
    rootDir: string,
    readonly topic: string,
    readonly queueId: number,
    fileSize: number,
  ) {
    this.dir = path.join(rootDir, topic, String(queueId));
    this.fileSize = Math.ceil(fileSize / CQ_UNIT_SIZE) * CQ_UNIT_SIZE;
  }

  get maxOffset(): number {
    return this.maxBytes / CQ_UNIT_SIZE;
  }

  get minOffset(): number {
    return this.minLogicOffset / CQ_UNIT_SIZE;
  }

  /** Opens the existing segments and finds the end: the first unit with offset < 0 or size <= 0 (ref §5.3). */
  load(): void {
    for (const off of listSegmentOffsets(this.dir)) this.segments.push(SegmentFile.open(this.dir, off, this.fileSize));
    if (this.segments.length === 0) return;
    const from = Math.max(0, this.segments.length - 3);
    let end = this.segments[from].fileFromOffset;
    for (let i = from; i < this.segments.length; i++) {
      const seg = this.segments[i];
      if (seg.fileFromOffset !== end) break;
      const buf = seg.readSync(0, seg.size);
      let p = 0;
      for (; p + CQ_UNIT_SIZE <= buf.length; p += CQ_UNIT_SIZE) {
        const phys = readLong(buf, p);
        const size = buf.readInt32BE(p + 8);
        if (phys < 0 || size <= 0) break;
        if (size !== BLANK_UNIT_SIZE) this.maxPhysicOffset = phys + size;
      }
      end = seg.fileFromOffset + p;
      if (p < seg.size) break;
    }
    this.setEnd(end);
    this.minLogicOffset = this.segments.length ? this.segments[0].fileFromOffset : 0;
    this.flushedBytes = this.maxBytes;
  }

  /** Moves the end to logical byte `end`: zeroes the rest of its segment, deletes later segments. Only with no
   * write in flight (load and recovery, before the store takes puts). */
  private setEnd(end: number): void {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const seg = this.segments[i];
      if (seg.fileFromOffset > end || (seg.fileFromOffset === end && i > 0)) {
        seg.destroy();
        this.segments.splice(i, 1);
      } else if (end < seg.endOffset) {
        seg.zeroFrom(end - seg.fileFromOffset);
      }
    }
    this.maxBytes = end;
    this.pendingStart = end;
    this.writtenBytes = end;
    this.pendingLen = 0;
    if (this.flushedBytes > end) this.flushedBytes = end;
  }

  /**
   * Drops units that reference commit-log bytes at or past `phyEnd` (ref §5.7 truncateDirtyLogicFiles). Units are
   * in commit-log order, so the first dirty one is found by binary search.
   */
  truncateDirty(phyEnd: number): void {
    const dirty = (i: number): boolean => {
      const u = this.unitAt(i);
      return u !== undefined && u.size !== BLANK_UNIT_SIZE && u.physicalOffset + u.size > phyEnd;
    };
    let lo = Math.max(this.minLogicOffset, this.segments[0]?.fileFromOffset ?? 0) / CQ_UNIT_SIZE;
    let hi = this.maxBytes / CQ_UNIT_SIZE;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (dirty(mid)) hi = mid;
      else lo = mid + 1;
    }
    if (lo * CQ_UNIT_SIZE !== this.maxBytes) this.setEnd(lo * CQ_UNIT_SIZE);
    this.maxPhysicOffset = -1;
    for (let i = lo - 1; i >= lo - 1024 && i * CQ_UNIT_SIZE >= this.minLogicOffset; i--) {
      const u = this.unitAt(i);
      if (u && u.size !== BLANK_UNIT_SIZE) {
        this.maxPhysicOffset = u.physicalOffset + u.size;
        break;
      }
    }
  }

  /**
   * Adds the unit of queue offset `queueOffset`. Returns false when the queue already has it (re-dispatch after a
   * restart). A gap is filled with blank units.
   */
  put(queueOffset: number, physicalOffset: number, size: number, tagsCode: number): boolean {
    const expect = this.maxBytes / CQ_UNIT_SIZE;
    if (queueOffset < expect) return false;
    if (queueOffset > expect) {
      if (this.maxBytes === 0 && this.segments.length === 0 && this.pendingLen === 0) {
        // First unit of a queue that starts late (a slave, or a queue rebuilt after deletion): start the file
        // where the unit lives and blank-fill its earlier slots.
        const at = queueOffset * CQ_UNIT_SIZE;
        const segStart = at - (at % this.fileSize);
        this.maxBytes = this.pendingStart = this.writtenBytes = this.flushedBytes = segStart;
        this.minLogicOffset = at;
      }
      for (let q = this.maxBytes / CQ_UNIT_SIZE; q < queueOffset; q++) this.append(0, BLANK_UNIT_SIZE, 0);
    }
    this.append(physicalOffset, size, tagsCode);
    this.maxPhysicOffset = physicalOffset + size;
    return true;
  }

  private append(phys: number, size: number, tagsCode: number): void {
    if (this.pendingLen + CQ_UNIT_SIZE > this.pending.length) {
      const grown = Buffer.allocUnsafe(Math.max(1024 * CQ_UNIT_SIZE, this.pending.length * 2));
      this.pending.copy(grown, 0, 0, this.pendingLen);
      this.pending = grown;
    }
    const p = this.pendingLen;
    writeLong(this.pending, phys, p);
    this.pending.writeInt32BE(size, p + 8);
    writeLong(this.pending, tagsCode, p + 12);
    this.pendingLen += CQ_UNIT_SIZE;
    this.maxBytes += CQ_UNIT_SIZE;
  }

  /**
   * Hands the collected units to their segments (page cache) with asynchronous positional writes. Called at the end
   * of each dispatch round; the units are readable at once (from the write's buffer until it completes).
   */
  writePending(): void {
    let off = 0;
    while (off < this.pendingLen) {
      const at = this.pendingStart + off;
      let seg = this.segmentForByte(at);
      if (!seg) {
        seg = SegmentFile.open(this.dir, at - (at % this.fileSize), this.fileSize);
        this.segments.push(seg);
      }
      const n = Math.min(this.pendingLen - off, seg.endOffset - at);
      // A copy: the pending buffer is reused by the next round (a round's units are a few hundred bytes).
      const w = { start: at, buf: Buffer.from(this.pending.subarray(off, off + n)), done: false };
      this.writing.push(w);
      seg.writev([w.buf], at - seg.fileFromOffset).then(
        () => this.written(w),
        (err: unknown) => {
          // The units stay readable from memory and the queue is rebuilt from the commit log at the next start
          // (nothing past writtenBytes is ever fsynced or claimed by the checkpoint).
          this.writeError = err;
        },
      );
      off += n;
    }
    this.pendingStart += this.pendingLen;
    this.pendingLen = 0;
    if (this.pending.length > 64 * 1024) this.pending = Buffer.alloc(0);
  }

  /** The first write that failed, if any (the queue then keeps its unwritten units in memory). */
  writeError: unknown = undefined;

  private written(w: { start: number; buf: Buffer; done: boolean }): void {
    w.done = true;
    while (this.writing.length > 0 && this.writing[0].done) {
      const h = this.writing.shift()!;
      this.writtenBytes = h.start + h.buf.length;
    }
    if (this.writeWaiters.length > 0) {
      const rest = [];
      for (const x of this.writeWaiters) {
        if (x.end <= this.writtenBytes) x.resolve();
        else rest.push(x);
      }
      this.writeWaiters = rest;
    }
  }

  /** Resolves when every write issued before this call completed (not waiting for later ones). */
  whenWritten(): Promise<void> {
    const end = this.pendingStart;
    if (end <= this.writtenBytes) return Promise.resolve();
    return new Promise<void>((resolve) => this.writeWaiters.push({ end, resolve }));
  }

  /** fsyncs the segments written since the last flush (after the writes issued before this call complete). */
  async flush(): Promise<void> {
    if (this.writing.length > 0) {
      if (this.writeError) throw this.writeError;
      await this.whenWritten();
    }
    const target = this.writtenBytes;
    if (target <= this.flushedBytes) return;
    const segs = this.segments.filter((s) => s.endOffset > this.flushedBytes && s.fileFromOffset < target);
    await Promise.all(segs.map((s) => s.datasync()));
    this.flushedBytes = Math.max(this.flushedBytes, target);
  }

  private segmentForByte(at: number): SegmentFile | undefined {
    if (this.segments.length === 0) return undefined;
    const i = Math.floor((at - this.segments[0].fileFromOffset) / this.fileSize);
    const seg = this.segments[i];
    return seg && at >= seg.fileFromOffset && at < seg.endOffset ? seg : undefined;
  }

  /**
   * Up to `maxCount` units from queue offset `index`, within one segment; null when none is readable. Units whose
   * write is still in flight come from the write's buffer, so the result is the same as once they are on file.
   */
  readUnits(index: number, maxCount: number): Buffer | null {
    const at = index * CQ_UNIT_SIZE;
    if (at < this.minLogicOffset || at >= this.pendingStart) return null;
    const seg = this.segmentForByte(at);
    if (!seg) return null;
    const end = Math.min(at + maxCount * CQ_UNIT_SIZE, this.pendingStart, seg.endOffset);
    let buf: Buffer;
    if (end <= this.writtenBytes) {
      buf = seg.readSync(at - seg.fileFromOffset, end - at);
    } else {
      buf = Buffer.allocUnsafe(end - at);
      let have = 0;
      if (at < this.writtenBytes) {
        const fromFile = seg.readSync(at - seg.fileFromOffset, this.writtenBytes - at);
        fromFile.copy(buf, 0);
        // A short read (cannot happen on a preallocated segment): return what is contiguous.
        if (fromFile.length < this.writtenBytes - at) return trimUnits(fromFile);
        have = fromFile.length;
      }
      // The writes in flight cover [writtenBytes, pendingStart) back to back.
      for (const w of this.writing) {
        const wEnd = w.start + w.buf.length;
        const from = at + have;
        if (wEnd <= from) continue;
        if (w.start >= end) break;
        const n = Math.min(wEnd, end) - from;
        w.buf.copy(buf, have, from - w.start, from - w.start + n);
        have += n;
      }
      buf = buf.subarray(0, have);
    }
    return trimUnits(buf);
  }

  /** The unit at queue offset `index`, or undefined. */
  unitAt(index: number): CqUnit | undefined {
    const b = this.readUnits(index, 1);
    return b ? decodeUnit(b, 0) : undefined;
  }

  /** Segment start of the next segment after the one holding queue offset `index` (OFFSET_FOUND_NULL correction). */
  rollNextFile(index: number): number {
    const at = index * CQ_UNIT_SIZE;
    return (at - (at % this.fileSize) + this.fileSize) / CQ_UNIT_SIZE;
  }

  /**
   * Retention follow-up (ref §5.9): deletes segments whose units all point below `minPhy` (never the last one) and
   * moves the min offset to the first unit at or after `minPhy`. Returns the number of segments deleted.
   */
  deleteExpired(minPhy: number): number {
    let deleted = 0;
    while (this.segments.length > 1) {
      const seg = this.segments[0];
      // Its last unit may still be on its way to the file (the queue has just moved to the next segment).
      if (seg.endOffset > this.writtenBytes) break;
      const last = decodeUnitSafe(seg.readSync(seg.size - CQ_UNIT_SIZE, CQ_UNIT_SIZE));
      if (!last || last.size === BLANK_UNIT_SIZE || last.physicalOffset + last.size > minPhy) break;
      seg.destroy();
      this.segments.shift();
      deleted++;
    }
    // Correct the min offset inside the first segment.
    let idx = Math.max(this.minLogicOffset, this.segments[0]?.fileFromOffset ?? 0) / CQ_UNIT_SIZE;
    const end = this.pendingStart / CQ_UNIT_SIZE;
    while (idx < end) {
      const b = this.readUnits(idx, 1024);
      if (!b) break;
      let found = false;
      for (let p = 0; p < b.length; p += CQ_UNIT_SIZE, idx++) {
        const u = decodeUnit(b, p);
        if (u.size !== BLANK_UNIT_SIZE && u.physicalOffset >= minPhy) {
          found = true;
          break;
        }
      }
      if (found) break;
    }
    this.minLogicOffset = Math.max(this.minLogicOffset, Math.min(idx, end) * CQ_UNIT_SIZE);
    return deleted;
  }

  close(): void {
    for (const s of this.segments) s.close();
  }

  /** Deletes every file of this queue. */
  destroy(): void {
    for (const s of this.segments) s.destroy();
    this.segments.length = 0;
    try {
      fs.rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}

/** Decodes the unit at byte `p` of `buf`. */
export function decodeUnit(buf: Buffer, p: number): CqUnit {
  return { physicalOffset: readLong(buf, p), size: buf.readInt32BE(p + 8), tagsCode: readLong(buf, p + 12) };
}

/** `buf` cut to whole units; null when it holds none. */
function trimUnits(buf: Buffer): Buffer | null {
  const whole = buf.length - (buf.length % CQ_UNIT_SIZE);
  return whole > 0 ? buf.subarray(0, whole) : null;
}

function decodeUnitSafe(buf: Buffer): CqUnit | undefined {
  return buf.length >= CQ_UNIT_SIZE ? decodeUnit(buf, 0) : undefined;
}

/** True for the (0, Integer.MAX_VALUE, 0) units that fill gaps. */
export function isBlankUnit(u: CqUnit): boolean {
  return u.size === BLANK_UNIT_SIZE;
}
