/**
 * What one gateway process remembers about the queues it reads, to save round trips: per queue the max offset the
 * broker last reported (claims stay below it), the log identity the brokers report (logId), the master's last
 * answers (its max offset, and the retention floor it proved with PULL_OFFSET_MOVED), and when expired leases were
 * last looked for. None of it is authoritative and none of it ever moves a group's cursor by itself: a group's
 * state lives in coord and is seeded from the brokers, read fresh.
 */
import type { MessageQueue, PullResult } from '../client';

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

/** The log identity a broker answer carries (our brokers set it; Apache RocketMQ brokers do not). */
export function logIdOf(r: unknown): string | undefined {
  const id = (r as { logId?: unknown } | null)?.logId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

interface QueueInfo {
  /** The max offset of the latest answer (any broker: a lagging slave's too, so that claims stay below it). */
  max?: number;
  /** The log identity last reported. */
  log?: string;
  /** The master's max offset from its latest answer (undefined when the latest answer came from a slave). */
  masterMax?: number;
  /** The master's min offset from its latest answer. */
  masterMin?: number;
  /** Retention floor proved by the master (PULL_OFFSET_MOVED to a higher offset); 0 = none. */
  floor: number;
  /** The latest answer came from a slave. */
  fromSlave: boolean;
}

export class QueueCursors {
  private readonly info = new Map<string, QueueInfo>();
  private readonly reclaimAt = new Map<string, number>();
  private readonly rotation = new Map<string, number>();

  private get(q: MessageQueue): QueueInfo {
    const id = queueId(q);
    let i = this.info.get(id);
    if (!i) {
      i = { floor: 0, fromSlave: false };
      this.info.set(id, i);
    }
    return i;
  }

  maxOffset(q: MessageQueue): number {
    return this.info.get(queueId(q))?.max ?? 0;
  }

  knowsMax(q: MessageQueue): boolean {
    return this.info.get(queueId(q))?.max !== undefined;
  }

  /** The master's proved retention floor (0 when none). */
  floor(q: MessageQueue): number {
    return this.info.get(queueId(q))?.floor ?? 0;
  }

  /** The log identity the brokers last reported for the queue, if any. */
  logId(q: MessageQueue): string | undefined {
    return this.info.get(queueId(q))?.log;
  }

  /** The master's max offset from the latest answer when that answer came from the master. */
  masterMax(q: MessageQueue): number | undefined {
    return this.info.get(queueId(q))?.masterMax;
  }

  /** The master's min offset from its latest answer (undefined when unknown or the latest answer was a slave's). */
  masterMin(q: MessageQueue): number | undefined {
    const i = this.info.get(queueId(q));
    return i && !i.fromSlave ? i.masterMin : undefined;
  }

  /**
   * Records what a broker answered; returns true when the max offset grew. A slave's answer changes only the claim
   * bound (its max offset), never the floor; a new log identity forgets everything learnt about the old log.
   */
  observe(q: MessageQueue, r: Pick<PullResult, 'minOffset' | 'maxOffset' | 'brokerId'> & { logId?: string }): boolean {
    const i = this.get(q);
    const log = logIdOf(r);
    if (log !== undefined && i.log !== undefined && log !== i.log) {
      i.max = undefined;
      i.masterMax = undefined;
      i.masterMin = undefined;
      i.floor = 0;
    }
    if (log !== undefined) i.log = log;
    const before = i.max;
    const master = r.brokerId === 0;
    i.fromSlave = !master;
    if (master) {
      i.masterMax = Number.isSafeInteger(r.maxOffset) ? r.maxOffset : undefined;
      i.masterMin = Number.isSafeInteger(r.minOffset) ? r.minOffset : undefined;
      // A master whose log is shorter than a floor it proved before has a new log: the old floor is void.
      if (i.masterMax !== undefined && i.floor > i.masterMax) i.floor = 0;
    } else {
      i.masterMax = undefined;
    }
    if (!Number.isSafeInteger(r.maxOffset)) return false;
    i.max = r.maxOffset;
    return before === undefined ? r.maxOffset > 0 : r.maxOffset > before;
  }

  /** The master proved that offsets below `offset` are gone (PULL_OFFSET_MOVED to a higher offset). */
  raiseFloor(q: MessageQueue, offset: number): void {
    const i = this.get(q);
    if (offset > i.floor) i.floor = offset;
  }

  /** True when expired leases of this group's queue should be looked for now (at most every `intervalMs`). */
  reclaimDue(group: string, q: MessageQueue, now: number, intervalMs: number): boolean {
    const k = `${group}\u0000${queueId(q)}`;
    const last = this.reclaimAt.get(k);
    if (last !== undefined && now - last < intervalMs) return false;
    this.reclaimAt.set(k, now);
    return true;
  }

  /** Forgets the reclaim schedule of a group (its state expired or was deleted). */
  forgetGroup(group: string): void {
    for (const k of this.reclaimAt.keys()) if (k.startsWith(`${group}\u0000`)) this.reclaimAt.delete(k);
    for (const k of this.rotation.keys()) if (k.startsWith(`${group}\u0000`)) this.rotation.delete(k);
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
