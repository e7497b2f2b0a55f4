/**
 * One index file (ref §5.5), same on-disk format as RocketMQ's.
 *
 * Grammar:
 *   file   := header slot{hashSlotCount} entry{indexNum}
 *   header := beginTimestamp:i64 endTimestamp:i64 beginPhyOffset:i64 endPhyOffset:i64 hashSlotCount:i32
 *             indexCount:i32                                  -- 40 bytes; indexCount starts at 1
 *   slot   := newestEntryNumber:i32                           -- 0 = empty
 *   entry  := keyHash:i32 phyOffset:i64 timeDiffSeconds:i32 prevEntryNumber:i32   -- 20 bytes, entry n at
 *             40 + slotNum*4 + n*20
 * endPhyOffset is the start offset of the last indexed message (as RocketMQ writes it).
 *
 * The active file keeps its slot table in memory; entries are written at the end of each dispatch round; the header
 * and the dirty slot pages are written at flush time, header first, so that a header newer than the checkpoint
 * marks a file whose slots may be torn (it is then rebuilt, ref §5.7 step 4).
 *
 * Every write goes to the thread pool (never a synchronous write on the event loop): entries of a round are read
 * from their write's buffer until it completes, a persist snapshots header and slots at one instant and fsyncs only
 * after the entry writes issued before it and its own header and slot writes completed, and persists of one file
 * run one after another. The file descriptor is closed only once its writes are done.
 */
import * as fs from 'fs';
import { readLong, writeLong } from '../common/message';

const HEADER = 40;
const ENTRY = 20;
const SLOT_PAGE = 1024; // slots per 4 KiB page

export interface IndexHeader {
  beginTimestamp: number;
  endTimestamp: number;
  beginPhyOffset: number;
  endPhyOffset: number;
  hashSlotCount: number;
  indexCount: number;
}

/** Java-style index hash: abs(String.hashCode()), 0 when still negative (ref §5.5). */
export function indexKeyHash(h: number): number {
  // Java's Math.abs(Integer.MIN_VALUE) stays negative, and RocketMQ then uses 0.
  return h === -2147483648 ? 0 : Math.abs(h);
}

/** Entries of one dispatch round on their way to the file. */
interface EntryWrite {
  /** Entry number of the first one. */
  first: number;
  count: number;
  buf: Buffer;
}

/** One positional write on the thread pool. */
function pwrite(fd: number, buf: Buffer, pos: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= buf.length) return resolve();
      fs.write(fd, buf, done, buf.length - done, pos + done, (err, n) => (err ? reject(err) : step(done + n)));
    };
    step(0);
  });
}

export class IndexFile {
  readonly fd: number;
  header: IndexHeader;
  private slots: Int32Array | undefined;
  private dirtyPages = new Set<number>();
  private pending: Buffer;
  private pendingCount = 0;
  private pendingFirst: number;
  /** Header fields as last written to disk. */
  persistedEndPhyOffset: number;
  persistedEndTimestamp: number;
  /** Entry writes in flight, oldest first, and the waits for them. */
  private readonly writing: EntryWrite[] = [];
  private writeWaiters: Array<{ upTo: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  /** The first failed write: later persists fail (the file is then rebuilt from the commit log at the next start). */
  private writeError: unknown = undefined;
  /** Writes of any kind in flight (the descriptor stays open until they end), and what runs once they have. */
  private ioCount = 0;
  private onIdle: Array<() => void> = [];
  private closed = false;
  /** The persist in progress (persists of one file run one after another). */
  private persisting: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly slotNum: number,
    readonly indexNum: number,
    fd: number,
    header: IndexHeader,
  ) {
    this.fd = fd;
    this.header = header;
    this.pending = Buffer.allocUnsafe(ENTRY * 256);
    this.pendingFirst = header.indexCount;
    this.persistedEndPhyOffset = header.endPhyOffset;
    this.persistedEndTimestamp = header.endTimestamp;
  }

  static fileSize(slotNum: number, indexNum: number): number {
    return HEADER + slotNum * 4 + indexNum * ENTRY;
  }

  /** Creates a new, empty file. */
  static create(path: string, slotNum: number, indexNum: number): IndexFile {
    const fd = fs.openSync(path, 'w+');
    fs.ftruncateSync(fd, IndexFile.fileSize(slotNum, indexNum));
    const h: IndexHeader = {
      beginTimestamp: 0,
      endTimestamp: 0,
      beginPhyOffset: 0,
      endPhyOffset: 0,
      hashSlotCount: 0,
      indexCount: 1,
    };
    const f = new IndexFile(path, slotNum, indexNum, fd, h);
    f.slots = new Int32Array(slotNum);
    return f;
  }

