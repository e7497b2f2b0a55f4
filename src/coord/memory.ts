/**
 * The memory backend: consumer-group state in this process only. Right for one gateway (`mq dev`); with several
 * replicas use the Redis backend, since each replica would otherwise hand out the same offsets.
 * Operations are synchronous inside, so each one is atomic with respect to the others. A group untouched for
 * `groupStateTtlMs` is dropped (its offsets stay on the brokers).
 */
import { QueueState } from './queue-state';
import type {
  AckItem,
  AckOptions,
  AckResult,
  ClaimRequest,
  CommittedOffset,
  Coordinator,
  Lease,
  OffsetReset,
  QueueRef,
  QueueSnapshot,
  ReclaimRequest,
  SeedOptions,
  TrimStatus,
} from './types';
import { noStateError, validateIntegers, validateQueueRef } from './validate';

interface Entry {
  topic: string;
  queueKey: string;
  state: QueueState;
}

interface GroupEntry {
  queues: Map<string, Entry>;
  touched: number;
}

export interface MemoryCoordinatorOptions {
  /** Idle group state is dropped after this long, in ms; 0 = never. */
  groupStateTtlMs?: number;
}

export class MemoryCoordinator implements Coordinator {
  readonly kind = 'memory';
  private readonly groupsMap = new Map<string, GroupEntry>();
  private readonly generationsMap = new Map<string, string>();
  private readonly ttlMs: number;

  constructor(opts: MemoryCoordinatorOptions = {}) {
    this.ttlMs = opts.groupStateTtlMs ?? 0;
  }

  /** {@inheritDoc Coordinator.claim} */
  async claim(q: QueueRef, req: ClaimRequest): Promise<Lease | null> {
    validateQueueRef(q);
    let s = this.find(q);
    const otherLog = s !== undefined && !!req.logId && s.log !== '' && s.log !== req.logId;
    const longer = s !== undefined && req.startOffsetIfNew < 0 && req.rewindAbove !== undefined && s.cursorOffset > req.rewindAbove;
    if (!s || otherLog || longer) {
      if (req.startOffsetIfNew < 0) throw noStateError(q);
      if (s) s.reset(req.startOffsetIfNew, req.logId);
      else s = this.stateOf(q, req.startOffsetIfNew, req.now, req.logId);
    }
    if (req.logId && s.log === '') s.log = req.logId;
    return s.claim(req);
  }

  /** {@inheritDoc Coordinator.trim} */
  async trim(q: QueueRef, lease: Lease, readEnd: number, delivered: readonly number[]): Promise<TrimStatus> {
    const s = this.find(q);
    // Without state there is nothing to trim: an auto claim cannot exist without it, so the lease is stale.
    return s ? s.trim(lease, readEnd, delivered, Date.now()) : 'STALE';
  }

  /** {@inheritDoc Coordinator.ack} */
  async ack(q: QueueRef, items: readonly AckItem[], opts: AckOptions = {}): Promise<AckResult> {
    const s = this.find(q);
    if (!s) return { statuses: items.map(() => 'STALE'), applied: !opts.allOrNothing || items.length === 0, committed: -1 };
    const r = s.ack(items, opts.allOrNothing ?? false, Date.now());
    return { ...r, committed: s.committed() };
  }

  /** {@inheritDoc Coordinator.reclaimExpired} */
  async reclaimExpired(q: QueueRef, req: ReclaimRequest): Promise<Lease[]> {
    return this.find(q)?.reclaimExpired(req) ?? [];
  }

  /** {@inheritDoc Coordinator.seed} */
  async seed(q: QueueRef, offset: number, opts: SeedOptions = {}): Promise<number> {
    validateQueueRef(q);
    validateIntegers('seed', { offset });
    const s = this.find(q);
    if (s) {
      const otherLog = opts.logId !== undefined && opts.logId !== '' && s.log !== '' && s.log !== opts.logId;
      const rewind = opts.replaceIfCursorAbove !== undefined && s.cursorOffset > opts.replaceIfCursorAbove;
      if (otherLog || rewind) s.reset(offset, opts.logId || undefined);
      else if (opts.logId && s.log === '') s.log = opts.logId;
      return s.committed();
    }
    return this.stateOf(q, offset, opts.now ?? Date.now(), opts.logId).committed();
  }

