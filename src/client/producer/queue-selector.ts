/**
 * Queue choice for sends: round-robin over the writable queues of every broker set, skipping broker sets already
 * tried by this call and preferring ones the {@link FaultTracker} does not avoid; a sharding key always maps to the
 * same queue by rendezvous (highest-random-weight) hashing over (brokerName, queueId): every writable queue gets a
 * score from the key and its own identity, the highest wins. The choice does not depend on the order of the queue
 * list, and when a broker set (or a queue) is added or lost only the keys that win on, or were on, that set move.
 * Pure apart from the per-topic counter.
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

/** FNV-1a over the UTF-16 code units of `s`, continuing from `h` (no allocation). */
function fnv(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h = Math.imul(h ^ (c & 0xff), 0x01000193);
    h = Math.imul(h ^ (c >>> 8), 0x01000193);
  }
  return h;
}

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A queue's own hash, from its broker set's name and its id. */
function queueHash(q: MessageQueue): number {
  return fmix32(Math.imul(fnv(q.brokerName, 0x811c9dc5) ^ q.queueId, 0x9e3779b1) ^ q.queueId);
}

/** The rendezvous score of (key hash, queue). */
function score(keyHash: number, q: MessageQueue): number {
  return fmix32(Math.imul(keyHash ^ queueHash(q), 0x27d4eb2f) + 0x165667b1);
}

/**
 * The queue of a sharding key: the highest rendezvous score over (brokerName, queueId), so the same key gives the
 * same queue as long as the set of writable queues is the same (in any order), and a change of the set moves only
 * the keys of the queues added or removed.
 */
export function selectShardQueue(queues: readonly MessageQueue[], key: string): MessageQueue | undefined {
  if (queues.length === 0) return undefined;
  const kh = shardingHash(key);
  let best = queues[0];
  let bestScore = score(kh, best);
  for (let i = 1; i < queues.length; i++) {
    const q = queues[i];
    const sc = score(kh, q);
    // Ties (rare) go to the smaller (brokerName, queueId), so list order never matters.
    if (sc > bestScore || (sc === bestScore && (q.brokerName < best.brokerName || (q.brokerName === best.brokerName && q.queueId < best.queueId)))) {
      best = q;
      bestScore = sc;
    }
  }
  return best;
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
