/**
 * The read side of `get`: hands each message of a topic to one consumer of a group, on any gateway replica.
 *
 * Per call, queues are visited in a rotating order. For each queue:
 *  1. expired leases (at-least-once deliveries that were not acked in time) are re-claimed through coord and
 *     delivered again with attempt + 1, read with the lease's own tag expression (and filtered by the request's), or
 *     moved to `%DLQ%<group>` once they were delivered maxReconsumeTimes times;
 *  2. new offsets are claimed through coord below the max offset the broker last reported (coord makes claims
 *     disjoint across replicas), read from the broker (the broker filters tags by hash, the client then by string)
 *     and reported back with trim (offsets past what was read are released, filtered ones are done).
 * When nothing could be claimed, the call long-polls: one PULL_MESSAGE with suspend per queue, in parallel, at the
 * known max offset; the first that reports a newer max offset ends the wait and the claim pass runs again. A wait
 * that ends early without news (a broker that answers at once) is followed by a growing pause, never a busy loop.
 *
 * Safety rules (src/gateway/README.md "Delivery guarantees"):
 *  - coord state is a cache: a claim never creates state; when coord has none for the queue's log (new group,
 *    flushed Redis, another log) the state is seeded from the broker's committed offset, read fresh;
 *  - only the master's PULL_OFFSET_MOVED to a higher offset proves retention (raises the floor, counted as expired);
 *    a slave's answers never move a cursor;
 *  - a master whose max offset is below a state's cursor, or another logId, means a new log: the state is rewound.
 */
import type { Logger } from 'pino';
import { MqError, deferred, sleep } from '../common';
import type { MQClient, MessageQueue, PullResult, PulledMessage, Subscription } from '../client';
import { isNoState } from '../coord';
import type { Coordinator, Lease, QueueRef } from '../coord';
import { QueueCursors, logIdOf, queueKeyOf } from './queue-cursor';
import { QueueWatcher } from './queue-watcher';
import type { WatchHandle } from './queue-watcher';

/** One delivered message and how it was delivered. */
export interface Delivery {
  message: PulledMessage;
  queueKey: string;
  /** The lease the message is held under (0 in auto-ack mode). */
  lease: number;
  attempt: number;
  /** Lease deadline, ms since the epoch (0 in auto-ack mode). */
  deadline: number;
}

export interface ReadRequest {
  topic: string;
  group: string;
  subscription: Subscription;
  maxMessages: number;
  waitMs: number;
  invisibleMs: number;
  /** Stop adding messages once their bodies reach this many bytes (one message always fits). */
  maxBytes: number;
  /** Ordered consumption: one holder per queue, head first (GetRequest.orderly). */
  orderly?: boolean;
  /** Reserves a body's bytes under the gateway's reply cap (maxInflightReplyBytes); false stops the reply there. */
  reserve?: (bytes: number) => boolean;
}

export interface GroupReaderOptions {
  maxReconsumeTimes: number;
  reclaimCheckIntervalMs: number;
  /** Network timeout beyond a pull's hold time, ms. */
  pullTimeoutMs: number;
  /**
   * Auto-ack reads write the group's committed offset to the broker as the reply leaves (memory coordination: a
   * crash should not replay seconds of auto-acked messages). Default false.
   */
  commitAutoAck?: boolean;
}

export interface GroupReaderDeps {
  client: MQClient;
  coord: Coordinator;
  logger: Logger;
  /** Called when the master proved that messages the group had not consumed are gone (retention). */
  onExpired?: (group: string, topic: string, count: number) => void;
  /**
   * Messages that reached maxReconsumeTimes go to the DLQ through this when it resolves true (a draining cluster
   * generation: the newest generation's DLQ, see generations.ts); else CONSUMER_SEND_MSG_BACK to their own broker.
   */
  sendToDlq?: (group: string, topic: string, messages: PulledMessage[]) => Promise<boolean>;
}

/**
 * Most messages asked of a broker by one unfiltered pull. Our brokers bring up to this many (and up to
 * PULL_TRANSFER_BYTES) in one answer (PullRequest.transferBytes); RocketMQ brokers stop at their
 * maxTransferCountOnMessageInMemory (32), and the byte-limited answers are then learnt as the stride (readRange).
 */