  /** Opens an existing file; its slot count and entry count come from the options (as in RocketMQ). */
  static open(path: string, slotNum: number, indexNum: number): IndexFile {
    const fd = fs.openSync(path, 'r+');
    const b = Buffer.alloc(HEADER);
    fs.readSync(fd, b, 0, HEADER, 0);
    const h: IndexHeader = {
      beginTimestamp: readLong(b, 0),
      endTimestamp: readLong(b, 8),
      beginPhyOffset: readLong(b, 16),
      endPhyOffset: readLong(b, 24),
      hashSlotCount: b.readInt32BE(32),
      indexCount: Math.max(1, b.readInt32BE(36)),
    };
    return new IndexFile(path, slotNum, indexNum, fd, h);
  }

  /** Loads the slot table into memory so that this file can take new entries. */
  activate(): void {
    if (this.slots) return;
    const buf = Buffer.alloc(this.slotNum * 4);
    fs.readSync(this.fd, buf, 0, buf.length, HEADER);
    const slots = new Int32Array(this.slotNum);
    for (let i = 0; i < this.slotNum; i++) slots[i] = buf.readInt32BE(i * 4);
    this.slots = slots;
  }

  isFull(): boolean {
    return this.header.indexCount >= this.indexNum;
  }

  /** Number of entries held (indexCount starts at 1). */
  entryCount(): number {
    return this.header.indexCount - 1;
  }

  /** Adds one key; false when the file is full. */
  put(keyHash: number, phyOffset: number, storeTimestamp: number): boolean {
    if (this.isFull() || !this.slots) return false;
    const h = this.header;
    const slot = keyHash % this.slotNum;
    const prev = this.slots[slot];
    if (h.indexCount <= 1) {
      h.beginTimestamp = storeTimestamp;
      h.beginPhyOffset = phyOffset;
    }
    let diff = Math.floor((storeTimestamp - h.beginTimestamp) / 1000);
    if (diff < 0) diff = 0;
    if (diff > 0x7fffffff) diff = 0x7fffffff;
    const n = h.indexCount;
    if (this.pendingCount === 0) this.pendingFirst = n;
    if ((this.pendingCount + 1) * ENTRY > this.pending.length) {
      const g = Buffer.allocUnsafe(this.pending.length * 2);
      this.pending.copy(g, 0, 0, this.pendingCount * ENTRY);
      this.pending = g;
    }
    const p = this.pendingCount * ENTRY;
    this.pending.writeInt32BE(keyHash | 0, p);
    writeLong(this.pending, phyOffset, p + 4);
    this.pending.writeInt32BE(diff, p + 12);
    this.pending.writeInt32BE(prev > 0 && prev < n ? prev : 0, p + 16);
    this.pendingCount++;
    this.slots[slot] = n;
    this.dirtyPages.add(Math.floor(slot / SLOT_PAGE));
    if (prev <= 0) h.hashSlotCount++;
    h.indexCount = n + 1;
    h.endPhyOffset = phyOffset;
    h.endTimestamp = storeTimestamp;
    return true;
  }

  /** Hands the entries added since the last call to the thread pool (page cache); readable from memory meanwhile. */
  writePending(): void {
    if (this.pendingCount === 0) return;
    const pos = HEADER + this.slotNum * 4 + this.pendingFirst * ENTRY;
    const len = this.pendingCount * ENTRY;
    // The round's buffer goes with its write; the next round gets a new one.
    const w: EntryWrite = { first: this.pendingFirst, count: this.pendingCount, buf: this.pending.subarray(0, len) };
    this.pending = Buffer.allocUnsafe(Math.max(ENTRY * 256, Math.min(this.pending.length, 64 * 1024)));
    this.pendingCount = 0;
    this.writing.push(w);
    this.io(pwrite(this.fd, w.buf, pos)).then(
      () => this.entryWritten(w),
      (err: unknown) => {
        // The entries stay readable from memory; nothing past them is ever claimed durable (persist fails).
        this.writeError ??= err;
        this.settleWaiters();
      },
    );
  }

  private entryWritten(w: EntryWrite): void {
    const i = this.writing.indexOf(w);
    if (i >= 0) this.writing.splice(i, 1);
    this.settleWaiters();
  }

  private settleWaiters(): void {
    if (this.writeWaiters.length === 0) return;
    const oldest = this.writing.length > 0 ? this.writing[0].first : Number.MAX_SAFE_INTEGER;
    const rest = [];
    for (const x of this.writeWaiters) {
      if (this.writeError !== undefined) x.reject(this.writeError);
      else if (oldest >= x.upTo) x.resolve();
      else rest.push(x);
    }
    this.writeWaiters = rest;
  }

