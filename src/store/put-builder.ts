/**
 * Turns put inputs into prepared records before the append section: validation (ref §5.11), body CRC, properties
 * string and lengths, host address bytes and the UTF-8 topic (both cached). A prepared record is also the dispatch
 * request of the record once the append section has filled in its offsets and store time.
 */
import {
  BORNHOST_V6,
  STOREHOST_V6,
  bodyCrc,
  bodyLengthPos,
  encodeProperties,
  ipBytes,
  writeRecordHead,
  writeRecordTail,
} from '../common/message';
import type { CommitLog } from './commit-log';
import type { HostPort, RecordHeadFields } from '../common/message';
import { DispatchRequest } from './dispatch';
import type { StoreContext } from './store-context';
import type { MessageBatchInner, MessageInner, PutMessageResult } from './types';

/** Slack allowed on top of maxMessageSize for a whole record (4.9.5+ rule, ref §5.11). */
const RECORD_SLACK = 64 * 1024;

/** Everything the append section writes, plus the dispatch fields it fills in. */
export interface PreparedRecord extends RecordHeadFields, DispatchRequest {
  body: Buffer;
  topicBytes: Buffer;
  propertiesString: string;
  propsLength: number;
  tagsCodeOverride: number | undefined;
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

/** Address bytes per host string: a broker sees few distinct hosts, and parsing them per message is costly. */
const hostCache = new Map<string, Buffer>();
/** UTF-8 bytes per topic name (bounded; beyond the bound topics are encoded per message). */
const topicCache = new Map<string, Buffer>();

/** Address bytes of a host, 16 (IPv4-mapped if needed) when the V6 sysFlag bit is set; undefined when unusable. */
function hostAddr(ip: string, v6: boolean): Buffer | undefined {
  const key = v6 ? `6/${ip}` : ip;
  let b = hostCache.get(key);
  if (b) return b;
  try {
    b = ipBytes(ip);
  } catch {
    return undefined;
  }
  if (v6 && b.length === 4) b = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]), b]);
  if (!v6 && b.length !== 4) return undefined;
  if (hostCache.size < 4096) hostCache.set(key, b);
  return b;
}

function topicBytes(topic: string): Buffer {
  let b = topicCache.get(topic);
  if (!b) {
    b = Buffer.from(topic, 'utf8');
    if (topicCache.size < 100000) topicCache.set(topic, b);
  }
  return b;
}

/** A message as the put path sees it: the store's input plus its encoded properties string. */
type Input = Omit<MessageInner, 'waitStoreMsgOK'> & { propertiesString: string };

/** Checks the ref §5.11 limits and computes everything of a record that does not depend on its position. */
function prepareRecord(store: StoreContext, f: Input): PreparedRecord | PutMessageResult {
  const maxBody = store.options.maxMessageSize;
  if (f.body.length > maxBody) {
    store.logger.warn({ topic: f.topic, size: f.body.length, limit: maxBody }, 'body exceeds maxMessageSize');
    return { status: 'MESSAGE_ILLEGAL' };
  }
  const propsLength = Buffer.byteLength(f.propertiesString, 'utf8');
  if (propsLength > 32767) return { status: 'PROPERTIES_SIZE_EXCEEDED' };
  const bornHostAddr = hostAddr(f.bornHost.ip, (f.sysFlag & BORNHOST_V6) !== 0);
  const storeHostAddr = hostAddr(f.storeHost.ip, (f.sysFlag & STOREHOST_V6) !== 0);
  if (!bornHostAddr || !storeHostAddr) return { status: 'MESSAGE_ILLEGAL' };
  const tb = topicBytes(f.topic);
  const size = bodyLengthPos(f.sysFlag) + 4 + f.body.length + 1 + tb.length + 2 + propsLength;
  if (size > maxBody + RECORD_SLACK) return { status: 'MESSAGE_ILLEGAL' };
  return {
    totalSize: size,
    size,
    bodyCrc: bodyCrc(f.body),
    topic: f.topic,
    queueId: f.queueId,
    flag: f.flag,
    queueOffset: 0,
    physicalOffset: 0,
    sysFlag: f.sysFlag,
    bornTimestamp: f.bornTimestamp,
    bornHostAddr,
    bornPort: f.bornHost.port,
    storeTimestamp: 0,
    storeHostAddr,
    storePort: f.storeHost.port,
    reconsumeTimes: f.reconsumeTimes,
    preparedTransactionOffset: f.preparedTransactionOffset,
    bodyLength: f.body.length,
    body: f.body,
    topicBytes: tb,
    properties: f.properties,
    propertiesString: f.propertiesString,
    propsLength,
    tagsCode: 0,
    tagsCodeOverride: f.tagsCodeOverride,
  };
}

