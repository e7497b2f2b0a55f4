/**
 * Message properties string codec (ref §4.3).
 *
 * Grammar:
 *   properties := pair ( 0x02 pair )* [ 0x02 ]      -- 4.9.0 and older leave one trailing 0x02
 *   pair       := name 0x01 value                    -- UTF-8, whole string at most 32767 bytes
 * Parsing (4.9.8 rules): split on 0x02, skip segments shorter than 3 chars, split at the first 0x01, keep the pair
 * only if both key and value are non-empty.
 */

/** Reserved property names (ref §4.4). */
export const PROP = {
  TAGS: 'TAGS',
  KEYS: 'KEYS',
  UNIQ_KEY: 'UNIQ_KEY',
  WAIT: 'WAIT',
  DELAY: 'DELAY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QID: 'REAL_QID',
  TRAN_MSG: 'TRAN_MSG',
  PGROUP: 'PGROUP',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  BUYER_ID: 'BUYER_ID',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  TRANSFER_FLAG: 'TRANSFER_FLAG',
  CORRECTION_FLAG: 'CORRECTION_FLAG',
  MQ2_FLAG: 'MQ2_FLAG',
  RECONSUME_TIME: 'RECONSUME_TIME',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  MSG_REGION: 'MSG_REGION',
  TRACE_ON: 'TRACE_ON',
  CONSUME_START_TIME: 'CONSUME_START_TIME',
  TRAN_PREPARED_QUEUE_OFFSET: 'TRAN_PREPARED_QUEUE_OFFSET',
  TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  CHECK_IMMUNITY_TIME_IN_SECONDS: 'CHECK_IMMUNITY_TIME_IN_SECONDS',
  INSTANCE_ID: 'INSTANCE_ID',
  CORRELATION_ID: 'CORRELATION_ID',
  REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  TTL: 'TTL',
  ARRIVE_TIME: 'ARRIVE_TIME',
  PUSH_REPLY_TIME: 'PUSH_REPLY_TIME',
  CLUSTER: 'CLUSTER',
  MSG_TYPE: 'MSG_TYPE',
  START_DELIVER_TIME: '__STARTDELIVERTIME',
} as const;

/** Separator of several keys inside the KEYS property. */
export const KEY_SEPARATOR = ' ';

const NAME_VALUE_SEPARATOR = '\u0001';
const PROPERTY_SEPARATOR = '\u0002';

/** Encodes a property map in the 4.9.1+ form (no trailing 0x02). Entries with an empty key or value are skipped. */
export function encodeProperties(map: Record<string, string>): string {
  let out = '';
  for (const k of Object.keys(map)) {
    const v = map[k];
    if (k === '' || v === undefined || v === null || v === '') continue;
    if (out.length > 0) out += PROPERTY_SEPARATOR;
    out += k + NAME_VALUE_SEPARATOR + v;
  }
  return out;
}

/** Decodes a properties string; accepts a trailing 0x02 and skips malformed or empty pairs. */
export function decodeProperties(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s) return out;
  for (const seg of s.split(PROPERTY_SEPARATOR)) {
    if (seg.length < 3) continue;
    const i = seg.indexOf(NAME_VALUE_SEPARATOR);
    if (i <= 0 || i === seg.length - 1) continue;
    out[seg.slice(0, i)] = seg.slice(i + 1);
  }
  return out;
}
