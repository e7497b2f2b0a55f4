/**
 * The consumer-group coordination contract: every backend (memory for one gateway, Redis for N replicas) implements
 * {@link Coordinator}, and test/coord/conformance.ts runs the same suite against each.
 *
 * Model, per (consumer group, topic, queue key):
 * - a **claim cursor**: every offset below it has been handed to some consumer at least once;
 * - a **free list**: ranges below the cursor that were claimed but then released unread (see {@link Coordinator.trim});
 *   the next claims take them first;
 * - **in-flight leases** (at-least-once mode only): the offsets a consumer holds, with a deadline and a delivery
 *   attempt count; acks remove offsets; an expired lease is re-claimed for redelivery under a new lease id;
 * - the **committed offset**: the lowest offset that is not done, i.e. min(cursor, first free offset, lowest pending
 *   in-flight offset). Everything below it has been consumed by the group; this is what the gateway writes to the
 *   brokers (UPDATE_CONSUMER_OFFSET).
 * Every operation on one queue is atomic, so concurrent callers on any replica never get overlapping offsets.
 */

/** Identifies one queue's state for one consumer group. */
export interface QueueRef {
  /** The consumer group name. */
  readonly group: string;
  /** The topic name (a DLQ topic such as `%DLQ%<group>` is just another topic). */
  readonly topic: string;
  /** The queue within the topic, chosen by the caller; the gateway uses `<brokerName>:<queueId>`. */
  readonly queueKey: string;
}

/** A half-open offset range [from, to): `from` is included, `to` is not. */
export type OffsetRange = readonly [from: number, to: number];

/** Input of {@link Coordinator.claim}. All offsets count messages of the queue, not bytes. */
export interface ClaimRequest {
  /**
   * Where a group that has no state for this queue starts: the broker's committed offset for the group if it has one,
   * else the queue's min offset (a new group starts at the oldest retained message). -1: do not create state; the
   * claim then rejects with isNoState (src/coord/validate.ts) so that the caller reads the broker's offset fresh and calls seed.
   */
  readonly startOffsetIfNew: number;
  /**
   * The retention floor: offsets below it are skipped (counted in Lease.expired). Pass only what the queue's master
   * said is gone (PULL_OFFSET_MOVED to a higher offset), never a slave's min offset; 0 when unknown.
   */
  readonly minOffset: number;
  /** The queue's max offset on the broker (exclusive: the offset the next message will get). Never claimed beyond. */
  readonly maxOffset: number;
  /** The most offsets to claim, at least 1 for anything to happen. */
  readonly maxCount: number;
  /** 0: auto-ack (the offsets are consumed when claimed). Above 0: at-least-once, the lease expires after this, in ms. */
  readonly invisibleMs: number;
  /** The caller's clock, in ms since the epoch (all replicas should agree within a few hundred ms). */
  readonly now: number;
  /**
   * The identity of the log the caller reads (the broker's logId), when known. A state tied to another log is not
   * used: the claim rejects with isNoState (src/coord/validate.ts), and seed with the new logId replaces it.
   */
  readonly logId?: string;
  /** The tag expression the offsets are read with; kept by the lease for its redeliveries. Default '*'. */
  readonly subscription?: string;
  /** Orderly: claim nothing while any lease of the queue is in flight (the head is redelivered first). */
  readonly orderly?: boolean;
  /**
   * The queue's max offset as its master last reported it, when the caller has that evidence: a state whose cursor
   * is above it describes a longer (older) log, and the claim rejects with isNoState so that the caller checks fresh
   * and rewinds with seed({ replaceIfCursorAbove }). Only with startOffsetIfNew = -1.
   */
  readonly rewindAbove?: number;
}

/** A claimed (or re-claimed) set of offsets. */
export interface Lease {
  /** The lease id, unique per queue state; 0 for an auto-ack claim (nothing is held in flight). */
  readonly lease: number;
  /** The lowest offset of the lease. */
  readonly from: number;
  /** One past the highest offset of the lease. */
  readonly to: number;
  /**
   * The offsets to deliver, as sorted disjoint ranges within [from, to). A new claim covers all of [from, to); a
   * redelivery covers only the offsets that were delivered before and not acked.
   */
  readonly offsets: readonly OffsetRange[];
  /** 1 for a first delivery; raised by one each time the lease expires and is re-claimed. */
  readonly attempt: number;
  /** When the lease expires, in ms since the epoch; 0 for auto-ack. */
  readonly deadline: number;
  /** The tag expression the lease was claimed with (redeliveries read with it). */
  readonly subscription: string;
  /** Offsets this claim skipped because they are below minOffset (gone by retention); 0 for reclaims. */
  readonly expired: number;
}

/** Outcome of {@link Coordinator.trim}. STALE: the lease no longer exists (it expired and was re-claimed). */
export type TrimStatus = 'OK' | 'STALE';

/** One receipt to acknowledge: the lease it was delivered under and the message's offset. */
export interface AckItem {
  readonly lease: number;
  readonly offset: number;
}

/**
 * Per-receipt outcome of {@link Coordinator.ack}:
 * - OK: the offset was pending in that lease and is now done;
 * - ALREADY_ACKED: the offset was acked before under that lease (the lease still exists, or was fully acked within
 *   the last 10 minutes);
 * - STALE: the lease ended otherwise (expired and re-claimed, reset, state lost) or never covered the offset.
 */
export type AckStatus = 'OK' | 'ALREADY_ACKED' | 'STALE';

export interface AckOptions {
  /** When true and any item is STALE, nothing is applied (statuses are still reported). Default false. */
  readonly allOrNothing?: boolean;
}

