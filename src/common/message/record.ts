/**
 * Stored record codec (ref §4.1). A record is also the unit of pull, query and view response bodies (ref §4.9).
 *
 * Grammar (big-endian; H = 8 bytes for IPv4 hosts, 20 for IPv6 ones, chosen by SYSFLAG bits 0x10 / 0x20):
 *   record := TOTALSIZE:i32 MAGIC:i32 BODYCRC:i32 QUEUEID:i32 FLAG:i32 QUEUEOFFSET:i64 PHYSICALOFFSET:i64
 *             SYSFLAG:i32 BORNTIMESTAMP:i64 BORNHOST:H STORETIMESTAMP:i64 STOREHOST:H RECONSUMETIMES:i32
 *             PREPAREDTXOFFSET:i64 BODYLEN:i32 BODY:BODYLEN TOPICLEN:i8 TOPIC:TOPICLEN PROPLEN:i16 PROPS:PROPLEN
 *   blank  := FREESPACE:i32 BLANK_MAGIC:i32                -- end-of-file filler (ref §5.2); the rest is unused
 * With IPv4 hosts the fixed part is 91 bytes: TOTALSIZE = 91 + BODYLEN + TOPICLEN + PROPLEN.
 * MAGIC = 0xDAA320A7 for messages, 0xCBD43194 for the filler.
 */
import { MqError } from '../errors';
import { HostPort, ipString, writeHost } from './host';
import { readLong, writeLong } from './long';
import { decodeProperties } from './properties';
import { BORNHOST_V6, STOREHOST_V6 } from './sysflag';

/** Message magic code 0xDAA320A7 as the int32 that readInt32BE returns. */
export const MESSAGE_MAGIC = 0xdaa320a7 | 0;
/** BLANK (end-of-file filler) magic code 0xCBD43194 as an int32. */
export const BLANK_MAGIC = 0xcbd43194 | 0;
/** Bytes of the BLANK filler actually written (ref §5.2): int32 free space + int32 magic. */
export const BLANK_LENGTH = 8;

/** Fixed byte positions inside a record (ref §4.1 reading rules). */
export const RecordPos = {
  TOTALSIZE: 0,
  MAGIC: 4,
  BODYCRC: 8,
  QUEUEID: 12,
  FLAG: 16,
  QUEUEOFFSET: 20,
  PHYSICALOFFSET: 28,
  SYSFLAG: 36,
  BORNTIMESTAMP: 40,
  BORNHOST: 48,
} as const;

/** A decoded record. `magic` is the signed int32 read from byte 4. */
export interface MessageRecord {
  totalSize: number;
  magic: number;
  bodyCrc: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostPort;
  storeTimestamp: number;
  storeHost: HostPort;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Buffer;
  topic: string;
  properties: Record<string, string>;
  propertiesString: string;
}

export type { HostPort };

/** What {@link encodeRecordParts} needs; the body itself stays with the caller (only its length is used). */
export type RecordInput = Omit<MessageRecord, 'totalSize' | 'magic' | 'body' | 'properties'> & { bodyLength: number };

/** Encoded record minus its body: write `head`, the body, then `tail` (e.g. with one writev). */
export interface RecordParts {
  head: Buffer;
  tail: Buffer;
  totalSize: number;
}

/** Width of a host field given the sysFlag bit that marks it IPv6. */
function hostLen(sysFlag: number, bit: number): number {
  return sysFlag & bit ? 20 : 8;
}

/** Position of STORETIMESTAMP in a record with the given sysFlag. */
export function storeTimestampPos(sysFlag: number): number {
  return RecordPos.BORNHOST + hostLen(sysFlag, BORNHOST_V6);
}

/** Position of BODYLEN in a record with the given sysFlag. */
export function bodyLengthPos(sysFlag: number): number {
  return storeTimestampPos(sysFlag) + 8 + hostLen(sysFlag, STOREHOST_V6) + 4 + 8;
}

/** Total size of a record: 91 bytes (IPv4 hosts) + body + topic + properties, all in bytes. */
export function recordSize(sysFlag: number, bodyLength: number, topicBytes: number, propsBytes: number): number {
  return bodyLengthPos(sysFlag) + 4 + bodyLength + 1 + topicBytes + 2 + propsBytes;
}

/**
 * Encodes everything but the body into one small allocation, returned as two views (`head` up to and including
 * BODYLEN, `tail` = topic + properties). Throws MqError('INVALID_ARGUMENT') when the topic exceeds 127 bytes or the
 * properties exceed 32767 bytes.
 */
