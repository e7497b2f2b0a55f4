/**
 * Long-poll wake-ups shared by every waiting get of this gateway process: at most one PULL_MESSAGE with suspend is
 * outstanding per queue (at the highest max offset this process knows), whatever the number of waiting consumers
 * and groups. A pull that finds a message, or a newer max offset, wakes every get waiting on that queue; each then
 * claims through coord as usual. Without this, every get would leave its own held pulls behind on the broker, and
 * each arriving message would wake all of them.
 */
import type { Logger } from 'pino';
import type { MQClient, MessageQueue } from '../client';
import type { QueueCursors } from './queue-cursor';
import { queueId } from './queue-cursor';

interface Watch {
  /** The offset the pull was issued at (the known max offset then). */
  offset: number;
  /** Resolves true when the queue had news, false when the hold ended without any; rejects on a broker error. */
  news: Promise<boolean>;
}

export class QueueWatcher {
  private readonly watches = new Map<string, Watch>();

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
        maxMsgNums: 1,
        // Any message is news: each waiting get applies its own tag filter when it claims.
        subscription: '*',
        suspendTimeoutMillis: fresh ? 0 : Math.min(holdMs, this.opts.maxHoldMs),
        timeoutMs: this.opts.pullTimeoutMs,
      })
      .then((r) => this.deps.cursors.observe(q, r.minOffset, r.maxOffset) || r.status === 'FOUND')
      .finally(() => {
        if (this.watches.get(id)?.news === news) this.watches.delete(id);
      });
    // A rejection is handled by whoever awaits it; never leave it unhandled when nobody does.
    news.catch((err: unknown) => this.deps.logger.debug({ err, queue: id }, 'long-poll pull failed'));
    this.watches.set(id, { offset, news });
    return news;
  }
}
