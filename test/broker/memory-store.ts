/**
 * An in-memory stand-in for the MessageStore with the broker's view of it (BrokerStore), for component tests:
 * records are encoded exactly as the real store does (common/message/record), so what a pull returns is what a
 * client decodes. Knobs make it slow (putDelayMs, a gate) or "page-cache busy" (forcedLockHoldMs) for flow-control
 * tests.
 */
import { bodyCrc, createOffsetMsgId, encodeProperties, encodeRecord, PROP, tagsCode } from '../../src/common/message';
import type { BrokerStore } from '../../src/broker';
import type {
  ArrivalListener,
  GetMessageResult,
  MessageBatchInner,
  MessageInner,
  PutMessageResult,
  QueryMessageResult,
} from '../../src/store';

interface CqUnit {
  phys: number;
  size: number;
  tagsCode: number;
  storeTimestamp: number;
}

export class MemoryStore implements BrokerStore {
  private readonly log = new Map<number, Buffer>();
  private readonly queues = new Map<string, CqUnit[]>();
  private readonly listeners: ArrivalListener[] = [];
  private maxPhy = 0;
  /** Every put waits this long before it is appended (a slow disk). */
  putDelayMs = 0;
  /** When set, every put waits for this promise (a stuck disk). */
  gate?: Promise<void>;
  /** When >= 0, lockHoldMs() reports this value (a put holding the commit-log lock). */
  forcedLockHoldMs = -1;
  osPageCacheBusyTimeOutMills = 1000;
  puts = 0;

