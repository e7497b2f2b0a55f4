/**
 * The message index (ref §5.5): lookups by `topic#key` for every KEYS entry and for UNIQ_KEY, over a list of index
 * files named by creation time (yyyyMMddHHmmssSSS). The index is derived data: after an unclean exit, files whose
 * header is newer than the checkpoint are destroyed and rebuilt by re-dispatching from the commit log.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Logger } from 'pino';
import { KEY_SEPARATOR, PROP, TRANSACTION_ROLLBACK_TYPE, javaStringHashCode, transactionType } from '../common/message';
import type { DispatchRequest } from './dispatch';
import { IndexFile, indexKeyHash } from './index-file';

function two(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** yyyyMMddHHmmssSSS in local time (ref §5.5). */
export function indexFileName(t: number): string {
  const d = new Date(t);
  return (
    two(d.getFullYear(), 4) +
    two(d.getMonth() + 1) +
    two(d.getDate()) +
    two(d.getHours()) +
    two(d.getMinutes()) +
    two(d.getSeconds()) +
    two(d.getMilliseconds(), 3)
  );
}

/** Index entries are handed to the file writer in groups of at least this many (see IndexService.writePending)... */
export const INDEX_WRITE_MIN_ENTRIES = 512;
/** ...or after this long, ms. */
export const INDEX_WRITE_MAX_DELAY_MS = 200;

export class IndexService {
  readonly dir: string;
  readonly files: IndexFile[] = [];
  /** Start offset of the last message indexed; records at or before it are skipped on re-dispatch. */
  lastIndexedPhy = -1;
  /** Set at load when files had to be destroyed: the first commit-log offset they covered. */
  private rebuildFrom: number | undefined;
  /** The checkpoint's index offset seen at load. */
  private confirmedPhy = -1;
  /** Entries added since the last hand-over to the file writer (see writePending). */
  private unwritten = 0;
  private lastHandOver = 0;

  constructor(
    rootDir: string,
    private readonly slotNum: number,
    private readonly indexNum: number,
    private readonly logger: Logger,
  ) {
    this.dir = path.join(rootDir, 'index');
  }

  /**
   * Opens the index files. `confirmedPhy` is the commit-log offset up to which the checkpoint says the index was
   * complete and durable. After an unclean exit (`abnormal`), files whose header holds entries at or past it may
   * have torn slots and are destroyed; their records are re-indexed from the first one they held.
   */
  load(abnormal: boolean, confirmedPhy: number): void {
    let names: string[] = [];
    let rebuildFrom = Number.MAX_SAFE_INTEGER;
    try {
      names = fs
        .readdirSync(this.dir)
        .filter((n) => /^\d{17}$/.test(n))
        .sort();
    } catch {
      // No index directory although the checkpoint says something was indexed: it was removed, rebuild it all.
      fs.mkdirSync(this.dir, { recursive: true });
      if (confirmedPhy > 0) rebuildFrom = 0;
    }
    const expectedSize = IndexFile.fileSize(this.slotNum, this.indexNum);
    for (const n of names) {
      const p = path.join(this.dir, n);
      if (fs.statSync(p).size !== expectedSize) {
        // Written with other maxHashSlotNum / maxIndexNum: unreadable with these options, so rebuild it.
        this.logger.warn({ file: p }, 'index file size does not match maxHashSlotNum/maxIndexNum; rebuilding it');
        fs.unlinkSync(p);
        rebuildFrom = 0;
        continue;
      }
      const f = IndexFile.open(p, this.slotNum, this.indexNum);
      if (abnormal && f.entryCount() > 0 && f.header.endPhyOffset >= confirmedPhy) {
        this.logger.warn(
          { file: f.path, endPhyOffset: f.header.endPhyOffset, confirmedPhy },
          'destroying index file newer than the checkpoint',
        );
        rebuildFrom = Math.min(rebuildFrom, f.header.beginPhyOffset);
        f.destroy();
        continue;
      }
      this.files.push(f);
    }
    for (const f of this.files) {
      if (f.entryCount() > 0) this.lastIndexedPhy = Math.max(this.lastIndexedPhy, f.header.endPhyOffset);
    }
    this.rebuildFrom = rebuildFrom === Number.MAX_SAFE_INTEGER ? undefined : rebuildFrom;
    if (this.rebuildFrom !== undefined) this.lastIndexedPhy = Math.min(this.lastIndexedPhy, this.rebuildFrom - 1);
    this.confirmedPhy = confirmedPhy;
    const last = this.files[this.files.length - 1];
    if (last && !last.isFull()) last.activate();
  }

  /**
   * Where re-dispatch must start for the index to be complete (a record boundary): the first record of a destroyed
   * file, else the later of the checkpoint's confirmed offset and the last indexed message.
   */
  replayFrom(): number {
    if (this.rebuildFrom !== undefined) return this.rebuildFrom;
    return Math.max(this.confirmedPhy, this.lastIndexedPhy, 0);
  }

