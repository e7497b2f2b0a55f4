/**
 * LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42) (ref §2.3.3, RebalanceLockManager): an orderly consumer locks the
 * queues it was given so that two clients never consume one queue at once. A lock belongs to a client id, is
 * renewed by locking again, and expires after 60 s (`rocketmq.broker.rebalance.lockMaxLiveTime`).
 *
 * Bodies: request `{"consumerGroup":g,"clientId":c,"mqSet":[{"brokerName","queueId","topic"}]}`,
 * LOCK response `{"lockOKMQSet":[...]}`; UNLOCK answers SUCCESS with no body.
 */
import { MqError } from '../common';
import { parseFastJson } from '../common/fastjson';
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { Processor } from '../remoting';

/** How long a lock lives without renewal, ms. */
export const LOCK_MAX_LIVE_MS = 60_000;

/** A message queue as the lock bodies carry it. */
export interface MessageQueueRef {
  brokerName: string;
  queueId: number;
  topic: string;
}

interface LockEntry {
  clientId: string;
  lastUpdate: number;
}

const keyOf = (mq: MessageQueueRef): string => `${mq.topic}@${mq.brokerName}@${mq.queueId}`;

export class RebalanceLockManager {
  private readonly groups = new Map<string, Map<string, LockEntry>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Locks (or renews) every queue that is free, expired or already this client's; returns those it holds. */
  tryLockBatch(group: string, mqs: MessageQueueRef[], clientId: string): MessageQueueRef[] {
    let table = this.groups.get(group);
    if (!table) this.groups.set(group, (table = new Map()));
    const now = this.now();
    const ok: MessageQueueRef[] = [];
    for (const mq of mqs) {
      const k = keyOf(mq);
      const e = table.get(k);
      if (!e || e.clientId === clientId || now - e.lastUpdate > LOCK_MAX_LIVE_MS) {
        table.set(k, { clientId, lastUpdate: now });
        ok.push(mq);
      }
    }
    return ok;
  }

  /** Releases the queues this client holds (others' locks are left alone). */
  unlockBatch(group: string, mqs: MessageQueueRef[], clientId: string): void {
    const table = this.groups.get(group);
    if (!table) return;
    for (const mq of mqs) {
      const k = keyOf(mq);
      if (table.get(k)?.clientId === clientId) table.delete(k);
    }
  }
}

interface LockBody {
  consumerGroup: string;
  clientId: string;
  mqSet: MessageQueueRef[];
}

/** Parses a lock/unlock body; throws MqError('INVALID_ARGUMENT') naming what is missing. */
export function decodeLockBody(body: Buffer | undefined): LockBody {
  let o: Record<string, unknown>;
  try {
    o = (parseFastJson(body ? body.toString('utf8') : '') ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new MqError('INVALID_ARGUMENT', `lock body is not JSON: ${(err as Error).message}`);
  }
  if (typeof o.consumerGroup !== 'string' || typeof o.clientId !== 'string' || !Array.isArray(o.mqSet)) {
    throw new MqError('INVALID_ARGUMENT', 'lock body needs consumerGroup, clientId and mqSet');
  }
  const mqSet = (o.mqSet as Array<Record<string, unknown>>).map((m) => ({
    brokerName: String(m.brokerName ?? ''),
    queueId: Number(m.queueId ?? 0),
    topic: String(m.topic ?? ''),
  }));
  return { consumerGroup: o.consumerGroup, clientId: o.clientId, mqSet };
}

/** The LOCK_BATCH_MQ and UNLOCK_BATCH_MQ processors. */
export function lockProcessors(locks: RebalanceLockManager): Map<number, Processor> {
  const m = new Map<number, Processor>();
  m.set(RequestCode.LOCK_BATCH_MQ, (req) => {
    const b = decodeLockBody(req.body);
    const lockOKMQSet = locks.tryLockBatch(b.consumerGroup, b.mqSet, b.clientId);
    return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, undefined, Buffer.from(JSON.stringify({ lockOKMQSet })));
  });
  m.set(RequestCode.UNLOCK_BATCH_MQ, (req) => {
    const b = decodeLockBody(req.body);
    locks.unlockBatch(b.consumerGroup, b.mqSet, b.clientId);
    return RemotingCommand.createResponse(ResponseCode.SUCCESS);
  });
  return m;
}
