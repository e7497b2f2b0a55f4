/**
 * Queue choice for sends: round-robin over the writable queues of every broker set, skipping broker sets already
 * tried by this call and preferring ones the {@link FaultTracker} does not avoid; a sharding key always maps to the
 * same queue (stable hash over the sorted queue list). Pure apart from the per-topic counter.
 */
import type { MessageQueue } from '../route/topic-route';
import type { FaultTracker } from './fault-tracker';

/**
 * A stable 32-bit hash of a sharding key: FNV-1a over the UTF-8 bytes, then murmur3's finalizer so that keys that
 * differ only in their last characters still spread over the low bits used by the modulo.
 */
export function shardingHash(key: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(key, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The queue of a sharding key: the same key gives the same queue as long as the queue list is the same. */
export function selectShardQueue(queues: readonly MessageQueue[], key: string): MessageQueue | undefined {
  if (queues.length === 0) return undefined;
  return queues[shardingHash(key) % queues.length];
}

export class QueueSelector {
  private readonly counters = new Map<string, number>();

  constructor(private readonly faults: FaultTracker) {}

  /**
   * The next queue round-robin for `topic`, never on a broker set in `exclude`; available sets first, then the
   * one whose avoidance ends soonest. Undefined when every set is excluded.
   */
  next(topic: string, queues: readonly MessageQueue[], exclude: ReadonlySet<string>, now: number): MessageQueue | undefined {
    if (queues.length === 0) return undefined;
    const start = this.counters.get(topic) ?? Math.floor(Math.random() * queues.length);
    this.counters.set(topic, (start + 1) % 0x7fffffff);
    let fallback: MessageQueue | undefined;
    let fallbackAt = Infinity;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[(start + i) % queues.length];
      if (exclude.has(q.brokerName)) continue;
      if (this.faults.isAvailable(q.brokerName, now)) {
        this.counters.set(topic, (start + i + 1) % 0x7fffffff);
        return q;
      }
      const at = this.faults.availableAt(q.brokerName, now);
      if (at < fallbackAt) {
        fallback = q;
        fallbackAt = at;
      }
    }
    return fallback;
  }
}
