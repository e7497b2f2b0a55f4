/**
 * Flushing (ref §5.8): the commit log is fsynced periodically (ASYNC_FLUSH: every flushIntervalCommitLog ms when at
 * least flushCommitLogLeastPages pages are dirty, or after flushCommitLogThoroughInterval), and by group commit for
 * SYNC_FLUSH puts (one fsync serves every put waiting; a put waiting past syncFlushTimeout gets FLUSH_DISK_TIMEOUT).
 * Consume queues, the index and the checkpoint are fsynced every flushIntervalConsumeQueue ms.
 */
import type { StoreContext } from './store-context';
import type { PutMessageStatus } from './types';

const PAGE = 4096;

interface Waiter {
  end: number;
  deadline: number;
  cb(status: PutMessageStatus): void;
}

export class FlushService {
  /** SYNC_FLUSH puts waiting for an fsync that covers their end offset. */
  private waiters: Waiter[] = [];
  /** True while a group-commit fsync runs; puts arriving meanwhile wait for the next one. */
  private syncing = false;
  private stopped = false;
  /** Time of the last flush that ignored flushCommitLogLeastPages. */
  private lastThorough = Date.now();
  private timers: NodeJS.Timeout[] = [];
  /** The consume-queue/index/checkpoint flush in progress, if any (they never overlap). */
  private logicsRunning: Promise<void> | undefined;

  constructor(private readonly store: StoreContext) {}

  /** Starts the three loops: commit-log flush, logics flush, SYNC_FLUSH timeout sweep. */
  start(): void {
    const o = (): StoreContext['options'] => this.store.options;
    // setTimeout chains rather than setInterval: the interval is re-read from the (live-updatable) options each time
    // and a slow flush never overlaps the next one.
    const loop = (interval: () => number, fn: () => Promise<void>): void => {
      const t = setTimeout(() => {
        this.timers = this.timers.filter((x) => x !== t);
        if (this.stopped) return;
        fn()
          .catch((err: unknown) => this.store.logger.error({ err }, 'flush failed'))
          .finally(() => {
            if (!this.stopped) loop(interval, fn);
          });
      }, interval());
      t.unref();
      this.timers.push(t);
    };
    loop(() => o().flushIntervalCommitLog, () => this.periodicCommitLogFlush());
    loop(() => o().flushIntervalConsumeQueue, () => this.flushLogics());
    loop(
      () => Math.max(5, Math.min(100, Math.floor(o().syncFlushTimeout / 10))),
      async () => this.expireWaiters(),
    );
  }

  private async periodicCommitLogFlush(): Promise<void> {
    const cl = this.store.commitLog;
    const dirty = cl.writtenPos - cl.flushedPos;
    if (dirty <= 0) return;
    const now = Date.now();
    const o = this.store.options;
    const thorough = now - this.lastThorough >= o.flushCommitLogThoroughInterval;
    if (!thorough && dirty < o.flushCommitLogLeastPages * PAGE) return;
    if (thorough) this.lastThorough = now;
    await this.flushCommitLog();
  }

  /** fsyncs the commit log and records the store time of the last durable record. */
  private async flushCommitLog(): Promise<number> {
    const ts = this.store.lastWrittenTs;
    const flushed = await this.store.commitLog.flush();
    const cp = this.store.checkpoint;
    if (cp && ts > cp.physicMsgTimestamp) cp.physicMsgTimestamp = ts;
    return flushed;
  }

  /** SYNC_FLUSH: calls `cb` once the commit log is fsynced up to `end`, or with FLUSH_DISK_TIMEOUT. */
  waitFlushed(end: number, cb: (status: PutMessageStatus) => void): void {
    if (this.store.commitLog.flushedPos >= end) return cb('PUT_OK');
    this.waiters.push({ end, deadline: Date.now() + this.store.options.syncFlushTimeout, cb });
    this.groupCommit();
  }

  /** One fsync for every waiting put; repeats while puts that arrived during the fsync still wait. */
  private groupCommit(): void {
    if (this.syncing || this.waiters.length === 0) return;
    this.syncing = true;
    this.flushCommitLog().then(
      (flushed) => {
        this.syncing = false;
        const rest: Waiter[] = [];
        for (const w of this.waiters) {
          if (w.end <= flushed) w.cb('PUT_OK');
          else rest.push(w);
        }
        this.waiters = rest;
        this.groupCommit();
      },
      (err: unknown) => {
        this.syncing = false;
        this.store.logger.error({ err }, 'commit-log fsync failed');
        const all = this.waiters;
        this.waiters = [];
        for (const w of all) w.cb('FLUSH_DISK_TIMEOUT');
      },
    );
  }

  /** Answers FLUSH_DISK_TIMEOUT to puts that waited longer than syncFlushTimeout. */
  private expireWaiters(): void {
    if (this.waiters.length === 0) return;
    const now = Date.now();
    const rest: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.deadline <= now) w.cb('FLUSH_DISK_TIMEOUT');
      else rest.push(w);
    }
    this.waiters = rest;
  }

  /** fsyncs consume queues and the index, then writes the checkpoint (ref §5.6). */
  flushLogics(): Promise<void> {
    if (this.logicsRunning) return this.logicsRunning.then(() => this.flushLogics());
    const run = async (): Promise<void> => {
      const s = this.store;
      // Captured before the fsyncs: the checkpoint may only claim what those fsyncs cover.
      const dispatched = Math.min(s.dispatchedPos, s.commitLog.writtenPos);
      const ts = s.lastDispatchedTs;
      // One fsync at a time: Node's thread pool is small (4 threads by default) and the commit log's writes and
      // SYNC_FLUSH fsyncs share it; fsyncing every dirty queue at once could hold every thread and stall the puts.
      for (const cq of [...s.cqs.values()]) await cq.flush();
      const idx = s.options.messageIndexEnable ? await s.index.flush() : undefined;
      const cp = s.checkpoint;
      if (!cp) return;
      let changed = false;
      if (dispatched !== cp.logicsPhyOffset) {
        cp.logicsPhyOffset = dispatched;
        cp.logicsMsgTimestamp = Math.max(cp.logicsMsgTimestamp, ts);
        changed = true;
      }
      // Every index file is durable now and holds every record dispatched before the capture.
      if (s.options.messageIndexEnable && dispatched !== cp.indexPhyOffset) {
        cp.indexPhyOffset = dispatched;
        if (idx) cp.indexMsgTimestamp = idx.timestamp;
        changed = true;
      }
      if (changed) await cp.flush();
    };
    this.logicsRunning = run().finally(() => {
      this.logicsRunning = undefined;
    });
    return this.logicsRunning;
  }

  /** Stops the loops and flushes everything once more. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.flushCommitLog();
    for (const w of this.waiters.splice(0)) w.cb(w.end <= this.store.commitLog.flushedPos ? 'PUT_OK' : 'FLUSH_DISK_TIMEOUT');
    await this.flushLogics();
    await this.store.checkpoint?.flush();
  }
}