export interface AckResult {
  /** One status per item, in order. */
  readonly statuses: readonly AckStatus[];
  /** False when allOrNothing rejected the whole call; true otherwise (OK items were applied). */
  readonly applied: boolean;
  /** The committed offset after the call; -1 when the queue has no state. */
  readonly committed: number;
}

/** Input of {@link Coordinator.reclaimExpired}. */
export interface ReclaimRequest {
  /** The caller's clock, in ms since the epoch: leases with deadline <= now are expired. */
  readonly now: number;
  /** The new visibility timeout, in ms (> 0). */
  readonly invisibleMs: number;
  /** The most offsets to re-claim in total; an expired lease larger than that is split (the rest stays expired). */
  readonly maxCount: number;
}

/** A read-only view of one queue's state, for tests, lag metrics and admin tools. */
export interface QueueSnapshot {
  readonly committed: number;
  readonly cursor: number;
  readonly free: readonly OffsetRange[];
  /** Number of leases in flight. */
  readonly inflight: number;
  /** The log identity the state is tied to ('' = not known). */
  readonly logId: string;
}

/** One queue of {@link Coordinator.resetOffsets}. */
export interface OffsetReset {
  readonly brokerName: string;
  readonly queueId: number;
  readonly offset: number;
}

/** Options of {@link Coordinator.seed}. */
export interface SeedOptions {
  /** The log the offset belongs to: an existing state tied to another log is replaced. */
  readonly logId?: string;
  /** Rewind: an existing state whose cursor is above this (the master's max offset) is replaced. */
  readonly replaceIfCursorAbove?: number;
  /** The caller's clock (lease ids of a new state derive from it); default Date.now(). */
  readonly now?: number;
}

/** One entry of {@link Coordinator.committedOffsets}. */
export interface CommittedOffset {
  readonly topic: string;
  readonly queueKey: string;
  readonly offset: number;
  /** The log identity of the state ('' = not known). */
  readonly logId: string;
}

/** Consumer-group state behind one interface. Every method may reject with MqError('UNAVAILABLE') (Redis down). */
export interface Coordinator {
  /** 'memory' or 'redis', for logs. */
  readonly kind: string;

  /**
   * Atomically reserves offsets beyond everything already claimed (or a released range first), never at or beyond
   * `maxOffset`. With invisibleMs = 0 the offsets count as consumed at once; otherwise they are held in a lease that
   * expires at now + invisibleMs. Creates the queue state at `startOffsetIfNew` when there is none. Resolves null when
   * nothing is available.
   */
  claim(q: QueueRef, req: ClaimRequest): Promise<Lease | null>;

  /**
   * Reports what the caller actually read for a lease returned by claim or reclaimExpired: it read up to `readEnd`
   * (exclusive; the next offset it would read) and delivered the offsets in `delivered` (sorted or not). The lease's
   * offsets at or beyond `readEnd` are released for the next claim; offsets below it that were not delivered (tag
   * filter, deleted by retention) are done. For an auto-ack claim (lease 0) only the release happens.
   */
  trim(q: QueueRef, lease: Lease, readEnd: number, delivered: readonly number[]): Promise<TrimStatus>;

  /** Acknowledges delivered offsets. Stale or unknown items never move an offset. */
  ack(q: QueueRef, items: readonly AckItem[], opts?: AckOptions): Promise<AckResult>;

  /**
   * Atomically re-claims leases whose deadline has passed, under new lease ids with attempt + 1 and a new deadline, so
   * that two replicas never redeliver the same lease. Receipts of the old lease become STALE.
   */
  reclaimExpired(q: QueueRef, req: ReclaimRequest): Promise<Lease[]>;

  /**
   * Creates the queue state at `offset` when there is none (or replaces it, see {@link SeedOptions}); resolves the
   * committed offset either way. Records the group in {@link Coordinator.groups} again (membership survives a flush).
   */
  seed(q: QueueRef, offset: number, opts?: SeedOptions): Promise<number>;

  /**
   * Operator reset (`mq admin resetOffsetByTime`): for each queue of the topic (queue key `<brokerName>:<queueId>`),
   * drops its leases (their receipts become STALE) and free ranges and sets its cursor to the offset, creating the
   * state when there is none. Later claims deliver from there.
   */
  resetOffsets(group: string, topic: string, offsets: readonly OffsetReset[]): Promise<void>;

  /** Removes every bit of state of the group (`mq admin deleteSubGroup`); its offsets on the brokers stay. */
  deleteGroup(group: string): Promise<void>;

  /**
   * Tries to become, for `ttlMs`, the one replica that writes the group's offsets to the brokers; true when this
   * `owner` holds it (again) now.
   */
  acquireFlush(group: string, owner: string, ttlMs: number): Promise<boolean>;

  /** The queue's state, or null when the group has none for it. */
  inspect(q: QueueRef): Promise<QueueSnapshot | null>;

  /** The committed offset of every queue the group has state for (to write to the brokers every few seconds). */
  committedOffsets(group: string): Promise<CommittedOffset[]>;

  /** Every group that has state (a group whose state expired after groupStateTtlMs is dropped from it). */
  groups(): Promise<string[]>;

  /** Releases connections; the state itself stays (Redis) or is dropped (memory). */
  close(): Promise<void>;

  /**
   * The registry of cluster generations the gateways share (src/gateway/generations.ts): field → value (JSON), kept
   * without TTL. Optional: a coordinator without it keeps generations per process.
   */
  generationsRead?(): Promise<Record<string, string>>;
  /** Stores `value` under `field` unless the field exists; resolves the value stored now (the first writer wins). */
  generationsAdd?(field: string, value: string): Promise<string>;
  /** Stores `value` under `field` (overwrites). */
  generationsSet?(field: string, value: string): Promise<void>;
}