const PULL_BATCH = 128;
/**
 * Record bytes one unfiltered pull may bring from our brokers (PullRequest.transferBytes): the broker's own
 * per-pull limit (256 KiB), so that small messages come PULL_BATCH at a time while large ones still come as
 * before (larger answers measured slower for 100 KiB messages: more bytes in flight and collected per get).
 */
const PULL_TRANSFER_BYTES = 256 * 1024;
/** Most messages asked by a filtered pull (the broker scans past its batch; one pull at a time). */
const FILTERED_PULL_BATCH = 32;
/** Bytes the pulls of one read may bring at once (large messages: several pulls in flight). */
const PULL_INFLIGHT_BYTES = 16 * 1000 * 1000;
/** Pulls of consecutive batches of one range in flight at once (unfiltered reads only, see readRange). */
const PARALLEL_PULLS = 4;
/**
 * Pulls in flight at once when a queue's answers are cut by the broker's byte limit (large messages: 256 KiB per pull
 * brings 2 of 100 KiB): batches are then sized to what one answer brings, and more of them go out at once.
 */
const PARALLEL_PULLS_LARGE = 8;
/** A claim with a tag filter takes at least this many offsets (most may be filtered out). */
const FILTERED_CLAIM = 64;
/** Visibility given to leases re-claimed for an auto-ack reader (they are acked as soon as they are read). */
const AUTO_RECLAIM_INVISIBLE_MS = 30000;
/**
 * Longest hold of one shared long-poll pull, ms. A longer wait re-issues it: a wake-up the broker missed then costs
 * at most this long (seen once in testing), at the price of one pull per queue per this period while idle.
 */
const MAX_HOLD_MS = 5000;
/** Bound on claim/long-poll rounds in one call (each round either delivers, waits, or finds nothing new). */
const MAX_ROUNDS = 1000;
/** A master's max offset below a state's cursor is checked (fresh) at most this often per group and queue, ms. */
const REWIND_CHECK_MS = 1000;
/** Shortest gap between two auto-ack commits of one group and queue (see commitNow), ms. */
const AUTO_COMMIT_GAP_MS = 100;
/** Pauses after a wait that ended without news while time was left, ms (doubling up to the last). */
const IDLE_BACKOFF_MS = [20, 50, 100, 200, 500, 1000];

interface Budget {
  /** Messages that may still be added. */
  count: number;
  /** Body bytes that may still be added (the first message of a call is always added). */
  bytes: number;
  /** Messages added so far in this call. */
  added: number;
  /** The reply cap's reservation (reads for a reply only), and whether it refused a body. */
  reserve?: (bytes: number) => boolean;
  refused?: boolean;
}

export class GroupReader {
  readonly cursors = new QueueCursors();
  private readonly heartbeatGroups = new Set<string>();
  /** Errors that came from coord: they fail the call, unlike a broker error that only skips its queue. */
  private readonly coordErrors = new WeakSet<Error>();
  private readonly watcher: QueueWatcher;
  /** group NUL queue → when a rewind was last checked fresh. */
  private readonly rewindCheckedAt = new Map<string, number>();
  /** Queue key → messages one pull of it brought when the broker's byte limit cut the answer (see readRange). */
  private readonly pullStride = new Map<string, number>();
  /** Queue key → body bytes of that cut answer. */
  private readonly pullBytes = new Map<string, number>();
  /** group NUL topic NUL queue key → the auto-ack commit in flight (see commitNow). */
  private readonly commits = new Map<string, { again: boolean }>();

  constructor(
    private readonly opts: GroupReaderOptions,
    private readonly deps: GroupReaderDeps,
  ) {
    this.watcher = new QueueWatcher({ pullTimeoutMs: opts.pullTimeoutMs, maxHoldMs: MAX_HOLD_MS }, { client: deps.client, cursors: this.cursors, logger: deps.logger });
  }

  /** Held pulls outstanding on the brokers for waiting gets. */
  get heldPulls(): number {
    return this.watcher.outstanding;
  }