  /** Resolves once every entry numbered below `upTo` is written (rejects after a failed write). */
  private entriesWritten(upTo: number): Promise<void> {
    if (this.writeError !== undefined) return Promise.reject(this.writeError);
    if (this.writing.length === 0 || this.writing[0].first >= upTo) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.writeWaiters.push({ upTo, resolve, reject }));
  }

  /** Counts a write in flight on the descriptor until it settles. */
  private io<R>(p: Promise<R>): Promise<R> {
    this.ioCount++;
    const done = (): void => {
      if (--this.ioCount === 0) for (const f of this.onIdle.splice(0)) f();
    };
    p.then(done, done);
    return p;
  }

  /** Writes header, then dirty slot pages, then fsyncs. Returns the header that is now durable. */
  persist(): Promise<IndexHeader> {
    const run = this.persisting.then(
      () => this.persistNow(),
      () => this.persistNow(),
    );
    this.persisting = run.catch(() => undefined);
    return run;
  }

  private async persistNow(): Promise<IndexHeader> {
    // Header, slots and the entries they point to, as of this instant.
    this.writePending();
    const h = { ...this.header };
    const hb = Buffer.alloc(HEADER);
    writeLong(hb, h.beginTimestamp, 0);
    writeLong(hb, h.endTimestamp, 8);
    writeLong(hb, h.beginPhyOffset, 16);
    writeLong(hb, h.endPhyOffset, 24);
    hb.writeInt32BE(h.hashSlotCount, 32);
    hb.writeInt32BE(h.indexCount, 36);
    const pages: Array<{ buf: Buffer; pos: number }> = [];
    if (this.slots) {
      const slots = this.slots;
      for (const page of [...this.dirtyPages].sort((a, b) => a - b)) {
        const first = page * SLOT_PAGE;
        const count = Math.min(SLOT_PAGE, this.slotNum - first);
        const b = Buffer.allocUnsafe(count * 4);
        for (let i = 0; i < count; i++) b.writeInt32BE(slots[first + i], i * 4);
        pages.push({ buf: b, pos: HEADER + first * 4 });
      }
      this.dirtyPages.clear();
    }
    try {
      await this.entriesWritten(h.indexCount);
      // The header first: one newer than the checkpoint marks slots that may be torn (the file is then rebuilt).
      await this.io(pwrite(this.fd, hb, 0));
      await Promise.all(pages.map((p) => this.io(pwrite(this.fd, p.buf, p.pos))));
      await this.io(new Promise<void>((resolve, reject) => fs.fdatasync(this.fd, (e) => (e ? reject(e) : resolve()))));
    } catch (err) {
      // Those pages are written again by the next persist.
      if (this.slots) for (const p of pages) this.dirtyPages.add((p.pos - HEADER) / 4 / SLOT_PAGE);
      throw err;
    }
    this.persistedEndPhyOffset = h.endPhyOffset;
    this.persistedEndTimestamp = h.endTimestamp;
    return h;
  }

  /** Entry `n` from a write still in flight (or not yet handed out), else undefined (then it is on file). */
  private entryInMemory(n: number): { buf: Buffer; at: number } | undefined {
    if (this.pendingCount > 0 && n >= this.pendingFirst && n < this.pendingFirst + this.pendingCount) {
      return { buf: this.pending, at: (n - this.pendingFirst) * ENTRY };
    }
    for (let i = this.writing.length - 1; i >= 0; i--) {
      const w = this.writing[i];
      if (n >= w.first && n < w.first + w.count) return { buf: w.buf, at: (n - w.first) * ENTRY };
    }
    return undefined;
  }

  /** Drops the in-memory slot table (after a final persist of a full file). */
  deactivate(): void {
    this.slots = undefined;
  }

  private slotValue(slot: number): number {
    if (this.slots) return this.slots[slot];
    const b = Buffer.alloc(4);
    fs.readSync(this.fd, b, 0, 4, HEADER + slot * 4);
    return b.readInt32BE(0);
  }

  /** Physical offsets of entries with this key hash stored within [begin, end] ms, newest first (ref §5.5). */
  lookup(keyHash: number, maxNum: number, begin: number, end: number, out: number[]): void {
    const h = this.header;
    let n = this.slotValue(keyHash % this.slotNum);
    const e = Buffer.alloc(ENTRY);
    while (n > 0 && n < h.indexCount && out.length < maxNum) {
      const mem = this.entryInMemory(n);
      if (mem) mem.buf.copy(e, 0, mem.at, mem.at + ENTRY);
      else fs.readSync(this.fd, e, 0, ENTRY, HEADER + this.slotNum * 4 + n * ENTRY);
      const hash = e.readInt32BE(0);
      const phy = readLong(e, 4);
      const diff = e.readInt32BE(12);
      const prev = e.readInt32BE(16);
      if (diff < 0) break;
      const time = h.beginTimestamp + diff * 1000;
      if (hash === keyHash && time >= begin - 999 && time <= end) out.push(phy);
      if (prev <= 0 || prev >= n || time < begin - 999) break;
      n = prev;
    }
  }

  /** Closes the descriptor, once the writes in flight on it have ended (a reused descriptor must never get them). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const closeNow = (): void => {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
    };
    if (this.ioCount === 0) closeNow();
    else this.onIdle.push(closeNow);
  }

  /** Resolves once no write is in flight on this file. */
  idle(): Promise<void> {
    if (this.ioCount === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.onIdle.push(resolve));
  }

  destroy(): void {
    this.close();
    try {
      fs.unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