export function encodeRecordParts(r: RecordInput): RecordParts {
  const topicBytes = Buffer.byteLength(r.topic, 'utf8');
  const propsBytes = Buffer.byteLength(r.propertiesString, 'utf8');
  if (topicBytes > 127) {
    throw new MqError('INVALID_ARGUMENT', `topic ${r.topic.slice(0, 40)}... is ${topicBytes} bytes; the limit is 127`);
  }
  if (propsBytes > 32767) {
    throw new MqError('INVALID_ARGUMENT', `properties are ${propsBytes} bytes; the limit is 32767`);
  }
  const headLen = bodyLengthPos(r.sysFlag) + 4;
  const tailLen = 1 + topicBytes + 2 + propsBytes;
  const totalSize = headLen + r.bodyLength + tailLen;
  const buf = Buffer.allocUnsafe(headLen + tailLen);
  buf.writeInt32BE(totalSize, 0);
  buf.writeInt32BE(MESSAGE_MAGIC, 4);
  buf.writeInt32BE(r.bodyCrc | 0, 8);
  buf.writeInt32BE(r.queueId | 0, 12);
  buf.writeInt32BE(r.flag | 0, 16);
  writeLong(buf, r.queueOffset, 20);
  writeLong(buf, r.physicalOffset, 28);
  buf.writeInt32BE(r.sysFlag | 0, 36);
  writeLong(buf, r.bornTimestamp, 40);
  let p = writeHost(buf, 48, r.bornHost, (r.sysFlag & BORNHOST_V6) !== 0);
  writeLong(buf, r.storeTimestamp, p);
  p = writeHost(buf, p + 8, r.storeHost, (r.sysFlag & STOREHOST_V6) !== 0);
  buf.writeInt32BE(r.reconsumeTimes | 0, p);
  writeLong(buf, r.preparedTransactionOffset, p + 4);
  buf.writeInt32BE(r.bodyLength, p + 12);
  // Tail: TOPICLEN:i8 TOPIC PROPLEN:i16 PROPS
  let q = headLen;
  buf.writeInt8(topicBytes, q);
  q += 1 + buf.write(r.topic, q + 1, 'utf8');
  buf.writeInt16BE(propsBytes, q);
  buf.write(r.propertiesString, q + 2, 'utf8');
  return { head: buf.subarray(0, headLen), tail: buf.subarray(headLen), totalSize };
}

