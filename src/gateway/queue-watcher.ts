/**
 * Long-poll wake-ups shared by every waiting get of this gateway process: at most one PULL_MESSAGE with suspend is
 * outstanding per queue (at the highest max offset this process knows), whatever the number of waiting consumers
 * and groups. A pull that finds a message, or a newer max offset, wakes every get waiting on that queue; each then
 * claims through coord as usual. Without this, every get would leave its own held pulls behind on the broker.
 *
 * A pull's news wakes, per group, only as many of the gets waiting on it as messages arrived (first come, first
 * woken): one message wakes one get of each group, not every get of the group waiting on the queue (they would all
 * claim, and all but one find nothing). The others keep waiting, on a new held pull at the new max offset. A get
 * whose wait ends (its time is up, or news on another queue woke it) leaves the queue's waiters at once, so it never
 * takes a wake-up another get needed; a woken get that could not read the queue hands its wake-up on
 * ({@link QueueWatcher.wakeAll}).
 *
 * The held pull asks for a batch of messages, not one, and its answer is kept for a short while
 * ({@link QueueWatcher.prefetched}): the woken get then reads the messages it claims from there instead of pulling
 * them again, which saves a broker round trip on every wake-up (the largest part of a long-polling consumer's
 * latency after the send itself). Messages at an offset never change, so a kept answer is as good as a new pull.
 */
import type { Logger } from 'pino';
import type { MQClient, MessageQueue, PullResult } from '../client';
import type { QueueCursors } from './queue-cursor';
import { queueId } from './queue-cursor';

/** One get waiting on one queue. */
interface Waiter {
  group: string;
  /** When the get's wait ends, ms since the epoch (a held pull issued for it holds at most until then). */
  until: number;
  resolve(news: boolean): void;
  reject(err: unknown): void;
  /** Resolved or cancelled. */
  done: boolean;
  /** When it joined its current pull, ms since the epoch. */
  joinedAt: number;
}

interface Watch {
  /** The offset the pull was issued at (the known max offset then). */
  offset: number;
  /** When the pull was issued (ms since the epoch) and the hold it asked for (ms). */
  issuedAt: number;
  holdMs: number;
  /** The gets waiting on this pull's answer, in arrival order. */
  waiters: Waiter[];
}

/** One get's wait on one queue: `news` as {@link QueueWatcher.watch} describes; `cancel` leaves the queue's waiters. */
export interface WatchHandle {
  news: Promise<boolean>;
  cancel(): void;
}

/** Messages asked for by a held pull (the broker's default per-pull count). */
const WATCH_BATCH = 32;
/** A get with less time left than this is told "no news" rather than watched on by a new pull, ms. */
const MIN_REWATCH_MS = 20;
/** A kept answer is used for this long after it arrived, ms. */
const KEEP_MS = 1000;
/** Answers with more body bytes than this are not kept (memory). */
const KEEP_MAX_BYTES = 128 * 1024;
/** At most this many answers are kept (oldest dropped first). */
const KEEP_MAX_QUEUES = 256;

interface Kept {
  /** The offset the pull was issued at. */
  from: number;
  result: PullResult;
  at: number;
}

export class QueueWatcher {
  private readonly watches = new Map<string, Watch>();
  /** queue id → the last held pull's answer with messages (see {@link QueueWatcher.prefetched}). */
  private readonly kept = new Map<string, Kept>();

  constructor(
    private readonly opts: { pullTimeoutMs: number; maxHoldMs: number },
    private readonly deps: { client: MQClient; cursors: QueueCursors; logger: Logger },
  ) {}

  /** Outstanding held pulls (for tests and health). */
  get outstanding(): number {
    return this.watches.size;
  }

  /**
   * Waits for news of one queue: joins the outstanding pull when it was issued at the offset we know, else issues
   * one held for up to `holdMs` (a queue we know nothing about is asked without holding, so a first get sees old
   * messages). `news` resolves true when this get is woken by news, false when the hold ended without any; it
   * rejects on a broker error. The caller must `cancel` once it stops waiting.
   */
  watch(group: string, q: MessageQueue, holdMs: number): WatchHandle {
    let resolve!: (v: boolean) => void;
    let reject!: (err: unknown) => void;
    const news = new Promise<boolean>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const w: Waiter = {
      group,
      until: Date.now() + holdMs,
      done: false,
      joinedAt: 0,
      resolve: (v) => {
        if (w.done) return;
        w.done = true;
        resolve(v);
      },
      reject: (err) => {
        if (w.done) return;
        w.done = true;
        reject(err);
      },
    };
    this.attach(q, w);
    return {
      news,
      cancel: () => {
        w.done = true;
      },
    };
  }

