/**
 * The state machine of one (group, topic, queue) for the memory backend. Pure: no I/O, no clock (callers pass
 * `now`). src/coord/lua/*.lua implement the same transitions for Redis; the conformance suite holds both to one
 * behaviour, so change them together.
 */
import { clip, contains, countOf, fromOffsets, normalize, removeOffset, takePrefix } from './ranges';
import type { AckItem, AckStatus, ClaimRequest, Lease, OffsetRange, QueueSnapshot, ReclaimRequest, TrimStatus } from './types';

/** One in-flight lease. `pending` is never empty: a lease with nothing pending is deleted. */
interface LeaseRecord {
  /** The span the lease covered when it was last handed out; acks inside it but no longer pending are duplicates. */
  from: number;
  to: number;
  deadline: number;
  attempt: number;
  pending: OffsetRange[];
}

/** One queue's state for one group; every method runs to completion synchronously, hence atomically. */
export class QueueState {
  /** Every offset below it has been claimed at least once. */
  private cursor: number;
  /** Claimed-then-released ranges below the cursor, sorted; claimed again before the cursor moves on. */
  private free: OffsetRange[] = [];
  /** The last lease id handed out; ids are never reused, so an old receipt can never match a new lease. */
  private seq = 0;
  /** In-flight leases by id (at-least-once mode only). */
  private readonly leases = new Map<number, LeaseRecord>();

  constructor(startOffset: number) {
    this.cursor = startOffset;
  }

  /** min(cursor, first free offset, lowest pending offset): everything below it is done. */
  committed(): number {
    let c = this.cursor;
    if (this.free.length > 0) c = Math.min(c, this.free[0][0]);
    for (const rec of this.leases.values()) c = Math.min(c, rec.pending[0][0]);
    return c;
  }

  /** A copy of the state for inspection. */
  snapshot(): QueueSnapshot {
    return { committed: this.committed(), cursor: this.cursor, free: this.free.map(([a, b]) => [a, b] as const), inflight: this.leases.size };
  }

  /** See Coordinator.claim (lua/claim-5.lua). */
  claim(req: ClaimRequest): Lease | null {
    // Retention deleted everything below minOffset: skip it (leases below it are left to be acked or to expire).
    if (this.cursor < req.minOffset) this.cursor = req.minOffset;
    this.free = clip(this.free, req.minOffset, Number.MAX_SAFE_INTEGER);
    if (req.maxCount <= 0) return null;
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
    // Auto-ack: nothing is held; the offsets count as consumed as soon as the cursor has passed them.
    if (req.invisibleMs <= 0) return { lease: 0, from, to, offsets: [[from, to]], attempt: 1, deadline: 0 };
    const id = ++this.seq;
    const rec: LeaseRecord = { from, to, deadline: req.now + req.invisibleMs, attempt: 1, pending: [[from, to]] };
    this.leases.set(id, rec);
    return toLease(id, rec);
  }

  /** See Coordinator.trim (lua/trim-4.lua). */
  trim(lease: Lease, readEnd: number, delivered: readonly number[]): TrimStatus {
    if (lease.lease === 0) {
      this.release(clip([[lease.from, lease.to]], readEnd, lease.to));
      return 'OK';
    }
    const rec = this.leases.get(lease.lease);
    if (!rec) return 'STALE';
    this.release(clip(rec.pending, readEnd, Number.MAX_SAFE_INTEGER));
    // Offsets read but not delivered (filtered by tag, deleted by retention) are done.
    const read = clip(rec.pending, Number.MIN_SAFE_INTEGER, readEnd);
    const kept = normalize(fromOffsets(delivered).flatMap(([a, b]) => clip(read, a, b)));
    if (kept.length === 0) this.leases.delete(lease.lease);
    else {
      rec.pending = kept;
      rec.from = kept[0][0];
      rec.to = kept[kept.length - 1][1];
    }
    return 'OK';
  }

  /** See Coordinator.ack (lua/ack-4.lua): judge every item first, then apply the OK ones (or none). */
  ack(items: readonly AckItem[], allOrNothing: boolean): { statuses: AckStatus[]; applied: boolean } {
    // The same receipt twice in one call: the first is OK, the second a duplicate.
    const seen = new Set<string>();
    const statuses = items.map((it): AckStatus => {
      const rec = this.leases.get(it.lease);
      if (!rec) return 'STALE';
      const id = `${it.lease}:${it.offset}`;
      if (contains(rec.pending, it.offset) && !seen.has(id)) {
        seen.add(id);
        return 'OK';
      }
      return it.offset >= rec.from && it.offset < rec.to ? 'ALREADY_ACKED' : 'STALE';
    });
    if (allOrNothing && statuses.includes('STALE')) return { statuses, applied: false };
    items.forEach((it, i) => {
      if (statuses[i] !== 'OK') return;
      const rec = this.leases.get(it.lease);
      if (!rec) return;
      rec.pending = removeOffset(rec.pending, it.offset);
      if (rec.pending.length === 0) this.leases.delete(it.lease);
    });
    return { statuses, applied: true };
  }

  /** See Coordinator.reclaimExpired (lua/reclaim-4.lua): oldest deadline first, then lowest lease id. */
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
      };
      const nextId = ++this.seq;
      this.leases.set(nextId, next);
      // The rest of a split lease keeps its id and deadline: it is still expired and goes to the next caller.
      if (rest.length === 0) this.leases.delete(id);
      else {
        rec.pending = rest;
        rec.from = rest[0][0];
      }
      out.push(toLease(nextId, next));
    }
    return out;
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
  return { lease: id, from: rec.from, to: rec.to, offsets, attempt: rec.attempt, deadline: rec.deadline };
}
