/**
 * The commit log (ref §5.1, §5.2): fixed-size segments appended in order. Appends made in one tick go into one
 * batch that is written with a single writev (record heads, bodies and tails as separate buffers, so bodies are
 * never copied); one batch is written at a time, so batches land in order. A record that does not fit the rest of a
 * segment (`size + 8 > free`) is preceded by the 8-byte BLANK filler and goes to the next segment.
 *
 * Positions: `writePos` = end of everything appended (some of it may still be in flight); `writtenPos` = end of
 * what the OS holds (readable, survives a process kill); `flushedPos` = end of what was fsynced.
 */
import type { Logger } from 'pino';
import { MqError } from '../common';
import { BLANK_LENGTH, BLANK_MAGIC } from '../common/message';
import { SYNC_WRITE_MAX_BYTES, SegmentFile, listSegmentOffsets } from './segment-file';

/** Size of each write arena, bytes. */
const ARENA_SIZE = 256 * 1024;

/** Reads of data this close to the end of the log are taken to hit the page cache (see {@link CommitLog.read}). */
export const HOT_READ_WINDOW = 64 * 1024 * 1024;

/** One batch of appends bound for one segment. */
export interface WriteBatch<T> {
  segment: SegmentFile;
  /** Absolute offset of the first byte. */
  start: number;
  /** Absolute offset after the batch (the segment end when the batch ends with the BLANK filler). */
  end: number;
  bytes: number;
  bufs: Buffer[];
  items: T[];
  /** Duration of the write, ms (set when it completes). */
  writeMs?: number;
}

export interface CommitLogHooks<T> {
  /** Called in order after each batch reached the OS. */
  onWritten(batch: WriteBatch<T>): void;
  /** Called when a batch write fails; the log stops accepting appends. */
  onWriteError(batch: WriteBatch<T>, err: unknown): void;
}

export class CommitLog<T> {
  readonly segments: SegmentFile[] = [];
  writePos = 0;
  writtenPos = 0;
  flushedPos = 0;
  /** Set after a failed write: no more appends. */
  failed: unknown = undefined;
  /** Start time (ms) of the write in flight, 0 when idle: the flow-control "lock hold" measure. */
  writeStartedAt = 0;

