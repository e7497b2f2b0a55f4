/**
 * Turns put inputs into encoded record parts before the append section: validation (ref §5.11), CRC, properties
 * string, header + topic + properties in one small buffer per record (the body buffer is used as is).
 */
import type { HostPort } from '../common/message';
import { bodyCrc, encodeProperties, encodeRecordParts, patchRecordHead } from '../common/message';
import { DispatchRequest, computeTagsCode } from './dispatch';
import type { MessageStore } from './message-store';
import type { MessageBatchInner, MessageInner, PutMessageResult } from './types';

/** Slack allowed on top of maxMessageSize for a whole record (4.9.5+ rule, ref §5.11). */
const RECORD_SLACK = 64 * 1024;

export interface PreparedRecord {
  /** head, body, tail: written with one writev. */
  bufs: Buffer[];
  size: number;
  patch(queueOffset: number, phys: number, storeTimestamp: number): void;
  request(queueOffset: number, phys: number, storeTimestamp: number): DispatchRequest;
}

export interface PreparedPut {
  topic: string;
  queueId: number;
  sysFlag: number;
  storeHost: HostPort;
  wait: boolean;
  totalSize: number;
  records: PreparedRecord[];
}

interface RecordFields {
  topic: string;
  queueId: number;
  flag: number;
  body: Buffer;
  properties: Record<string, string>;
  propertiesString: string;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostPort;
  storeHost: HostPort;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  tagsCodeOverride?: number;
}

function prepareRecord(store: MessageStore, f: RecordFields): PreparedRecord | PutMessageResult {
  const maxBody = store.options.maxMessageSize;
  if (f.body.length > maxBody) {
    store.logger.warn({ topic: f.topic, size: f.body.length, limit: maxBody }, 'body exceeds maxMessageSize');
    return { status: 'MESSAGE_ILLEGAL' };
  }
  if (Buffer.byteLength(f.propertiesString, 'utf8') > 32767) return { status: 'PROPERTIES_SIZE_EXCEEDED' };
  let parts;
  try {
    parts = encodeRecordParts({
      bodyCrc: bodyCrc(f.body),
      queueId: f.queueId,
      flag: f.flag,
      queueOffset: 0,
      physicalOffset: 0,
      sysFlag: f.sysFlag,
      bornTimestamp: f.bornTimestamp,
      bornHost: f.bornHost,
      storeTimestamp: 0,
      storeHost: f.storeHost,
      reconsumeTimes: f.reconsumeTimes,
      preparedTransactionOffset: f.preparedTransactionOffset,
      bodyLength: f.body.length,
      topic: f.topic,
      propertiesString: f.propertiesString,
    });
  } catch (err) {
    store.logger.warn({ err, topic: f.topic }, 'message cannot be encoded');
    return { status: 'MESSAGE_ILLEGAL' };
  }
  if (parts.totalSize > maxBody + RECORD_SLACK) return { status: 'MESSAGE_ILLEGAL' };
  const { head, tail, totalSize } = parts;
  const bufs = f.body.length > 0 ? [head, f.body, tail] : [head, tail];
  return {
    bufs,
    size: totalSize,
    patch: (qo, phys, ts) => patchRecordHead(head, qo, phys, ts),
    request: (qo, phys, ts) => ({
      topic: f.topic,
      queueId: f.queueId,
      queueOffset: qo,
      physicalOffset: phys,
      size: totalSize,
      tagsCode: f.tagsCodeOverride ?? computeTagsCode(f.topic, f.properties, ts, store.delayLevels),
      storeTimestamp: ts,
      sysFlag: f.sysFlag,
      properties: f.properties,
    }),
  };
}

function checkTopic(topic: string, queueId: number): PutMessageResult | undefined {
  const n = Buffer.byteLength(topic, 'utf8');
  if (n === 0 || n > 127 || !Number.isInteger(queueId) || queueId < 0) return { status: 'MESSAGE_ILLEGAL' };
  return undefined;
}

/** Validates and encodes one message. */
export function buildSinglePut(store: MessageStore, msg: MessageInner): PreparedPut | PutMessageResult {
  const bad = checkTopic(msg.topic, msg.queueId);
  if (bad) return bad;
  const r = prepareRecord(store, { ...msg, propertiesString: encodeProperties(msg.properties) });
  if ('status' in r) return r;
  return {
    topic: msg.topic,
    queueId: msg.queueId,
    sysFlag: msg.sysFlag,
    storeHost: msg.storeHost,
    wait: msg.waitStoreMsgOK !== false,
    totalSize: r.size,
    records: [r],
  };
}

/** Validates and encodes a batch; batch-level properties are appended to each message's own (ref §4.7). */
export function buildBatchPut(store: MessageStore, batch: MessageBatchInner): PreparedPut | PutMessageResult {
  const bad = checkTopic(batch.topic, batch.queueId);
  if (bad) return bad;
  if (batch.messages.length === 0) return { status: 'MESSAGE_ILLEGAL' };
  let bodies = 0;
  for (const m of batch.messages) bodies += m.body.length;
  if (bodies > store.options.maxMessageSize) return { status: 'MESSAGE_ILLEGAL' };
  const extra = batch.properties ?? {};
  const extraString = encodeProperties(extra);
  const records: PreparedRecord[] = [];
  let total = 0;
  for (const m of batch.messages) {
    const own = encodeProperties(m.properties);
    const propertiesString = own && extraString ? `${own}\u0002${extraString}` : own || extraString;
    const r = prepareRecord(store, {
      topic: batch.topic,
      queueId: batch.queueId,
      flag: m.flag,
      body: m.body,
      properties: { ...m.properties, ...extra },
      propertiesString,
      sysFlag: batch.sysFlag,
      bornTimestamp: batch.bornTimestamp,
      bornHost: batch.bornHost,
      storeHost: batch.storeHost,
      reconsumeTimes: batch.reconsumeTimes ?? 0,
      preparedTransactionOffset: 0,
    });
    if ('status' in r) return r;
    records.push(r);
    total += r.size;
  }
  return {
    topic: batch.topic,
    queueId: batch.queueId,
    sysFlag: batch.sysFlag,
    storeHost: batch.storeHost,
    wait: batch.waitStoreMsgOK !== false,
    totalSize: total,
    records,
  };
}