  /** Reads up to maxMessages for the group. Rejects MqError (TOPIC_NOT_FOUND, UNAVAILABLE when coord is down, ...). */
  async read(req: ReadRequest): Promise<Delivery[]> {
    const started = Date.now();
    const until = started + req.waitMs;
    const queues = await this.deps.client.subscribeQueues(req.topic);
    this.announce(req);
    const out: Delivery[] = [];
    const budget: Budget = { count: req.maxMessages, bytes: req.maxBytes, added: 0, reserve: req.reserve };
    if (queues.length === 0 || req.maxMessages <= 0) return out;
    let first: MessageQueue | undefined;
    let idle = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      try {
        await this.claimPass(req, queues, out, budget, first);
      } catch (err) {
        // Woken by news this get could not read: the other gets waiting on that queue try it.
        if (first) this.watcher.wakeAll(first);
        throw err;
      }
      if (out.length > 0 || budget.refused) return out;
      const left = until - Date.now();
      // Nothing claimable below what we know: learn the queues' max offsets (waiting when the caller allows it).
      // The queue that had news is visited first in the next pass.
      first = await this.waitForNews(req, queues, Math.max(0, left));
      if (first) {
        idle = 0;
        continue;
      }
      const rest = until - Date.now();
      if (rest <= 0) return out;
      // The brokers answered at once without news (a slave behind, a master away): pause instead of spinning.
      await sleep(Math.min(rest, IDLE_BACKOFF_MS[Math.min(idle++, IDLE_BACKOFF_MS.length - 1)]));
    }
    return out;
  }

  /** Makes the brokers' heartbeats announce the group (RocketMQ tools then see the gateway as its consumer). */
  private announce(req: ReadRequest): void {
    const k = `${req.group}\u0000${req.topic}`;
    if (this.heartbeatGroups.has(k)) return;
    this.heartbeatGroups.add(k);
    const subscriptions: Record<string, string> = {};
    for (const key of this.heartbeatGroups) {
      const [g, t] = key.split('\u0000');
      if (g === req.group) subscriptions[t] = '*';
    }
    this.deps.client.registerConsumerGroup({ group: req.group, subscriptions });
  }

  /** A coord call. Its errors are remembered as coord errors (they fail the whole call). */
  private async coord<R>(fn: (c: Coordinator) => Promise<R>): Promise<R> {
    try {
      return await fn(this.deps.coord);
    } catch (err) {
      if (err instanceof Error && !isNoState(err)) this.coordErrors.add(err);
      throw err;
    }
  }

  /**
   * Seeds (or rewinds) the group's state of a queue from the brokers, read now: the group's committed offset when
   * the broker has one within the log, else the oldest retained message (a new group, or a new log). With
   * `rewindAbove`, an existing state is replaced only when its cursor is above the master's max offset read now.
   */
  private async seedFresh(group: string, q: MessageQueue, ref: QueueRef, rewind: boolean): Promise<void> {
    const { client } = this.deps;
    const maxA = await client.getMaxOffsetAnswer(q);
    const max = maxA.offset;
    const log = maxA.logId ?? this.cursors.logId(q);
    const committedA = await client.queryConsumerOffsetAnswer(group, q);
    const committed = committedA.offset;
    // An offset stored for another log (a rebuilt store, another cluster) is not this log's.
    const sameLog = committedA.logId === undefined || log === undefined || committedA.logId === log;
    // A max offset that came from a slave (the master is away) may lag: the committed offset is then trusted.
    const slaveServing = maxA.brokerId !== 0;
    let start: number;
    if (committed >= 0 && sameLog && (committed <= max || (slaveServing && !rewind))) start = committed;
    else {
      // The log's oldest retained message, by the master's word only (a slave that joined late starts later).
      // Without a master, start at 0: reading waits for the master rather than skip what the slave lacks.
      const minA = await client.getMinOffsetAnswer(q, { mode: 'master' }).catch(() => undefined);
      start = Math.min(minA?.offset ?? 0, max);
      if (slaveServing) start = minA?.offset ?? 0;
    }
    const logId = log;
    // Only the master's max offset proves a shorter log (a slave's may lag).
    const rewindAbove = rewind && !slaveServing ? max : undefined;
    const before = await this.coord((c) => c.inspect(ref));
    await this.coord((c) => c.seed(ref, start, { logId, replaceIfCursorAbove: rewindAbove, now: Date.now() }));
    if (before && (rewind || (logId !== undefined && before.logId !== '' && before.logId !== logId))) {
      const after = await this.coord((c) => c.inspect(ref));
      if (after && after.cursor !== before.cursor) {
        this.deps.logger.warn(
          { group, topic: q.topic, queue: ref.queueKey, from: before.cursor, to: after.cursor, logBefore: before.logId, log: after.logId },
          'queue log changed under the group (new log or truncated tail): group state rewound',
        );
      }
    }
  }

  /**
   * Visits the queues once, delivering redeliveries and new claims until the budget is used; after a wake-up by
   * news of `first`, that queue alone when it delivered something.
   */
  private async claimPass(
    req: ReadRequest,
    queues: readonly MessageQueue[],
    out: Delivery[],
    budget: Budget,
    first?: MessageQueue,
  ): Promise<void> {
    let failures = 0;
    let firstError: unknown;
    const order = this.cursors.rotate(req.group, req.topic, queues);
    if (first && order.includes(first)) order.splice(0, order.length, first, ...order.filter((q) => q !== first));
    for (const q of order) {
      if (budget.count <= 0 || budget.bytes <= 0) return;
      // Woken by news of `first` and served from it: answer now. The other queues had nothing claimable a moment ago;
      // visiting each (a coord round trip apiece) would only delay this reply, and the next get visits them all.
      if (first && q !== first && out.length > 0) return;
      const ref: QueueRef = { group: req.group, topic: req.topic, queueKey: queueKeyOf(q) };
      try {
        await this.redeliver(req, q, ref, out, budget);
        if (budget.count > 0 && budget.bytes > 0) await this.claimNew(req, q, ref, out, budget);
      } catch (err) {
        // Coord down fails the call (no queue can be claimed safely); a broker that cannot be reached, or is busy,
        // or a slave that has not copied the topic's config yet (TOPIC_NOT_FOUND while the route has the topic),
        // only skips its queue for this call. Anything else (bug) fails the call too.
        const skippable = MqError.is(err) && (err.retriable || err.code === 'TOPIC_NOT_FOUND');
        if ((err instanceof Error && this.coordErrors.has(err)) || !skippable) throw err;
        failures++;
        firstError ??= err;
        this.deps.logger.debug({ err, topic: req.topic, queue: ref.queueKey }, 'queue skipped');
      }
    }
    if (failures > 0 && failures === queues.length && out.length === 0) throw firstError;
  }

  /** Re-claims expired leases of the queue: DLQ beyond the limit, else delivery with attempt + 1. */
  private async redeliver(req: ReadRequest, q: MessageQueue, ref: QueueRef, out: Delivery[], budget: Budget): Promise<void> {
    const now = Date.now();
    if (!this.cursors.reclaimDue(req.group, q, now, this.opts.reclaimCheckIntervalMs)) return;
    const invisibleMs = req.invisibleMs > 0 ? req.invisibleMs : AUTO_RECLAIM_INVISIBLE_MS;
    const leases = await this.coord((c) => c.reclaimExpired(ref, { now, invisibleMs, maxCount: budget.count }));
    for (const lease of leases) {
      const isDlq = req.topic === `%DLQ%${req.group}`;
      if (lease.attempt > this.opts.maxReconsumeTimes && !isDlq) {
        await this.moveToDlq(req, q, ref, lease);
        continue;
      }
      if (budget.count <= 0 || budget.bytes <= 0) {
        // No room left in this reply: the lease goes back unread, keeping its attempt count.
        await this.coord((c) => c.trim(ref, lease, lease.from, []));
        continue;
      }
      const got: Delivery[] = [];
      let readEnd = lease.to;
      // The lease's own tag expression: a message it was not claimed for is never delivered by its redelivery.
      const leaseSub = lease.subscription || '*';
      try {
        for (const [from, to] of lease.offsets) {
          const r = await this.readRange(req, q, from, to, leaseSub, got, lease, budget);
          if (r < to) {
            readEnd = r;
            break;
          }
        }
      } catch (err) {
        readEnd = got.length > 0 ? got[got.length - 1].message.queueOffset + 1 : lease.from;
        await this.coord((c) => c.trim(ref, lease, readEnd, got.map((d) => d.message.queueOffset)));
        out.push(...this.matching(req, got));
        throw err;
      }
      // ...and the request's: what this consumer did not ask for is read but not delivered (done for the group).
      const kept = this.matching(req, got);
      await this.coord((c) => c.trim(ref, lease, readEnd, kept.map((d) => d.message.queueOffset)));
      if (req.invisibleMs === 0 && kept.length > 0) {
        // An auto-ack reader consumes a redelivery at once.
        await this.coord((c) => c.ack(ref, kept.map((d) => ({ lease: lease.lease, offset: d.message.queueOffset }))));
        for (const d of kept) Object.assign(d, { lease: 0, deadline: 0 });
      }
      out.push(...kept);
    }
  }

  /** The deliveries whose tag the request's expression accepts. */
  private matching(req: ReadRequest, got: Delivery[]): Delivery[] {
    if (req.subscription.all) return got;
    return got.filter((d) => d.message.tags !== undefined && req.subscription.tags.has(d.message.tags));
  }

  /** Claims offsets past everything claimed so far (below the known max offset) and reads them. */
  private async claimNew(req: ReadRequest, q: MessageQueue, ref: QueueRef, out: Delivery[], budget: Budget): Promise<void> {
    const maxCount = req.subscription.all ? budget.count : Math.max(budget.count, FILTERED_CLAIM);
    const gk = `${req.group}\u0000${ref.topic}\u0000${ref.queueKey}`;
    let lease: Lease | null = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      const masterMax = this.cursors.masterMax(q);
      const checkRewind = masterMax !== undefined && Date.now() - (this.rewindCheckedAt.get(gk) ?? 0) >= REWIND_CHECK_MS;
      try {
        lease = await this.coord((c) =>
          c.claim(ref, {
            startOffsetIfNew: -1,
            minOffset: this.cursors.floor(q),
            maxOffset: this.cursors.maxOffset(q),
            maxCount,
            invisibleMs: req.invisibleMs,
            now: Date.now(),
            logId: this.cursors.logId(q),
            subscription: req.subscription.expression,
            orderly: req.orderly === true,
            rewindAbove: checkRewind ? masterMax : undefined,
          }),
        );
        break;
      } catch (err) {
        if (!isNoState(err) || attempt > 0) throw err;
        // No state for this log (new group, lost Redis state, new log), or the master's log is shorter than the
        // cursor: read the truth from the brokers now.
        if (checkRewind) this.rewindCheckedAt.set(gk, Date.now());
        await this.seedFresh(req.group, q, ref, checkRewind);
      }
    }
    if (!lease) return;
    if (lease.expired > 0) this.noteExpired(req, ref, lease.expired, lease.from);
    const got: Delivery[] = [];
    let readEnd = lease.to;
    try {
      readEnd = await this.readRange(req, q, lease.from, lease.to, req.subscription.expression, got, lease, budget);
    } catch (err) {
      // The broker failed mid-read: give back what was not read, keep what was.
      readEnd = got.length > 0 ? got[got.length - 1].message.queueOffset + 1 : lease.from;
      await this.coord((c) => c.trim(ref, lease, readEnd, got.map((d) => d.message.queueOffset)));
      out.push(...got);
      throw err;
    }
    await this.coord((c) => c.trim(ref, lease, readEnd, got.map((d) => d.message.queueOffset)));
    out.push(...got);
    if (this.opts.commitAutoAck && lease.lease === 0 && readEnd > lease.from) await this.commitNow(req.group, q, ref);
  }

  /**
   * Writes the group's committed offset of the queue to the broker as the reply leaves (auto-ack with memory
   * coordination), instead of up to offsetFlushIntervalMs later. Not awaited, and coalesced: at most one write per
   * group and queue every AUTO_COMMIT_GAP_MS, the newest offset goes next. A broker that cannot take it now gets it from the
   * offset committer.
   */
  private async commitNow(group: string, q: MessageQueue, ref: QueueRef): Promise<void> {
    const k = `${group}\u0000${ref.topic}\u0000${ref.queueKey}`;
    const slot = this.commits.get(k);
    if (slot) {
      slot.again = true;
      return;
    }
    const state = { again: false };
    this.commits.set(k, state);
    void (async () => {
      try {
        for (;;) {
          state.again = false;
          const snap = await this.deps.coord.inspect(ref);
          if (!snap) break;
          await this.deps.client.updateConsumerOffset(group, q, snap.committed);
          // Later deliveries of a busy queue are written together, at most every AUTO_COMMIT_GAP_MS.
          await sleep(AUTO_COMMIT_GAP_MS);
          if (!state.again) break;
        }
      } catch (err) {
        this.deps.logger.debug({ err, group, queue: ref.queueKey }, 'auto-ack commit to the broker failed (the offset committer retries)');
      } finally {
        this.commits.delete(k);
      }
    })();
  }

  /** Counts and logs messages the master proved gone before the group consumed them. */
  private noteExpired(req: ReadRequest, ref: QueueRef, count: number, next: number): void {
    this.deps.onExpired?.(req.group, req.topic, count);
    this.deps.logger.warn({ group: req.group, topic: req.topic, queue: ref.queueKey, count, next }, 'messages expired by retention before the group consumed them');
  }

  /**
   * Reads offsets [from, to) of a queue into `got` until the budget is used. Returns the next offset to read (`to`
   * when the range was read completely; offsets skipped by the tag filter or proved deleted by the master count as
   * read).
   *
   * The broker answers at most PULL_BATCH messages per pull, so a long range would cost one round trip per batch.
   * Without a tag filter, consume-queue offsets map one to one onto messages, so the next batches' offsets are known
   * in advance: up to PARALLEL_PULLS pulls of consecutive batches are issued at once and their answers are used in
   * order, exactly as the sequential loop would; at the first answer that ends short of its batch (byte limit,
   * retention, a lagging slave) the later answers are dropped and reading goes on from where that one ended.
   */
  private async readRange(
    req: ReadRequest,
    q: MessageQueue,
    from: number,
    to: number,
    subscription: string,
    got: Delivery[],
    lease: Lease,
    budget: Budget,
  ): Promise<number> {
    const queueKey = queueKeyOf(q);
    // The log the lease was claimed on: an answer from another log ends the read (the next claim re-seeds).
    const claimLog = this.cursors.logId(q);
    let offset = from;
    for (let i = 0; offset < to && i < 10000; i++) {
      if (budget.count <= 0 || budget.bytes <= 0) return offset;
      // Batches to ask for now: consecutive ones only without a filter (a filtered pull scans past its batch).
      const want = Math.min(to - offset, budget.count);
      // A queue whose answers the broker cut by bytes: batches of what one answer brings, more of them at once (at
      // most the reply's byte budget's worth, judged from the sizes seen).
      const cut = subscription === '*' ? this.pullStride.get(queueKey) : undefined;
      const batch = subscription === '*' ? PULL_BATCH : FILTERED_PULL_BATCH;
      const stride = cut ?? batch;
      const inflight = Math.min(budget.bytes, PULL_INFLIGHT_BYTES);
      const parallel = cut === undefined ? PARALLEL_PULLS : Math.max(1, Math.min(PARALLEL_PULLS_LARGE, Math.floor(inflight / Math.max(1, this.pullBytes.get(queueKey) ?? 0))));
      const batches = subscription === '*' ? Math.min(parallel, Math.ceil(want / stride)) : 1;
      const starts: number[] = [];
      /** maxMsgNums of each pull (0: a held pull's answer, not ours to learn from). */
      const asked: number[] = [];
      const pulls: Array<Promise<PullResult>> = [];
      // A held pull's recent answer (QueueWatcher) covers the first batch: no round trip for it.
      const kept = subscription === '*' ? this.watcher.prefetched(q, offset) : undefined;
      let next = offset;
      if (kept) {
        starts.push(offset);
        asked.push(0);
        pulls.push(Promise.resolve(kept));
        next = kept.nextBeginOffset;
      }
      while (starts.length < batches && next < to && next - offset < budget.count) {
        const ask = Math.max(1, Math.min(to - next, budget.count - (next - offset), batch));
        starts.push(next);
        asked.push(ask);
        pulls.push(
          this.deps.client.pull({
            consumerGroup: req.group,
            brokerName: q.brokerName,
            topic: q.topic,
            queueId: q.queueId,
            offset: next,
            // Up to a full batch (the start is only the expected stride): an answer that brings more shows the limit
            // is gone, and the next batches, now misaligned, are dropped and asked again.
            maxMsgNums: ask,
            subscription,
            suspendTimeoutMillis: 0,
            // Our brokers: the whole batch in one answer, within what the reply can still take.
            ...(subscription === '*' ? { transferBytes: Math.max(1, Math.min(PULL_TRANSFER_BYTES, budget.bytes)) } : {}),
          }),
        );
        next += stride;
      }
      // Later answers that go unused must not become unhandled rejections.
      for (const p of pulls) p.catch(() => undefined);
      for (let k = 0; k < pulls.length; k++) {
        // A batch is used only when the previous ones ended exactly where it starts.
        if (starts[k] !== offset) break;
        const r = await pulls[k];
        this.cursors.observe(q, r);
        // A message of another log must never be taken for one of the lease's.
        if (claimLog !== undefined && logIdOf(r) !== undefined && logIdOf(r) !== claimLog) return offset;
        if (r.status === 'FOUND' || r.status === 'NO_MATCHED_MSG') {
          if (subscription === '*' && asked[k] > 0) this.learnStride(queueKey, r, asked[k]);
          for (const m of r.messages) {
            if (m.queueOffset < offset) continue;
            if (m.queueOffset >= to) break;
            // Keep the reply within maxBytes: a message that does not fit waits for the next call (unless it is the first).
            if (budget.count <= 0 || (budget.added > 0 && m.body.length > budget.bytes)) return m.queueOffset;
            if (budget.reserve && !budget.reserve(m.body.length)) {
              budget.refused = true;
              return m.queueOffset;
            }
            got.push({ message: m, queueKey, lease: lease.lease, attempt: lease.attempt, deadline: lease.deadline });
            budget.count--;
            budget.added++;
            budget.bytes -= m.body.length;
            if (budget.count <= 0 || budget.bytes <= 0) return Math.min(m.queueOffset + 1, to);
          }
          if (r.nextBeginOffset <= offset) return offset;
          offset = Math.min(r.nextBeginOffset, to);
        } else if (r.status === 'OFFSET_ILLEGAL' && r.brokerId === 0 && r.nextBeginOffset > offset) {
          // The master says these offsets are gone (retention): skip them, counted. Never on a slave's word: a slave
          // that joined late starts later than the master and still has to let us read the rest from the master.
          const skipTo = Math.min(r.nextBeginOffset, to);
          this.noteExpired(req, { group: req.group, topic: req.topic, queueKey }, skipTo - offset, r.nextBeginOffset);
          this.cursors.raiseFloor(q, r.nextBeginOffset);
          offset = skipTo;
        } else {
          // NO_NEW_MSG (a lagging slave), a slave's offset complaint, or the master's "beyond my log" (a rewind, found
          // by the next claim): stop, the rest is released.
          return offset;
        }
      }
    }
    return offset;
  }

  /**
   * Remembers how many messages (and bytes) one answer of an unfiltered pull brought when the broker's per-pull byte
   * limit cut it (fewer than asked while the queue held more); an answer of a full batch forgets it.
   */
  private learnStride(queueKey: string, r: PullResult, asked: number): void {
    const n = r.messages.length;
    if (r.status !== 'FOUND' || n === 0) return;
    if (n >= PULL_BATCH) {
      this.pullStride.delete(queueKey);
      return;
    }
    const last = r.messages[n - 1].queueOffset;
    if (n >= asked || last + 1 >= r.maxOffset) return;
    let bytes = 0;
    for (const m of r.messages) bytes += m.body.length;
    this.pullStride.set(queueKey, n);
    this.pullBytes.set(queueKey, bytes);
  }

  /** Moves a lease's messages to %DLQ%<group> through the broker that stores them, then marks them done. */
  private async moveToDlq(req: ReadRequest, q: MessageQueue, ref: QueueRef, lease: Lease): Promise<void> {
    const got: Delivery[] = [];
    const budget: Budget = { count: Number.MAX_SAFE_INTEGER, bytes: Number.MAX_SAFE_INTEGER, added: 0 };
    let readEnd = lease.to;
    for (const [from, to] of lease.offsets) {
      const r = await this.readRange(req, q, from, to, lease.subscription || '*', got, lease, budget);
      if (r < to) {
        readEnd = r;
        break;
      }
    }
    const elsewhere = this.deps.sendToDlq ? await this.deps.sendToDlq(req.group, req.topic, got.map((d) => d.message)) : false;
    for (const d of elsewhere ? [] : got) {
      await this.deps.client.consumerSendMsgBack({
        group: req.group,
        topic: req.topic,
        brokerName: q.brokerName,
        physicalOffset: d.message.physicalOffset,
        msgId: d.message.msgId,
        delayLevel: -1,
        maxReconsumeTimes: this.opts.maxReconsumeTimes,
      });
    }
    this.deps.logger.info({ group: req.group, topic: req.topic, queue: ref.queueKey, count: got.length, attempt: lease.attempt }, 'moved to DLQ');
    // What was read is done now (in the DLQ, or gone); what could not be read (a slave behind) stays for later.
    await this.coord((c) => c.trim(ref, lease, readEnd, []));
  }

  /**
   * Waits up to `waitMs` for news on any of the queues (shared held pulls, see QueueWatcher); resolves with the first
   * queue that has more than we knew, or undefined when the wait ended without news. Rejects only when every
   * queue's broker failed.
   */
  private waitForNews(req: ReadRequest, queues: readonly MessageQueue[], waitMs: number): Promise<MessageQueue | undefined> {
    const done = deferred<MessageQueue | undefined>();
    let pending = queues.length;
    let failures = 0;
    let firstError: unknown;
    // waitMs = 0: ask every queue once without holding (never join someone else's held pull); else wait for news.
    const timer = waitMs > 0 ? setTimeout(() => done.resolve(undefined), waitMs) : undefined;
    timer?.unref();
    const handles: WatchHandle[] = [];
    for (const q of queues) {
      let news: Promise<boolean>;
      if (waitMs > 0) {
        const h = this.watcher.watch(req.group, q, waitMs);
        handles.push(h);
        news = h.news;
      } else {
        news = this.peek(req.group, q);
      }
      news
        .then(
          (grew) => {
            if (grew) done.resolve(q);
          },
          (err: unknown) => {
            failures++;
            firstError ??= err;
          },
        )
        .finally(() => {
          pending--;
          if (pending === 0) {
            if (failures === queues.length) done.reject(firstError);
            else done.resolve(undefined);
          }
        });
    }
    // Whatever ended the wait, this get leaves every queue's waiters: a later wake-up goes to a get still waiting.
    return done.promise.finally(() => {
      clearTimeout(timer);
      for (const h of handles) h.cancel();
    });
  }

  /** One pull without holding, to learn a queue's max offset; true when it grew. */
  private async peek(group: string, q: MessageQueue): Promise<boolean> {
    const r = await this.deps.client.pull({
      consumerGroup: group,
      brokerName: q.brokerName,
      topic: q.topic,
      queueId: q.queueId,
      offset: this.cursors.maxOffset(q),
      maxMsgNums: 1,
      subscription: '*',
      suspendTimeoutMillis: 0,
      timeoutMs: this.opts.pullTimeoutMs,
    });
    return this.cursors.observe(q, r) || r.status === 'FOUND';
  }
}