  private current: WriteBatch<T> | undefined;
  /** Write buffer of the current tick's small records; a new one is taken when full (never reused). */
  private arena: Buffer = Buffer.allocUnsafe(0);
  private arenaPos = 0;
  /** Start of the arena bytes not yet added to the current batch's buffer list. */
  private runStart = 0;
  /** True between beginRecord and endRecord: the batch size limit does not split a record. */
  private inRecord = false;
  private readonly queue: WriteBatch<T>[] = [];
  private writing = false;
  private scheduled = false;
  private flushing: Promise<number> | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly dir: string,
    readonly fileSize: number,
    private readonly maxBatchBytes: number,
    private readonly hooks: CommitLogHooks<T>,
    private readonly logger: Logger,
  ) {}

  /** Opens the existing segments. Throws MqError('CORRUPT') when a segment has the wrong size (ref §5.1). */
  load(): void {
    for (const off of listSegmentOffsets(this.dir)) {
      const seg = SegmentFile.open(this.dir, off, this.fileSize);
      if (off % this.fileSize !== 0) {
        throw new MqError('CORRUPT', `commit-log segment ${seg.path} does not start at a multiple of mappedFileSizeCommitLog`);
      }
      const prev = this.segments[this.segments.length - 1];
      if (prev && prev.endOffset !== off) {
        this.logger.warn({ expected: prev.endOffset, found: off }, 'commit-log segments are not contiguous');
      }
      this.segments.push(seg);
    }
  }

  /** The segment holding absolute `offset`, if any. */
  segmentFor(offset: number): SegmentFile | undefined {
    if (this.segments.length === 0) return undefined;
    const first = this.segments[0].fileFromOffset;
    const i = Math.floor((offset - first) / this.fileSize);
    const seg = this.segments[i];
    return seg && offset >= seg.fileFromOffset && offset < seg.endOffset ? seg : undefined;
  }

  minOffset(): number {
    return this.segments.length ? this.segments[0].fileFromOffset : this.writtenPos;
  }

  private newSegment(at: number): SegmentFile {
    const start = at - (at % this.fileSize);
    const seg = SegmentFile.open(this.dir, start, this.fileSize);
    this.segments.push(seg);
    return seg;
  }

  /** The segment the next append goes to, created when needed. */
  private activeSegment(): SegmentFile {
    const last = this.segments[this.segments.length - 1];
    if (last && this.writePos >= last.fileFromOffset && this.writePos < last.endOffset) return last;
    return this.newSegment(this.writePos);
  }

  /**
   * Reserves room for a record of `size` bytes and returns its physical offset. Writes the BLANK filler and rolls to
   * a new segment when the record does not fit (`size + 8 > free`, ref §5.2). Append the record next, in the same
   * tick, with {@link inlineBuffer}/{@link commitInline} and {@link pushExternal}.
   */
  reserve(size: number): number {
    if (size + BLANK_LENGTH > this.fileSize) {
      throw new MqError(
        'INVALID_ARGUMENT',
        `a ${size}-byte record does not fit a ${this.fileSize}-byte segment; raise mappedFileSizeCommitLog`,
      );
    }
    const seg = this.activeSegment();
    const free = seg.endOffset - this.writePos;
    if (size + BLANK_LENGTH > free) {
      const buf = this.inlineBuffer(BLANK_LENGTH);
      const o = this.arenaPos;
      buf.writeInt32BE(free, o);
      buf.writeInt32BE(BLANK_MAGIC, o + 4);
      this.commitInline(BLANK_LENGTH, free, undefined);
      return seg.endOffset;
    }
    return this.writePos;
  }

  /** Offset in {@link inlineBuffer}'s result where the next inline bytes go. */
  get inlineOffset(): number {
    return this.arenaPos;
  }

  /**
   * The buffer to write the next `len` bytes of the log into, at {@link inlineOffset}. Small records (and the heads
   * and tails of large ones) are written here directly, so one tick's records form a few large contiguous runs.
   */
  inlineBuffer(len: number): Buffer {
    this.ensureBatch(this.activeSegment(), len);
    if (this.arena.length - this.arenaPos < len) {
      this.flushRun();
      this.arena = Buffer.allocUnsafe(Math.max(ARENA_SIZE, len));
      this.arenaPos = this.runStart = 0;
    }
    return this.arena;
  }

  /** Accounts for `len` bytes written at {@link inlineOffset}; the log position moves by `advance`. */
  commitInline(len: number, advance: number, item: T | undefined): void {
    this.arenaPos += len;
    this.account(len, advance, item);
  }

  /** Appends caller-owned buffers (large bodies, replicated data) without copying them. */
  pushExternal(bufs: Buffer[], size: number, item: T | undefined): void {
    this.ensureBatch(this.activeSegment(), size);
    this.flushRun();
    const b = this.current!;
    for (const x of bufs) b.bufs.push(x);
    this.account(size, size, item);
  }

  /** Moves the arena bytes written since the last run into the current batch's buffer list. */
  private flushRun(): void {
    if (this.arenaPos > this.runStart && this.current) {
      this.current.bufs.push(this.arena.subarray(this.runStart, this.arenaPos));
    }
    this.runStart = this.arenaPos;
  }

  /**
   * Starts a record of `size` bytes written in several parts (head, body, tail): the parts stay in one batch, so a
   * large record costs one writev, not three. End it with {@link endRecord}.
   */
  beginRecord(size: number): void {
    this.ensureBatch(this.activeSegment(), size);
    this.inRecord = true;
  }

  endRecord(): void {
    this.inRecord = false;
  }

  /** Makes sure the current batch targets `seg` and has room for `bytes` more; closes it otherwise. */
  private ensureBatch(seg: SegmentFile, bytes: number): void {
    const b = this.current;
    if (b && b.segment === seg && (this.inRecord || b.bytes === 0 || b.bytes + bytes <= this.maxBatchBytes)) return;
    if (b) this.closeCurrent();
    this.current = { segment: seg, start: this.writePos, end: this.writePos, bytes: 0, bufs: [], items: [] };
  }

  private closeCurrent(): void {
    if (!this.current) return;
    this.flushRun();
    this.queue.push(this.current);
    this.current = undefined;
  }

  private account(bytes: number, advance: number, item: T | undefined): void {
    const b = this.current!;
    b.bytes += bytes;
    b.end += advance;
    if (item !== undefined) b.items.push(item);
    this.writePos += advance;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.kick());
    }
  }

  /** Closes the tick's batch and starts a write if none is running. */
  private kick(): void {
    this.scheduled = false;
    if (this.writing) return;
    if (this.queue.length === 0 && this.current) this.closeCurrent();
    const batch = this.queue.shift();
    if (!batch) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
      return;
    }
    this.writing = true;
    this.writeStartedAt = Date.now();
    batch.segment.writev(batch.bufs, batch.start - batch.segment.fileFromOffset).then(
      () => {
        this.writing = false;
        batch.writeMs = Date.now() - this.writeStartedAt;
        this.writeStartedAt = 0;
        this.writtenPos = batch.end;
        try {
          this.hooks.onWritten(batch);
        } finally {
          this.kick();
        }
      },
      (err: unknown) => {
        this.writing = false;
        this.writeStartedAt = 0;
        this.failed = err;
        this.logger.error({ err, segment: batch.segment.path }, 'commit-log write failed; the store stops accepting puts');
        this.hooks.onWriteError(batch, err);
        this.closeCurrent();
        for (const b of this.queue.splice(0)) this.hooks.onWriteError(b, err);
        this.kick();
      },
    );
  }

  /** Resolves once every append made so far has been written. */
  whenIdle(): Promise<void> {
    if (!this.writing && !this.current && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      if (!this.scheduled && !this.writing) this.kick();
    });
  }

  /**
   * fsyncs what has been written so far; resolves with the new flushed position. Calls made while a flush runs
   * share a follow-up flush (group commit).
   */
  flush(): Promise<number> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    const target = this.writtenPos;
    if (target <= this.flushedPos) return Promise.resolve(this.flushedPos);
    const segs = this.segments.filter((s) => s.endOffset > this.flushedPos && s.fileFromOffset < target);
    this.flushing = Promise.all(segs.map((s) => s.datasync())).then(
      () => {
        this.flushing = undefined;
        if (target > this.flushedPos) this.flushedPos = target;
        return this.flushedPos;
      },
      (err: unknown) => {
        this.flushing = undefined;
        throw err;
      },
    );
    return this.flushing;
  }

  /** Synchronously reads `len` written bytes at `offset` within one segment; null when not (fully) available. */
  readSync(offset: number, len: number): Buffer | null {
    const seg = this.segmentFor(offset);
    if (!seg || offset + len > this.writtenPos || offset + len > seg.endOffset) return null;
    const b = seg.readSync(offset - seg.fileFromOffset, len);
    return b.length === len ? b : null;
  }

  /**
   * Reads `len` written bytes at `offset` within one segment; null when not available. A small read of recent data
   * (up to {@link SYNC_WRITE_MAX_BYTES} within the last {@link HOT_READ_WINDOW} bytes written, so in the page cache)
   * is made in place, as a long-polling pull woken by a new message does: the hop to the thread pool and back cost
   * more than the copy, and waited behind whatever held the pool. Other reads (old data may come from the disk) go
   * to the thread pool.
   */
  async read(offset: number, len: number): Promise<Buffer | null> {
    const seg = this.segmentFor(offset);
    if (!seg || offset + len > this.writtenPos || offset + len > seg.endOffset) return null;
    try {
      const rel = offset - seg.fileFromOffset;
      const hot = len <= SYNC_WRITE_MAX_BYTES && this.writtenPos - offset <= HOT_READ_WINDOW;
      const b = hot ? seg.readSync(rel, len) : await seg.read(rel, len);
      return b.length === len ? b : null;
    } catch (err) {
      this.logger.warn({ err, offset }, 'commit-log read failed');
      return null;
    }
  }

  /** Up to `maxBytes` written bytes from `from`, never crossing a segment (HA transfer, ref §8.2). */
  readRaw(from: number, maxBytes: number): Buffer | null {
    const seg = this.segmentFor(from);
    if (!seg || from >= this.writtenPos) return null;
    const len = Math.min(maxBytes, this.writtenPos - from, seg.endOffset - from);
    if (len <= 0) return null;
    return seg.readSync(from - seg.fileFromOffset, len);
  }

  /**
   * Appends replicated bytes at exactly `start` (a slave, ref §8.2), splitting at segment ends. An empty log accepts
   * any start offset. Returns false (and logs) when `start` is not the current end.
   */
  appendRaw(start: number, data: Buffer, item: T): boolean {
    if (this.failed) return false;
    if (this.segments.length === 0 && this.writePos === 0 && start !== 0) {
      this.writePos = this.writtenPos = this.flushedPos = start;
    }
    if (start !== this.writePos) {
      this.logger.warn({ start, expected: this.writePos }, 'replicated data does not start at the commit-log end; refused');
      return false;
    }
    let off = 0;
    while (off < data.length) {
      const seg = this.activeSegment();
      const n = Math.min(data.length - off, seg.endOffset - this.writePos);
      const last = off + n >= data.length;
      this.pushExternal([data.subarray(off, off + n)], n, last ? item : undefined);
      off += n;
    }
    return true;
  }

  /** Sets every position to `end` after recovery: zeroes the torn tail and removes segments that start past it. */
  setRecoveredEnd(end: number): void {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const seg = this.segments[i];
      if (seg.fileFromOffset > end) {
        this.logger.warn({ segment: seg.path, end }, 'removing commit-log segment past the recovered end');
        seg.destroy();
        this.segments.splice(i, 1);
      } else if (end < seg.endOffset) {
        seg.zeroFrom(end - seg.fileFromOffset);
      }
    }
    this.writePos = this.writtenPos = this.flushedPos = end;
  }

  /** Deletes the oldest segment (retention). */
  deleteFirst(): SegmentFile | undefined {
    const seg = this.segments.shift();
    seg?.destroy();
    return seg;
  }

  close(): void {
    for (const s of this.segments) s.close();
  }
}
