/**
 * The memory backend: consumer-group state in this process only. Right for one gateway (`mq dev`); with several
 * replicas use the Redis backend, since each replica would otherwise hand out the same offsets.
 * Operations are synchronous inside, so each one is atomic with respect to the others.
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
  QueueRef,
  QueueSnapshot,
  ReclaimRequest,
  TrimStatus,
} from './types';
import { validateQueueRef } from './validate';

export class MemoryCoordinator implements Coordinator {
  readonly kind = 'memory';
  /** group -> "topic\u0000queueKey" -> state. */
  private readonly groupsMap = new Map<string, Map<string, { topic: string; queueKey: string; state: QueueState }>>();

  /** {@inheritDoc Coordinator.claim} */
  async claim(q: QueueRef, req: ClaimRequest): Promise<Lease | null> {
    return this.stateOf(q, req.startOffsetIfNew).claim(req);
  }

  /** {@inheritDoc Coordinator.trim} */
  async trim(q: QueueRef, lease: Lease, readEnd: number, delivered: readonly number[]): Promise<TrimStatus> {
    const s = this.find(q);
    // Without state there is nothing to trim: an auto claim cannot exist without it, so the lease is stale.
    return s ? s.trim(lease, readEnd, delivered) : 'STALE';
  }

  /** {@inheritDoc Coordinator.ack} */
  async ack(q: QueueRef, items: readonly AckItem[], opts: AckOptions = {}): Promise<AckResult> {
    const s = this.find(q);
    if (!s) return { statuses: items.map(() => 'STALE'), applied: !opts.allOrNothing || items.length === 0, committed: -1 };
    const r = s.ack(items, opts.allOrNothing ?? false);
    return { ...r, committed: s.committed() };
  }

  /** {@inheritDoc Coordinator.reclaimExpired} */
  async reclaimExpired(q: QueueRef, req: ReclaimRequest): Promise<Lease[]> {
    return this.find(q)?.reclaimExpired(req) ?? [];
  }

  /** {@inheritDoc Coordinator.seed} */
  async seed(q: QueueRef, offset: number): Promise<number> {
    return this.stateOf(q, offset).committed();
  }

  /** {@inheritDoc Coordinator.inspect} */
  async inspect(q: QueueRef): Promise<QueueSnapshot | null> {
    return this.find(q)?.snapshot() ?? null;
  }

  /** {@inheritDoc Coordinator.committedOffsets} */
  async committedOffsets(group: string): Promise<CommittedOffset[]> {
    const queues = this.groupsMap.get(group);
    if (!queues) return [];
    return [...queues.values()].map((e) => ({ topic: e.topic, queueKey: e.queueKey, offset: e.state.committed() }));
  }

  /** {@inheritDoc Coordinator.groups} */
  async groups(): Promise<string[]> {
    return [...this.groupsMap.keys()];
  }

  /** Drops every state: a memory coordinator is not meant to be reused after close. */
  async close(): Promise<void> {
    this.groupsMap.clear();
  }

  /** The queue's state, or undefined when the group has none for it (read paths never create state). */
  private find(q: QueueRef): QueueState | undefined {
    validateQueueRef(q);
    return this.groupsMap.get(q.group)?.get(`${q.topic}\u0000${q.queueKey}`)?.state;
  }

  /** The queue's state, created at `startOffset` when the group has none for it. */
  private stateOf(q: QueueRef, startOffset: number): QueueState {
    validateQueueRef(q);
    let queues = this.groupsMap.get(q.group);
    if (!queues) {
      queues = new Map();
      this.groupsMap.set(q.group, queues);
    }
    const id = `${q.topic}\u0000${q.queueKey}`;
    let e = queues.get(id);
    if (!e) {
      e = { topic: q.topic, queueKey: q.queueKey, state: new QueueState(startOffset) };
      queues.set(id, e);
    }
    return e.state;
  }
}
