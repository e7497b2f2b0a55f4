/** Pure message codecs shared by store, broker and client (ref §4). */
export {
  MESSAGE_MAGIC,
  BLANK_MAGIC,
  BLANK_LENGTH,
  RecordPos,
  decodeRecord,
  decodeRecords,
  encodeRecord,
  encodeRecordParts,
  patchRecordHead,
  writeRecordHead,
  writeRecordTail,
  recordSize,
  storeTimestampPos,
  bodyLengthPos,
} from './record';
export type { MessageRecord, RecordInput, RecordParts, RecordHeadFields } from './record';
export type { HostPort } from './host';
export { ipBytes, ipString, isIPv6 } from './host';
export { readLong, writeLong } from './long';
export { crc32, bodyCrc } from './crc';
export { PROP, KEY_SEPARATOR, encodeProperties, decodeProperties } from './properties';
export { createOffsetMsgId, decodeOffsetMsgId, createUniqId } from './msgid';
export { javaStringHashCode, tagsCode } from './tags';
export { decodeBatchBody, encodeBatchBody } from './batch';
export type { BatchEntry } from './batch';
export {
  SysFlag,
  COMPRESSED,
  MULTI_TAGS,
  TRANSACTION_NOT_TYPE,
  TRANSACTION_PREPARED_TYPE,
  TRANSACTION_COMMIT_TYPE,
  TRANSACTION_ROLLBACK_TYPE,
  BORNHOST_V6,
  STOREHOST_V6,
  transactionType,
} from './sysflag';