  private active(): IndexFile {
    let last = this.files[this.files.length - 1];
    if (!last || last.isFull()) {
      if (last) {
        const full = last;
        void full.persist().then(
          () => full.deactivate(),
          (err: unknown) => this.logger.error({ err, file: full.path }, 'index flush failed'),
        );
      }
      let t = Date.now();
      let p = path.join(this.dir, indexFileName(t));
      while (fs.existsSync(p)) p = path.join(this.dir, indexFileName(++t));
      fs.mkdirSync(this.dir, { recursive: true });
      last = IndexFile.create(p, this.slotNum, this.indexNum);
      this.files.push(last);
    }
    return last;
  }

  /** Indexes one dispatched record (skips rollback messages and records already indexed). */
  dispatch(req: DispatchRequest): void {
    if (req.physicalOffset <= this.lastIndexedPhy) return;
    if (transactionType(req.sysFlag) === TRANSACTION_ROLLBACK_TYPE) return;
    const uniq = req.properties[PROP.UNIQ_KEY];
    const keys = req.properties[PROP.KEYS];
    if (uniq) this.putKey(`${req.topic}#${uniq}`, req);
    if (keys) {
      for (const k of keys.split(KEY_SEPARATOR)) if (k !== '') this.putKey(`${req.topic}#${k}`, req);
    }
    this.lastIndexedPhy = req.physicalOffset;
  }

  private putKey(key: string, req: DispatchRequest): void {
    const h = indexKeyHash(javaStringHashCode(key));
    let f = this.active();
    this.unwritten++;
    if (!f.put(h, req.physicalOffset, req.storeTimestamp)) {
      f = this.active();
      f.put(h, req.physicalOffset, req.storeTimestamp);
    }
  }

  /**
   * Called after each dispatch round: hands the entries added since the last hand-over to the thread pool (see
   * IndexFile) once {@link INDEX_WRITE_MIN_ENTRIES} are waiting or {@link INDEX_WRITE_MAX_DELAY_MS} have passed.
   * A write per round cost a thread-pool hop per put at low rates; entries waiting are served from memory, and
   * every persist (the periodic flush, a full file, shutdown) writes them first, so nothing is claimed durable
   * before it is on file.
   */
  writePending(now = Date.now()): void {
    if (this.unwritten === 0) return;
    if (this.unwritten < INDEX_WRITE_MIN_ENTRIES && now - this.lastHandOver < INDEX_WRITE_MAX_DELAY_MS) return;
    this.unwritten = 0;
    this.lastHandOver = now;
    const last = this.files[this.files.length - 1];
    last?.writePending();
  }

  /**
   * Persists every file with entries not yet on disk (header, slots, fsync), oldest first; returns the start offset
   * and time of the newest durable entry, or undefined when nothing changed.
   */
  async flush(): Promise<{ phy: number; timestamp: number } | undefined> {
    let changed = false;
    for (const f of [...this.files]) {
      if (f.entryCount() === 0 || f.persistedEndPhyOffset === f.header.endPhyOffset) continue;
      await f.persist();
      changed = true;
    }
    // Every file is now durable up to what the newest one's persisted header says.
    const last = this.files[this.files.length - 1];
    return changed && last ? { phy: last.persistedEndPhyOffset, timestamp: last.persistedEndTimestamp } : undefined;
  }

  /** Physical offsets for `topic#key` stored within [begin, end] ms, newest first, at most maxNum. */
  query(topic: string, key: string, maxNum: number, begin: number, end: number): number[] {
    const h = indexKeyHash(javaStringHashCode(`${topic}#${key}`));
    const out: number[] = [];
    for (let i = this.files.length - 1; i >= 0 && out.length < maxNum; i--) {
      const f = this.files[i];
      if (f.entryCount() === 0) continue;
      if (f.header.endTimestamp < begin - 1000 || f.header.beginTimestamp > end) continue;
      f.lookup(h, maxNum, begin, end, out);
    }
    return out;
  }

  /** Last update of the newest file (queryMessage response fields). */
  lastUpdate(): { timestamp: number; phyOffset: number } {
    const last = this.files[this.files.length - 1];
    return last ? { timestamp: last.header.endTimestamp, phyOffset: last.header.endPhyOffset } : { timestamp: 0, phyOffset: 0 };
  }

  /** Deletes files (never the newest) whose last entry lies before `minPhy` (ref §5.9). */
  deleteExpired(minPhy: number): number {
    let n = 0;
    while (this.files.length > 1 && this.files[0].header.endPhyOffset < minPhy) {
      this.files.shift()?.destroy();
      n++;
    }
    return n;
  }

  /** Resolves once no index write is in flight (entries, a full file's persist). */
  async whenIdle(): Promise<void> {
    await Promise.all(this.files.map((f) => f.idle()));
  }

  /** Closes every file (each once its writes in flight have ended). */
  close(): void {
    for (const f of this.files) f.close();
  }
}
