/**
 * Long-poll wake-ups shared by every waiting get of this gateway process: at most one PULL_MESSAGE with suspend is
 * outstanding per queue (at the highest max offset this process knows), whatever the number of waiting consumers
 * and groups. A pull that finds a message, or a newer max offset, wakes every get waiting on that queue; each then
 * claims through coord as usual. Without this, every get would leave its own held pulls behind on the broker, and
 * each arriving message would wake all of them.
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

interface Watch {
  /** The offset the pull was issued at (the known max offset then). */
  offset: number;
  /** Resolves true when the queue had news, false when the hold ended without any; rejects on a broker error. */
  news: Promise<boolean>;
}

/** Messages asked for by a held pull (the broker's default per-pull count). */
const WATCH_BATCH = 32;
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
   * The news of one queue: joins the outstanding pull when it was issued at the offset we know, else issues one held
   * for up to `holdMs` (a queue we know nothing about is asked without holding, so a first get sees old messages).
   */
  watch(group: string, q: MessageQueue, holdMs: number): Promise<boolean> {
    const id = queueId(q);
    const offset = this.deps.cursors.maxOffset(q);
    const current = this.watches.get(id);
    if (current && current.offset >= offset) return current.news;
    const fresh = !this.deps.cursors.knowsMax(q);
    const news = this.deps.client
      .pull({
        consumerGroup: group,
        brokerName: q.brokerName,
        topic: q.topic,
        queueId: q.queueId,
        offset,
        maxMsgNums: WATCH_BATCH,
        // Any message is news: each waiting get applies its own tag filter when it claims.
        subscription: '*',
        suspendTimeoutMillis: fresh ? 0 : Math.min(holdMs, this.opts.maxHoldMs),
        timeoutMs: this.opts.pullTimeoutMs,
      })
      .then((r) => {
        this.keep(id, offset, r);
        return this.deps.cursors.observe(q, r) || r.status === 'FOUND';
      })
      .finally(() => {
        if (this.watches.get(id)?.news === news) this.watches.delete(id);
      });
    // A rejection is handled by whoever awaits it; never leave it unhandled when nobody does.
    news.catch((err: unknown) => this.deps.logger.debug({ err, queue: id }, 'long-poll pull failed'));
    this.watches.set(id, { offset, news });
    return news;
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
