/**
 * What one gateway process remembers about the queues it reads, to save round trips: the highest max offset and min
 * offset seen per queue (from pull responses; both only grow, so a remembered max offset is always safe to claim
 * below), which group/queue states are known to exist in coord (seeded), and when expired leases were last looked
 * for. None of it is authoritative: losing it costs extra requests, never messages.
 */
import type { MessageQueue } from '../client';

/** `topic@broker@queueId`: one queue of the cluster. */
export function queueId(q: MessageQueue): string {
  return `${q.topic}@${q.brokerName}@${q.queueId}`;
}

/** The coord queue key of a broker queue: `<brokerName>:<queueId>`. */
export function queueKeyOf(q: { brokerName: string; queueId: number }): string {
  return `${q.brokerName}:${q.queueId}`;
}

/** Parses a coord queue key back into broker name and queue id; null when it is not ours. */
export function parseQueueKey(key: string): { brokerName: string; queueId: number } | null {
  const i = key.lastIndexOf(':');
  if (i <= 0) return null;
  const queueId = Number(key.slice(i + 1));
  if (!Number.isInteger(queueId) || queueId < 0) return null;
  return { brokerName: key.slice(0, i), queueId };
}

export class QueueCursors {
  private readonly max = new Map<string, number>();
  private readonly min = new Map<string, number>();
  /** group NUL topic NUL queueKey → the offset a new state would start at (the broker's view when seeded). */
  private readonly seeded = new Map<string, number>();
  private readonly reclaimAt = new Map<string, number>();
  private readonly rotation = new Map<string, number>();

  maxOffset(q: MessageQueue): number {
    return this.max.get(queueId(q)) ?? 0;
  }

  minOffset(q: MessageQueue): number {
    return this.min.get(queueId(q)) ?? 0;
  }

  knowsMax(q: MessageQueue): boolean {
    return this.max.has(queueId(q));
  }

  /** Records offsets a broker reported; returns true when the max offset grew. */
  observe(q: MessageQueue, minOffset: number, maxOffset: number): boolean {
    const id = queueId(q);
    if (Number.isSafeInteger(minOffset) && minOffset > (this.min.get(id) ?? -1)) this.min.set(id, minOffset);
    const before = this.max.get(id);
    if (Number.isSafeInteger(maxOffset) && (before === undefined || maxOffset > before)) {
      this.max.set(id, maxOffset);
      return before === undefined ? maxOffset > 0 : true;
    }
    return false;
  }

  seededStart(group: string, q: MessageQueue): number | undefined {
    return this.seeded.get(`${group}\u0000${q.topic}\u0000${queueKeyOf(q)}`);
  }

  markSeeded(group: string, q: MessageQueue, start: number): void {
    this.seeded.set(`${group}\u0000${q.topic}\u0000${queueKeyOf(q)}`, start);
  }

  /** Forgets which states exist (after coord was unavailable: Redis may have come back empty). */
  forgetSeeded(): void {
    this.seeded.clear();
  }

  /** True when expired leases of this group's queue should be looked for now (at most every `intervalMs`). */
  reclaimDue(group: string, q: MessageQueue, now: number, intervalMs: number): boolean {
    const k = `${group}\u0000${queueId(q)}`;
    const last = this.reclaimAt.get(k);
    if (last !== undefined && now - last < intervalMs) return false;
    this.reclaimAt.set(k, now);
    return true;
  }

  /** The queues in a rotated order, so that consecutive gets of a group start at different queues (fairness). */
  rotate<Q>(group: string, topic: string, queues: readonly Q[]): Q[] {
    if (queues.length <= 1) return [...queues];
    const k = `${group}\u0000${topic}`;
    const n = this.rotation.get(k) ?? Math.floor(Math.random() * queues.length);
    this.rotation.set(k, (n + 1) % queues.length);
    const start = n % queues.length;
    return [...queues.slice(start), ...queues.slice(0, start)];
  }
}