  /** Adds a waiter to the queue's outstanding pull, or issues one for it. */
  private attach(q: MessageQueue, w: Waiter): void {
    const id = queueId(q);
    const offset = this.deps.cursors.maxOffset(q);
    const current = this.watches.get(id);
    w.joinedAt = Date.now();
    if (current && current.offset >= offset) {
      // Gets that stopped waiting are dropped now and then (a pull may be held for seconds while gets come and go).
      if (current.waiters.length >= 64) current.waiters = current.waiters.filter((x) => !x.done);
      current.waiters.push(w);
      return;
    }
    const fresh = !this.deps.cursors.knowsMax(q);
    const holdMs = fresh ? 0 : Math.min(Math.max(0, w.until - Date.now()), this.opts.maxHoldMs);
    const watch: Watch = { offset, issuedAt: Date.now(), holdMs, waiters: [w] };
    this.watches.set(id, watch);
    this.deps.client
      .pull({
        consumerGroup: w.group,
        brokerName: q.brokerName,
        topic: q.topic,
        queueId: q.queueId,
        offset,
        maxMsgNums: WATCH_BATCH,
        // Any message is news: each waiting get applies its own tag filter when it claims.
        subscription: '*',
        suspendTimeoutMillis: holdMs,
        timeoutMs: this.opts.pullTimeoutMs,
      })
      .then(
        (r) => {
          if (this.watches.get(id) === watch) this.watches.delete(id);
          this.keep(id, offset, r);
          const logBefore = this.deps.cursors.logId(q);
          const grew = this.deps.cursors.observe(q, r) || r.status === 'FOUND';
          if (!grew) {
            // The hold ran out without news. A get that joined this pull late (it was issued for an earlier get,
            // and held for this one only a moment) goes on waiting on a new held pull, so that the queue stays
            // watched for it: told "no news", it would stop watching this queue while its other queues' holds go
            // on, and an arrival here would wait for those to end. The others are told (their reader then looks
            // for claimable offsets, expired leases included, before waiting again), and so are all waiters of a
            // pull the broker answered without holding (a slave behind, a master away: the reader pauses).
            const now = Date.now();
            const held = watch.holdMs > 0 && now - watch.issuedAt >= watch.holdMs / 2;
            for (const x of watch.waiters) {
              if (x.done) continue;
              const late = now - x.joinedAt < watch.holdMs / 2;
              if (held && late && x.until - now > MIN_REWATCH_MS) this.attach(q, x);
              else x.resolve(false);
            }
            return;
          }
          // Messages that arrived: a new log (or an unknown count) wakes everyone.
          const log = this.deps.cursors.logId(q);
          const count = log === logBefore && Number.isSafeInteger(r.maxOffset) && r.maxOffset > offset ? Math.max(r.maxOffset - offset, r.messages.length) : Infinity;
          this.wakeSome(q, watch.waiters, count);
        },
        (err: unknown) => {
          if (this.watches.get(id) === watch) this.watches.delete(id);
          this.deps.logger.debug({ err, queue: id }, 'long-poll pull failed');
          for (const x of watch.waiters) x.reject(err);
        },
      );
  }

  /**
   * Wakes up to `count` waiters of each group (the first ones); the others wait on, on a pull at the new max offset
   * (or are told "no news" when their wait is over).
   */
  private wakeSome(q: MessageQueue, waiters: Waiter[], count: number): void {
    const woken = new Map<string, number>();
    const now = Date.now();
    for (const x of waiters) {
      if (x.done) continue;
      const n = woken.get(x.group) ?? 0;
      if (n < count) {
        woken.set(x.group, n + 1);
        x.resolve(true);
      } else if (x.until <= now) {
        x.resolve(false);
      } else {
        this.attach(q, x);
      }
    }
  }

  /**
   * Wakes every get waiting on the queue (a woken get that failed to read it passes its wake-up on, so that no
   * arrival is left to the waits' ends).
   */
  wakeAll(q: MessageQueue): void {
    const watch = this.watches.get(queueId(q));
    if (!watch) return;
    for (const x of watch.waiters) x.resolve(true);
    watch.waiters = [];
  }

  /** Keeps an unfiltered answer with messages for {@link QueueWatcher.prefetched}. */
  private keep(id: string, from: number, r: PullResult): void {
    if (r.status !== 'FOUND' || r.messages.length === 0 || r.nextBeginOffset <= from) return;
    let bytes = 0;
    for (const m of r.messages) bytes += m.body.length;
    if (bytes > KEEP_MAX_BYTES) return;
    // Re-inserting moves the queue to the end of the map's order; the oldest entries go first.
    this.kept.delete(id);
    this.kept.set(id, { from, result: r, at: Date.now() });
    if (this.kept.size > KEEP_MAX_QUEUES) this.kept.delete(this.kept.keys().next().value as string);
  }

  /**
   * The answer of a recent held pull of the queue (subscription `*`) that covers `offset`, as if it had been pulled
   * at its own offset: its messages before `offset` are to be skipped by the caller. Undefined when there is none.
   */
  prefetched(q: MessageQueue, offset: number, now = Date.now()): PullResult | undefined {
    const id = queueId(q);
    const k = this.kept.get(id);
    if (!k) return undefined;
    if (now - k.at > KEEP_MS || offset >= k.result.nextBeginOffset) {
      // Too old, or read past: nobody needs it any more.
      if (now - k.at > KEEP_MS || offset >= k.result.nextBeginOffset) this.kept.delete(id);
      return undefined;
    }
    return offset >= k.from ? k.result : undefined;
  }
}
