/**
 * RegisterBrokerBody, TopicConfigSerializeWrapper, TopicConfig and DataVersion (ref §3.3): the REGISTER_BROKER
 * request body, built by brokers and read by name servers.
 *
 * JSON form (default; fastjson, missing fields take the defaults below):
 *   RegisterBrokerBody := { "topicConfigSerializeWrapper": { "dataVersion": DataVersion,
 *                           "topicConfigTable": { <topic>: TopicConfig } }, "filterServerList": [string] }
 *   DataVersion        := { "timestamp": long, "counter": long }
 *   TopicConfig        := { "topicName", "readQueueNums", "writeQueueNums", "perm", "topicFilterType",
 *                           "topicSysFlag", "order" }
 * Compressed form (header compressed=true): zlib( int32 len + DataVersion JSON,
 *                           int32 topicCount, (int32 len + "<topic> <read> <write> <perm> <filterType>")*,
 *                           int32 len + JSON array of filter servers )   (topicSysFlag and order are not carried)
 * Pure: no I/O.
 */
import zlib from 'zlib';
import { MqError } from '../../common';
import { parseFastJson, toJson } from '../../common/fastjson';
import { TOPIC_CONFIG_DEFAULTS } from '../../common/topic-config';
import type { DataVersion, TopicConfig } from '../../common/topic-config';

// The types and defaults are shared with the store's topics.json (ref §3.3).
export { TOPIC_CONFIG_DEFAULTS };
export type { DataVersion, TopicConfig };

export interface RegisterBrokerBody {
  topicConfigSerializeWrapper: {
    topicConfigTable: Record<string, TopicConfig>;
    dataVersion: DataVersion;
  };
  filterServerList: string[];
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function num(v: unknown, dflt: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : dflt;
}

/** Reads a DataVersion tolerantly (the counter may be an AtomicLong written as a number). */
export function readDataVersion(v: unknown): DataVersion {
  const o = obj(v);
  const counter = typeof o.counter === 'object' && o.counter !== null ? obj(o.counter).value : o.counter;
  return { timestamp: num(o.timestamp, 0), counter: num(counter, 0) };
}

/** Reads one TopicConfig; `name` is used when the entry has no topicName. */
export function readTopicConfig(v: unknown, name: string): TopicConfig {
  const o = obj(v);
  const d = TOPIC_CONFIG_DEFAULTS;
  return {
    topicName: typeof o.topicName === 'string' ? o.topicName : name,
    readQueueNums: num(o.readQueueNums, d.readQueueNums),
    writeQueueNums: num(o.writeQueueNums, d.writeQueueNums),
    perm: num(o.perm, d.perm),
    topicFilterType: typeof o.topicFilterType === 'string' ? o.topicFilterType : d.topicFilterType,
    topicSysFlag: num(o.topicSysFlag ?? o.topicSynFlag, d.topicSysFlag),
    order: o.order === true || o.order === 'true',
  };
}

/** Decodes the JSON form. A bare TopicConfigSerializeWrapper (senders with version < 37, ref §1.8) is accepted too. */
export function decodeRegisterBrokerBodyJson(text: string): RegisterBrokerBody {
  let parsed: unknown;
  try {
    parsed = parseFastJson(text);
  } catch (err) {
    throw new MqError('INVALID_ARGUMENT', `RegisterBrokerBody is not valid JSON: ${(err as Error).message}`);
  }
  const root = obj(parsed);
  const wrapper = 'topicConfigSerializeWrapper' in root ? obj(root.topicConfigSerializeWrapper) : root;
  const table: Record<string, TopicConfig> = {};
  for (const [name, tc] of Object.entries(obj(wrapper.topicConfigTable))) table[name] = readTopicConfig(tc, name);
  const filters = Array.isArray(root.filterServerList) ? root.filterServerList.map(String) : [];
  return {
    topicConfigSerializeWrapper: { topicConfigTable: table, dataVersion: readDataVersion(wrapper.dataVersion) },
    filterServerList: filters,
  };
}

/** Decodes either form of the body. An absent or empty body means no topics and version 0/0. */
export function decodeRegisterBrokerBody(body: Buffer | undefined, compressed: boolean): RegisterBrokerBody {
  if (!body || body.length === 0) {
    return { topicConfigSerializeWrapper: { topicConfigTable: {}, dataVersion: { timestamp: 0, counter: 0 } }, filterServerList: [] };
  }
  if (!compressed) return decodeRegisterBrokerBodyJson(body.toString('utf8'));
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(body);
  } catch (err) {
    throw new MqError('INVALID_ARGUMENT', `compressed RegisterBrokerBody does not inflate: ${(err as Error).message}`);
  }
  let p = 0;
  const readString = (): string => {
    if (p + 4 > raw.length) throw new MqError('INVALID_ARGUMENT', 'compressed RegisterBrokerBody is truncated');
    const len = raw.readInt32BE(p);
    p += 4;
    if (len < 0 || p + len > raw.length) throw new MqError('INVALID_ARGUMENT', 'compressed RegisterBrokerBody is truncated');
    const s = raw.toString('utf8', p, p + len);
    p += len;
    return s;
  };
  const dataVersion = readDataVersion(parseFastJson(readString()));
  if (p + 4 > raw.length) throw new MqError('INVALID_ARGUMENT', 'compressed RegisterBrokerBody is truncated');
  const count = raw.readInt32BE(p);
  p += 4;
  const table: Record<string, TopicConfig> = {};
  for (let i = 0; i < count; i++) {
    const [topicName, read, write, perm, filterType] = readString().split(' ');
    table[topicName] = readTopicConfig({ topicName, readQueueNums: read, writeQueueNums: write, perm, topicFilterType: filterType }, topicName);
  }
  const filters = p < raw.length ? parseFastJson(readString()) : [];
  return {
    topicConfigSerializeWrapper: { topicConfigTable: table, dataVersion },
    filterServerList: Array.isArray(filters) ? filters.map(String) : [],
  };
}

/** Encodes the body as JSON (default) or in the compressed form. */
export function encodeRegisterBrokerBody(body: RegisterBrokerBody, compressed = false): Buffer {
  if (!compressed) return Buffer.from(toJson(body), 'utf8');
  const parts: Buffer[] = [];
  const putString = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(b.length, 0);
    parts.push(len, b);
  };
  const w = body.topicConfigSerializeWrapper;
  putString(toJson(w.dataVersion));
  const topics = Object.values(w.topicConfigTable);
  const count = Buffer.allocUnsafe(4);
  count.writeInt32BE(topics.length, 0);
  parts.push(count);
  for (const t of topics) {
    putString(`${t.topicName} ${t.readQueueNums} ${t.writeQueueNums} ${t.perm} ${t.topicFilterType}`);
  }
  putString(toJson(body.filterServerList));
  return zlib.deflateSync(Buffer.concat(parts), { level: 9 });
}

/** Java's body CRC as sent in `bodyCrc32`: CRC32 masked with 0x7FFFFFFF (ref §2.3.1). */
export function bodyCrc32(body: Buffer): number {
  return zlib.crc32(body) & 0x7fffffff;
}