  private queue(topic: string, queueId: number): CqUnit[] {
    const key = `${topic}@${queueId}`;
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = []));
    return q;
  }

  async putMessage(msg: MessageInner): Promise<PutMessageResult> {
    if (this.gate) await this.gate;
    if (this.putDelayMs > 0) await new Promise((r) => setTimeout(r, this.putDelayMs));
    return this.append(msg);
  }

  private append(msg: MessageInner): PutMessageResult {
    const q = this.queue(msg.topic, msg.queueId);
    const storeTimestamp = Date.now();
    const phys = this.maxPhy;
    const rec = encodeRecord(
      {
        bodyCrc: bodyCrc(msg.body),
        queueId: msg.queueId,
        flag: msg.flag,
        queueOffset: q.length,
        physicalOffset: phys,
        sysFlag: msg.sysFlag,
        bornTimestamp: msg.bornTimestamp,
        bornHost: msg.bornHost,
        storeTimestamp,
        storeHost: msg.storeHost,
        reconsumeTimes: msg.reconsumeTimes,
        preparedTransactionOffset: msg.preparedTransactionOffset,
        topic: msg.topic,
        propertiesString: encodeProperties(msg.properties),
      },
      msg.body,
    );
    this.log.set(phys, rec);
    this.maxPhy += rec.length;
    const code = msg.tagsCodeOverride ?? tagsCode(msg.properties[PROP.TAGS]);
    q.push({ phys, size: rec.length, tagsCode: code, storeTimestamp });
    this.puts++;
    const queueOffset = q.length - 1;
    setImmediate(() => {
      for (const l of this.listeners) l(msg.topic, msg.queueId, queueOffset + 1, code, storeTimestamp, msg.properties);
    });
    return {
      status: 'PUT_OK',
      appendResult: {
        physicalOffset: phys,
        wroteBytes: rec.length,
        queueOffset,
        msgId: createOffsetMsgId(msg.storeHost, phys),
        storeTimestamp,
        msgNum: 1,
      },
    };
  }

  async putMessages(batch: MessageBatchInner): Promise<PutMessageResult> {
    if (this.gate) await this.gate;
    const results = batch.messages.map((m) =>
      this.append({
        topic: batch.topic,
        queueId: batch.queueId,
        flag: m.flag,
        body: m.body,
        properties: { ...m.properties, ...(batch.properties ?? {}) },
        sysFlag: batch.sysFlag,
        bornTimestamp: batch.bornTimestamp,
        bornHost: batch.bornHost,
        storeHost: batch.storeHost,
        reconsumeTimes: batch.reconsumeTimes ?? 0,
        preparedTransactionOffset: 0,
      }),
    );
    const first = results[0].appendResult!;
    return {
      status: 'PUT_OK',
      appendResult: { ...first, msgId: results.map((r) => r.appendResult!.msgId).join(','), msgNum: results.length },
    };
  }

  async getMessage(
    _group: string,
    topic: string,
    queueId: number,
    offset: number,
    maxMsgNums: number,
    maxBytes: number,
    filter?: (tagsCode: number) => boolean,
  ): Promise<GetMessageResult> {
    const q = this.queues.get(`${topic}@${queueId}`);
    const base = { records: [] as Buffer[], messageCount: 0, bufferTotalSize: 0, suggestPullingFromSlave: false };
    if (!q) return { ...base, status: 'NO_MATCHED_LOGIC_QUEUE', nextBeginOffset: 0, minOffset: 0, maxOffset: 0 };
    const max = q.length;
    if (max === 0) return { ...base, status: 'NO_MESSAGE_IN_QUEUE', nextBeginOffset: 0, minOffset: 0, maxOffset: 0 };
    if (offset < 0) return { ...base, status: 'OFFSET_TOO_SMALL', nextBeginOffset: 0, minOffset: 0, maxOffset: max };
    if (offset === max) return { ...base, status: 'OFFSET_OVERFLOW_ONE', nextBeginOffset: offset, minOffset: 0, maxOffset: max };
    // RocketMQ corrects to the min offset when it is 0 (DefaultMessageStore.getMessage).
    if (offset > max) return { ...base, status: 'OFFSET_OVERFLOW_BADLY', nextBeginOffset: 0, minOffset: 0, maxOffset: max };
    const records: Buffer[] = [];
    let bytes = 0;
    let i = offset;
    for (; i < max && records.length < maxMsgNums; i++) {
      const u = q[i];
      if (filter && !filter(u.tagsCode)) continue;
      if (records.length > 0 && bytes + u.size > maxBytes) break;
      const rec = this.log.get(u.phys)!;
      records.push(rec);
      bytes += rec.length;
    }
    return {
      status: records.length > 0 ? 'FOUND' : 'NO_MATCHED_MESSAGE',
      nextBeginOffset: i,
      minOffset: 0,
      maxOffset: max,
      records,
      messageCount: records.length,
      bufferTotalSize: bytes,
      suggestPullingFromSlave: false,
    };
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.queues.get(`${topic}@${queueId}`)?.length ?? 0;
  }

  getMinOffsetInQueue(): number {
    return 0;
  }

  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number {
    const q = this.queues.get(`${topic}@${queueId}`) ?? [];
    const i = q.findIndex((u) => u.storeTimestamp >= timestamp);
    return i < 0 ? q.length : i;
  }

  getEarliestMessageTime(topic: string, queueId: number): number {
    return this.queues.get(`${topic}@${queueId}`)?.[0]?.storeTimestamp ?? -1;
  }

  getMessageStoreTimeStamp(topic: string, queueId: number, offset: number): number {
    return this.queues.get(`${topic}@${queueId}`)?.[offset]?.storeTimestamp ?? -1;
  }

  lookMessageByOffset(physicalOffset: number): Buffer | null {
    return this.log.get(physicalOffset) ?? null;
  }

  queryMessage(topic: string, key: string, maxNum: number): QueryMessageResult {
    const records: Buffer[] = [];
    for (const [k, q] of this.queues) {
      if (!k.startsWith(`${topic}@`)) continue;
      for (const u of q) {
        const rec = this.log.get(u.phys)!;
        const props = rec.toString('latin1');
        if (records.length < maxNum && (props.includes(`KEYS\u0001${key}`) || props.includes(`UNIQ_KEY\u0001${key}`))) records.push(rec);
      }
    }
    return { records, indexLastUpdateTimestamp: Date.now(), indexLastUpdatePhyoffset: this.maxPhy };
  }

  getMinPhyOffset(): number {
    return 0;
  }

  getMaxPhyOffset(): number {
    return this.maxPhy;
  }

  lockHoldMs(): number {
    return this.forcedLockHoldMs >= 0 ? this.forcedLockHoldMs : 0;
  }

  isOSPageCacheBusy(): boolean {
    return this.lockHoldMs() > this.osPageCacheBusyTimeOutMills;
  }

  onArrival(listener: ArrivalListener): void {
    this.listeners.push(listener);
  }

  updateOptions(partial: Record<string, unknown>): void {
    if (typeof partial.osPageCacheBusyTimeOutMills === 'number') this.osPageCacheBusyTimeOutMills = partial.osPageCacheBusyTimeOutMills;
  }
}