/** Big-endian int32 by byte stores (faster than Buffer methods on the hot path). */
function put32(b: Buffer, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Big-endian int64 of a safe integer (negative values in two's complement). */
function put64(b: Buffer, o: number, v: number): void {
  put32(b, o, Math.floor(v / 4294967296));
  put32(b, o + 4, v >>> 0);
}

/** A record's fields in the form the store's append path has at hand (host addresses already as bytes). */
export interface RecordHeadFields {
  totalSize: number;
  bodyCrc: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  /** 4 or 16 address bytes (16 requires the BORNHOST_V6 sysFlag bit). */
  bornHostAddr: Buffer;
  bornPort: number;
  storeTimestamp: number;
  storeHostAddr: Buffer;
  storePort: number;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  bodyLength: number;
}

/** Writes the head (TOTALSIZE .. BODYLEN) at `o`; returns the offset after it, where the body goes. */
export function writeRecordHead(b: Buffer, o: number, r: RecordHeadFields): number {
  put32(b, o, r.totalSize);
  put32(b, o + 4, MESSAGE_MAGIC);
  put32(b, o + 8, r.bodyCrc);
  put32(b, o + 12, r.queueId);
  put32(b, o + 16, r.flag);
  put64(b, o + 20, r.queueOffset);
  put64(b, o + 28, r.physicalOffset);
  put32(b, o + 36, r.sysFlag);
  put64(b, o + 40, r.bornTimestamp);
  let p = o + 48;
  r.bornHostAddr.copy(b, p);
  p += r.bornHostAddr.length;
  put32(b, p, r.bornPort);
  put64(b, p + 4, r.storeTimestamp);
  p += 12;
  r.storeHostAddr.copy(b, p);
  p += r.storeHostAddr.length;
  put32(b, p, r.storePort);
  put32(b, p + 4, r.reconsumeTimes);
  put64(b, p + 8, r.preparedTransactionOffset);
  put32(b, p + 16, r.bodyLength);
  return p + 20;
}

/**
 * Writes the tail (TOPICLEN TOPIC PROPLEN PROPS) at `o`; `topic` is the UTF-8 topic, `propsLength` the UTF-8
 * length of `propertiesString`. Returns the offset after the record.
 */
export function writeRecordTail(b: Buffer, o: number, topic: Buffer, propertiesString: string, propsLength: number): number {
  b[o] = topic.length;
  topic.copy(b, o + 1);
  let p = o + 1 + topic.length;
  b[p] = propsLength >>> 8;
  b[p + 1] = propsLength;
  p += 2;
  if (propsLength > 0) b.write(propertiesString, p, propsLength, 'utf8');
  return p + propsLength;
}

/** Encodes a whole record into one buffer (tests, tools); the store writes parts instead to avoid copying bodies. */
export function encodeRecord(r: Omit<RecordInput, 'bodyLength'>, body: Buffer): Buffer {
  const parts = encodeRecordParts({ ...r, bodyLength: body.length });
  return Buffer.concat([parts.head, body, parts.tail], parts.totalSize);
}

/** Overwrites the fields the store assigns at append time, in an encoded head or a whole record. */
export function patchRecordHead(head: Buffer, queueOffset: number, physicalOffset: number, storeTimestamp: number): void {
  writeLong(head, queueOffset, RecordPos.QUEUEOFFSET);
  writeLong(head, physicalOffset, RecordPos.PHYSICALOFFSET);
  writeLong(head, storeTimestamp, storeTimestampPos(head.readInt32BE(RecordPos.SYSFLAG)));
}

function corrupt(msg: string, offset: number): MqError {
  return new MqError('CORRUPT', `message record at byte ${offset}: ${msg}`, { details: { offset } });
}

/**
 * Decodes one message record starting at `offset`. Throws MqError('CORRUPT') on a wrong magic (including BLANK),
 * a truncated buffer or inconsistent lengths. Does not check the CRC (see {@link checkRecordCrc}).
 */
export function decodeRecord(buf: Buffer, offset = 0): MessageRecord {
  if (buf.length - offset < 91) throw corrupt(`only ${buf.length - offset} bytes left, a record needs 91+`, offset);
  const totalSize = buf.readInt32BE(offset);
  const magic = buf.readInt32BE(offset + 4);
  if (magic !== MESSAGE_MAGIC) throw corrupt(`bad magic 0x${(magic >>> 0).toString(16)}`, offset);
  if (totalSize < 91 || offset + totalSize > buf.length) {
    throw corrupt(`total size ${totalSize} does not fit the ${buf.length - offset} bytes left`, offset);
  }
  const sysFlag = buf.readInt32BE(offset + 36);
  const bornV6 = (sysFlag & BORNHOST_V6) !== 0;
  const storeV6 = (sysFlag & STOREHOST_V6) !== 0;
  let p = offset + 48;
  const bornHost = { ip: ipString(buf, p, bornV6 ? 16 : 4), port: buf.readInt32BE(p + (bornV6 ? 16 : 4)) };
  p += bornV6 ? 20 : 8;
  const storeTimestamp = readLong(buf, p);
  p += 8;
  const storeHost = { ip: ipString(buf, p, storeV6 ? 16 : 4), port: buf.readInt32BE(p + (storeV6 ? 16 : 4)) };
  p += storeV6 ? 20 : 8;
  const reconsumeTimes = buf.readInt32BE(p);
  const preparedTransactionOffset = readLong(buf, p + 4);
  const bodyLen = buf.readInt32BE(p + 12);
  p += 16;
  const end = offset + totalSize;
  if (bodyLen < 0 || p + bodyLen + 3 > end) throw corrupt(`body length ${bodyLen} exceeds the record`, offset);
  const body = buf.subarray(p, p + bodyLen);
  p += bodyLen;
  const topicLen = buf.readUInt8(p);
  if (p + 1 + topicLen + 2 > end) throw corrupt(`topic length ${topicLen} exceeds the record`, offset);
  const topic = buf.toString('utf8', p + 1, p + 1 + topicLen);
  p += 1 + topicLen;
  const propsLen = buf.readInt16BE(p);
  if (propsLen < 0 || p + 2 + propsLen !== end) {
    throw corrupt(`properties length ${propsLen} does not end the record at its total size ${totalSize}`, offset);
  }
  const propertiesString = buf.toString('utf8', p + 2, p + 2 + propsLen);
  return {
    totalSize,
    magic,
    bodyCrc: buf.readInt32BE(offset + 8),
    queueId: buf.readInt32BE(offset + 12),
    flag: buf.readInt32BE(offset + 16),
    queueOffset: readLong(buf, offset + 20),
    physicalOffset: readLong(buf, offset + 28),
    sysFlag,
    bornTimestamp: readLong(buf, offset + 40),
    bornHost,
    storeTimestamp,
    storeHost,
    reconsumeTimes,
    preparedTransactionOffset,
    body,
    topic,
    properties: decodeProperties(propertiesString),
    propertiesString,
  };
}

/** Decodes back-to-back records until the buffer ends (pull, query and view bodies, ref §4.9). */
export function decodeRecords(buf: Buffer): MessageRecord[] {
  const out: MessageRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    const r = decodeRecord(buf, off);
    out.push(r);
    off += r.totalSize;
  }
  return out;
}
