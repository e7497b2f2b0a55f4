/**
 * The state machine of one (group, topic, queue) for the memory backend. Pure: no I/O, no clock (callers pass
 * `now`). src/coord/lua/*.lua implement the same transitions for Redis; the conformance suite holds both to one
 * behaviour, so change them together.
 */
import { clip, contains, countOf, fromOffsets, normalize, removeOffset, takePrefix } from './ranges';
import type { AckItem, AckStatus, ClaimRequest, Lease, OffsetRange, QueueSnapshot, ReclaimRequest, TrimStatus } from './types';

/** Fully acked leases are remembered this long (ms) so that a repeated ack is ALREADY_ACKED, not STALE. */
export const DONE_KEEP_MS = 10 * 60 * 1000;
/** ...and at most this many per queue (the oldest are forgotten first). */
export const DONE_KEEP_MAX = 4096;
/** Lease ids of a new state start at `now * LEASE_ID_SCALE`, so a receipt of a lost state can never match a new lease. */
export const LEASE_ID_SCALE = 1000;

/** One in-flight lease. `pending` is never empty: a lease with nothing pending is deleted. */
interface LeaseRecord {
  /** The span the lease covered when it was last handed out; acks inside it but no longer pending are duplicates. */
  from: number;
  to: number;
  deadline: number;
  /** Deliveries so far (a lease put back unread keeps attempt - 1, so that its redelivery counts once). */
  attempt: number;
  pending: OffsetRange[];
  /** The tag expression the offsets were claimed with; redeliveries read with it. */
  sub: string;
  /** Offsets below it were taken away by a split re-claim: receipts of them under this id are STALE. */
  cut: number;
}

/** One queue's state for one group; every method runs to completion synchronously, hence atomically. */
export class QueueState {
  /** Every offset below it has been claimed at least once. */
  private cursor: number;
  /** Claimed-then-released ranges below the cursor, sorted; claimed again before the cursor moves on. */
  private free: OffsetRange[] = [];
  /** The last lease id handed out; ids are never reused, so an old receipt can never match a new lease. */
  private seq: number;
  /** In-flight leases by id (at-least-once mode only). */
  private readonly leases = new Map<number, LeaseRecord>();
  /** Fully acked lease ids → when (for ALREADY_ACKED). */
  private readonly done = new Map<number, number>();
  /** The identity of the log this state describes ('' = not known yet: adopted from the first claim that names one). */
  log: string;

  constructor(startOffset: number, now: number, logId = '') {
    this.cursor = startOffset;
    this.seq = now * LEASE_ID_SCALE;
    this.log = logId;
  }

  /** min(cursor, first free offset, lowest pending offset): everything below it is done. */
  committed(): number {
    let c = this.cursor;
    if (this.free.length > 0) c = Math.min(c, this.free[0][0]);
    for (const rec of this.leases.values()) c = Math.min(c, rec.pending[0][0]);
    return c;
  }

  get cursorOffset(): number {
    return this.cursor;
  }

  /** A copy of the state for inspection. */
  snapshot(): QueueSnapshot {
    return {
      committed: this.committed(),
      cursor: this.cursor,
      free: this.free.map(([a, b]) => [a, b] as const),
      inflight: this.leases.size,
      logId: this.log,
    };
  }

  /**
   * Starts over at `offset` (reset, rewind, new log): no free ranges, no leases (their receipts become STALE); lease
   * ids go on from where they were.
   */
  reset(offset: number, logId?: string): void {
    this.cursor = offset;
    this.free = [];
    this.leases.clear();
    this.done.clear();
    if (logId !== undefined) this.log = logId;
  }

  /** See Coordinator.claim (lua/claim-6.lua). The caller has checked the log identity. */
  claim(req: ClaimRequest): Lease | null {
    // The master said everything below minOffset is gone (retention): skip it, counting what was skipped.
    let expired = 0;
    if (this.cursor < req.minOffset) {
      expired += req.minOffset - this.cursor;
      this.cursor = req.minOffset;
    }
    const kept = clip(this.free, req.minOffset, Number.MAX_SAFE_INTEGER);
    expired += countOf(this.free) - countOf(kept);
    this.free = kept;
    if (req.maxCount <= 0) return null;
    // Orderly: nothing new while any offset of the queue is held (the head's redelivery comes through reclaim).
    if (req.orderly && this.leases.size > 0) return null;
    let from: number;
    let to: number;
    if (this.free.length > 0 && this.free[0][0] < req.maxOffset) {
      // Released ranges first, so that holes below the cursor do not hold the committed offset back.
      const [a, b] = this.free[0];
      from = a;
      to = Math.min(b, a + req.maxCount, req.maxOffset);
      this.free = to < b ? [[to, b], ...this.free.slice(1)] : this.free.slice(1);
    } else {
      from = this.cursor;
      to = Math.min(this.cursor + req.maxCount, req.maxOffset);
      if (to <= from) return null;
      this.cursor = to;
    }
    const sub = req.subscription ?? '*';
    // Auto-ack: nothing is held; the offsets count as consumed as soon as the cursor has passed them.
    if (req.invisibleMs <= 0) return { lease: 0, from, to, offsets: [[from, to]], attempt: 1, deadline: 0, subscription: sub, expired };
    const id = this.nextId(req.now);
    const rec: LeaseRecord = { from, to, deadline: req.now + req.invisibleMs, attempt: 1, pending: [[from, to]], sub, cut: from };
    this.leases.set(id, rec);
    return { ...toLease(id, rec), expired };
  }