  /** {@inheritDoc Coordinator.resetOffsets} */
  async resetOffsets(group: string, topic: string, offsets: readonly OffsetReset[]): Promise<void> {
    for (const o of offsets) {
      const q = { group, topic, queueKey: `${o.brokerName}:${o.queueId}` };
      validateQueueRef(q);
      validateIntegers('resetOffsets', { queueId: o.queueId, offset: o.offset });
      const s = this.find(q);
      if (s) s.reset(o.offset);
      else this.stateOf(q, o.offset, Date.now());
    }
  }

  /** {@inheritDoc Coordinator.deleteGroup} */
  async deleteGroup(group: string): Promise<void> {
    this.groupsMap.delete(group);
  }

  /** One process: always the writer. */
  async acquireFlush(): Promise<boolean> {
    return true;
  }

  /** {@inheritDoc Coordinator.inspect} */
  async inspect(q: QueueRef): Promise<QueueSnapshot | null> {
    validateQueueRef(q);
    return this.find(q)?.snapshot() ?? null;
  }

  /** {@inheritDoc Coordinator.committedOffsets} */
  async committedOffsets(group: string): Promise<CommittedOffset[]> {
    this.expire();
    const g = this.groupsMap.get(group);
    if (!g) return [];
    return [...g.queues.values()].map((e) => ({ topic: e.topic, queueKey: e.queueKey, offset: e.state.committed(), logId: e.state.log }));
  }

  /** {@inheritDoc Coordinator.groups} */
  async groups(): Promise<string[]> {
    this.expire();
    return [...this.groupsMap.keys()];
  }

  /** Drops every state: a memory coordinator is not meant to be reused after close. */
  async close(): Promise<void> {
    this.groupsMap.clear();
  }

  /** {@inheritDoc Coordinator.generationsRead} */
  async generationsRead(): Promise<Record<string, string>> {
    return Object.fromEntries(this.generationsMap);
  }

  /** {@inheritDoc Coordinator.generationsAdd} */
  async generationsAdd(field: string, value: string): Promise<string> {
    if (!this.generationsMap.has(field)) this.generationsMap.set(field, value);
    return this.generationsMap.get(field) ?? value;
  }

  /** {@inheritDoc Coordinator.generationsSet} */
  async generationsSet(field: string, value: string): Promise<void> {
    this.generationsMap.set(field, value);
  }

  /** Drops groups idle for longer than the TTL. */
  private expire(): void {
    if (this.ttlMs <= 0) return;
    const before = Date.now() - this.ttlMs;
    for (const [name, g] of this.groupsMap) if (g.touched < before) this.groupsMap.delete(name);
  }

  /** The queue's state, or undefined when the group has none for it (read paths never create state). */
  private find(q: QueueRef): QueueState | undefined {
    validateQueueRef(q);
    const g = this.groupsMap.get(q.group);
    if (!g) return undefined;
    if (this.ttlMs > 0 && g.touched < Date.now() - this.ttlMs) {
      this.groupsMap.delete(q.group);
      return undefined;
    }
    g.touched = Date.now();
    return g.queues.get(`${q.topic}\u0000${q.queueKey}`)?.state;
  }

  /** Creates the queue's state at `startOffset` (replacing any). */
  private stateOf(q: QueueRef, startOffset: number, now: number, logId?: string): QueueState {
    let g = this.groupsMap.get(q.group);
    if (!g) {
      g = { queues: new Map(), touched: Date.now() };
      this.groupsMap.set(q.group, g);
    }
    const e: Entry = { topic: q.topic, queueKey: q.queueKey, state: new QueueState(startOffset, now, logId ?? '') };
    g.queues.set(`${q.topic}\u0000${q.queueKey}`, e);
    return e.state;
  }
}