/** Topic of 1..127 UTF-8 bytes (TOPICLEN is an int8) and a non-negative integer queue id. */
function checkTopic(topic: string, queueId: number): PutMessageResult | undefined {
  if (topic.length === 0 || topic.length > 127 || !Number.isInteger(queueId) || queueId < 0) {
    return { status: 'MESSAGE_ILLEGAL' };
  }
  if (topicBytes(topic).length > 127) return { status: 'MESSAGE_ILLEGAL' };
  return undefined;
}

/** Validates and prepares one message. */
export function buildSinglePut(store: StoreContext, msg: MessageInner): PreparedPut | PutMessageResult {
  const bad = checkTopic(msg.topic, msg.queueId);
  if (bad) return bad;
  const r = prepareRecord(store, {
    topic: msg.topic,
    queueId: msg.queueId,
    flag: msg.flag,
    body: msg.body,
    properties: msg.properties,
    propertiesString: encodeProperties(msg.properties),
    sysFlag: msg.sysFlag,
    bornTimestamp: msg.bornTimestamp,
    bornHost: msg.bornHost,
    storeHost: msg.storeHost,
    reconsumeTimes: msg.reconsumeTimes,
    preparedTransactionOffset: msg.preparedTransactionOffset,
    tagsCodeOverride: msg.tagsCodeOverride,
  });
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

/** Validates and prepares a batch; batch-level properties are appended to each message's own (ref §4.7). */
export function buildBatchPut(store: StoreContext, batch: MessageBatchInner): PreparedPut | PutMessageResult {
  const bad = checkTopic(batch.topic, batch.queueId);
  if (bad) return bad;
  // Batches carry no transactions (ref §4.7), and their bodies together obey maxMessageSize.
  if (batch.messages.length === 0 || (batch.sysFlag & 0xc) !== 0) return { status: 'MESSAGE_ILLEGAL' };
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

/**
 * Writes prepared records (offsets and store time already set) into the commit log's current batch: bodies up to
 * `inlineBodyMax` bytes are copied once into the batch arena so a tick's small records form a few large buffers;
 * larger bodies go to writev uncopied, between their head and tail. `item` rides on the last record.
 */
export function writeRecords<T>(log: CommitLog<T>, records: PreparedRecord[], item: T, inlineBodyMax: number): void {
  const n = records.length;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const last = i === n - 1 ? item : undefined;
    if (r.bodyLength <= inlineBodyMax) {
      const buf = log.inlineBuffer(r.size);
      let o = writeRecordHead(buf, log.inlineOffset, r);
      r.body.copy(buf, o);
      o += r.bodyLength;
      writeRecordTail(buf, o, r.topicBytes, r.propertiesString, r.propsLength);
      log.commitInline(r.size, r.size, last);
    } else {
      const tailLen = 3 + r.topicBytes.length + r.propsLength;
      const headLen = r.size - r.bodyLength - tailLen;
      log.beginRecord(r.size);
      writeRecordHead(log.inlineBuffer(headLen), log.inlineOffset, r);
      log.commitInline(headLen, headLen, undefined);
      log.pushExternal([r.body], r.bodyLength, undefined);
      writeRecordTail(log.inlineBuffer(tailLen), log.inlineOffset, r.topicBytes, r.propertiesString, r.propsLength);
      log.commitInline(tailLen, tailLen, last);
      log.endRecord();
    }
  }
}