  /** See Coordinator.trim (lua/trim-6.lua). */
  trim(lease: Lease, readEnd: number, delivered: readonly number[], now: number): TrimStatus {
    if (lease.lease === 0) {
      this.release(clip([[lease.from, lease.to]], readEnd, lease.to));
      return 'OK';
    }
    const rec = this.leases.get(lease.lease);
    if (!rec) return 'STALE';
    const unread = clip(rec.pending, readEnd, Number.MAX_SAFE_INTEGER);
    if (rec.attempt <= 1) {
      this.release(unread);
    } else if (unread.length > 0) {
      // A redelivery that did not fit the reply: the unread offsets stay a lease of their own, expired at once and
      // one attempt lower, so that their next delivery counts as this one (attempts never reset).
      const id = this.nextId(now);
      this.leases.set(id, {
        from: unread[0][0],
        to: unread[unread.length - 1][1],
        deadline: 0,
        attempt: rec.attempt - 1,
        pending: unread,
        sub: rec.sub,
        cut: unread[0][0],
      });
    }
    // Offsets read but not delivered (filtered by tag, deleted by retention) are done.
    const read = clip(rec.pending, Number.MIN_SAFE_INTEGER, readEnd);
    const kept = normalize(fromOffsets(delivered).flatMap(([a, b]) => clip(read, a, b)));
    // A lease left with nothing delivered issued no receipt: it just ends.
    if (kept.length === 0) {
      this.leases.delete(lease.lease);
    } else {
      rec.pending = kept;
      rec.from = kept[0][0];
      rec.to = kept[kept.length - 1][1];
      rec.cut = Math.min(rec.cut, rec.from);
    }
    return 'OK';
  }

  /** See Coordinator.ack (lua/ack-6.lua): judge every item first, then apply the OK ones (or none). */
  ack(items: readonly AckItem[], allOrNothing: boolean, now: number): { statuses: AckStatus[]; applied: boolean } {
    // The same receipt twice in one call: the first is OK, the second a duplicate.
    const seen = new Set<string>();
    const statuses = items.map((it): AckStatus => {
      const rec = this.leases.get(it.lease);
      if (!rec) return this.done.has(it.lease) ? 'ALREADY_ACKED' : 'STALE';
      const id = `${it.lease}:${it.offset}`;
      if (contains(rec.pending, it.offset) && !seen.has(id)) {
        seen.add(id);
        return 'OK';
      }
      if (it.offset < rec.cut) return 'STALE';
      return it.offset >= rec.from && it.offset < rec.to ? 'ALREADY_ACKED' : 'STALE';
    });
    if (allOrNothing && statuses.includes('STALE')) return { statuses, applied: false };
    items.forEach((it, i) => {
      if (statuses[i] !== 'OK') return;
      const rec = this.leases.get(it.lease);
      if (!rec) return;
      rec.pending = removeOffset(rec.pending, it.offset);
      if (rec.pending.length === 0) {
        this.leases.delete(it.lease);
        this.noteDone(it.lease, now);
      }
    });
    return { statuses, applied: true };
  }

  /** See Coordinator.reclaimExpired (lua/reclaim-6.lua): oldest deadline first, then lowest lease id. */
  reclaimExpired(req: ReclaimRequest): Lease[] {
    const expired = [...this.leases.entries()]
      .filter(([, rec]) => rec.deadline <= req.now)
      .sort((x, y) => x[1].deadline - y[1].deadline || x[0] - y[0]);
    const out: Lease[] = [];
    let budget = req.maxCount;
    for (const [id, rec] of expired) {
      if (budget <= 0) break;
      const [taken, rest] = takePrefix(rec.pending, budget);
      budget -= countOf(taken);
      const next: LeaseRecord = {
        from: taken[0][0],
        to: taken[taken.length - 1][1],
        deadline: req.now + req.invisibleMs,
        attempt: rec.attempt + 1,
        pending: taken,
        sub: rec.sub,
        cut: taken[0][0],
      };
      const nextId = this.nextId(req.now);
      this.leases.set(nextId, next);
      // The rest of a split lease keeps its id and deadline: it is still expired and goes to the next caller.
      if (rest.length === 0) this.leases.delete(id);
      else {
        rec.pending = rest;
        rec.cut = rest[0][0];
      }
      out.push(toLease(nextId, next));
    }
    return out;
  }

  /** True when the state has no lease and nothing released (orderly tests, admin). */
  get inflight(): number {
    return this.leases.size;
  }

  /**
   * A new lease id: above every id issued before and at least now * LEASE_ID_SCALE, so that ids issued by a state
   * that was lost (Redis failover to a replica that missed writes) are never issued again.
   */
  private nextId(now: number): number {
    this.seq = Math.max(this.seq + 1, now * LEASE_ID_SCALE);
    return this.seq;
  }

  private noteDone(id: number, now: number): void {
    this.done.set(id, now);
    for (const [k, at] of this.done) {
      if (this.done.size <= DONE_KEEP_MAX && at > now - DONE_KEEP_MS) break;
      this.done.delete(k);
    }
  }

  /** Returns ranges to the free list; a range that ends at the cursor lowers the cursor instead. */
  private release(ranges: readonly OffsetRange[]): void {
    if (ranges.length === 0) return;
    this.free = normalize([...this.free, ...ranges]);
    while (this.free.length > 0 && this.free[this.free.length - 1][1] === this.cursor) {
      this.cursor = this.free[this.free.length - 1][0];
      this.free.pop();
    }
  }
}

/** The public view of a lease record (copies the ranges, so callers cannot change the state). */
function toLease(id: number, rec: LeaseRecord): Lease {
  const offsets = rec.pending.map(([a, b]) => [a, b] as const);
  return { lease: id, from: rec.from, to: rec.to, offsets, attempt: rec.attempt, deadline: rec.deadline, subscription: rec.sub, expired: 0 };
}
