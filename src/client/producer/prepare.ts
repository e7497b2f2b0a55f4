/**
 * Validation and property building for outgoing messages, done for the whole call before anything is sent:
 * topic name (ref §5.11), body size against `maxMessageSize`, property syntax and the 32767-byte properties limit.
 * Sets UNIQ_KEY (ref §4.6), TAGS, KEYS (space-joined) and DELAY; user properties go first.
 */
import { MqError } from '../../common';
import { PROP, createUniqId, encodeProperties } from '../../common/message';
import type { ProducerMessage } from './send-types';

/** Topic names RocketMQ accepts (ref §5.11 TopicValidator). */
const TOPIC_RE = /^[%|a-zA-Z0-9_-]+$/;
/** Largest topic name, in characters (the record stores an int8 length). */
export const MAX_TOPIC_LENGTH = 127;
/** Largest encoded properties string, in bytes (int16 length, ref §4.3). */
export const MAX_PROPERTIES_BYTES = 32767;
/**
 * Bytes of the properties string kept free for what brokers add to a stored message (CLUSTER on every send;
 * REAL_TOPIC/REAL_QID on delayed delivery; RETRY_TOPIC, ORIGIN_MESSAGE_ID, RECONSUME_TIME, ... on send-back), so
 * that a message accepted here is never refused by the broker or the store for its properties' size.
 */
export const BROKER_PROPERTIES_RESERVE = 1024;
/** Largest encoded properties string a client message may have (UNIQ_KEY included). */
export const MAX_MESSAGE_PROPERTIES_BYTES = MAX_PROPERTIES_BYTES - BROKER_PROPERTIES_RESERVE;
/** Properties the client owns; users may not set them directly. */
const RESERVED: ReadonlySet<string> = new Set([PROP.UNIQ_KEY, PROP.TAGS, PROP.KEYS, PROP.DELAY, PROP.WAIT, PROP.TRAN_MSG]);

/** A message ready to go on the wire. */
export interface PreparedMessage {
  index: number;
  uniqId: string;
  body: Buffer;
  flag: number;
  properties: Record<string, string>;
  /** Encoded properties (ref §4.3). */
  propertiesString: string;
  /** Bytes this message adds to a SEND_BATCH_MESSAGE body (ref §4.7). */
  batchBytes: number;
  shardingKey?: string;
}

function invalid(index: number, message: string): MqError {
  return new MqError('INVALID_ARGUMENT', message, { details: { index } });
}

/** Checks a topic name; throws INVALID_ARGUMENT naming the rule. */
export function validateTopic(topic: string): void {
  if (topic === '' || topic.length > MAX_TOPIC_LENGTH || !TOPIC_RE.test(topic)) {
    throw new MqError(
      'INVALID_ARGUMENT',
      `topic ${JSON.stringify(topic)} is invalid: it must match ${TOPIC_RE.source} and have at most ${MAX_TOPIC_LENGTH} characters`,
      { details: { topic } },
    );
  }
}

function checkPropertyText(index: number, what: string, s: string): void {
  // 0x01 and 0x02 are the properties separators (ref §4.3); they cannot appear inside names or values.
  if (s.includes('\u0001') || s.includes('\u0002')) throw invalid(index, `message ${index}: ${what} contains a 0x01 or 0x02 character`);
}

/** Length of a UNIQ_KEY value (ref §4.6: 32 hex characters). */
export const UNIQ_KEY_LENGTH = 32;

/**
 * Bytes of the properties string `encodeProperties(props)` gives (ref §4.3: `name 0x01 value`, pairs joined by
 * 0x02; empty names and values are left out), plus the UNIQ_KEY pair the client adds to every message when
 * `withUniqKey`. The one count both the gateway and the client check against {@link MAX_PROPERTIES_BYTES}.
 */
export function propertiesBytes(props: Readonly<Record<string, string>>, withUniqKey = true): number {
  let bytes = 0;
  let pairs = 0;
  for (const k of Object.keys(props)) {
    const v = props[k];
    if (k === '' || v === undefined || v === null || v === '') continue;
    bytes += Buffer.byteLength(k, 'utf8') + 1 + Buffer.byteLength(v, 'utf8');
    pairs++;
  }
  if (withUniqKey && props[PROP.UNIQ_KEY] === undefined) {
    bytes += PROP.UNIQ_KEY.length + 1 + UNIQ_KEY_LENGTH;
    pairs++;
  }
  return pairs > 0 ? bytes + pairs - 1 : 0;
}

/** What {@link checkProducerMessage} found for a message, kept until {@link prepareMessages} uses it once. */
interface Checked {
  maxMessageSize: number;
  /** The fields the check read, compared by identity before the result is reused. */
  body: Buffer;
  tags: string | undefined;
  keys: readonly string[] | undefined;
  props: Readonly<Record<string, string>> | undefined;
  delayLevel: number | undefined;
  flag: number | undefined;
  properties: Record<string, string>;
  /** propertiesBytes(properties) with UNIQ_KEY. */
  bytes: number;
}

/** Messages checked by the gateway's batch check, so that the client's own pass does not do the work again. */
const checkedMessages = new WeakMap<ProducerMessage, Checked>();

/** The earlier check of `m`, when it was made with the same limit and the message's fields are the same objects. */
function takeChecked(m: ProducerMessage, maxMessageSize: number): Checked | undefined {
  const c = checkedMessages.get(m);
  if (!c) return undefined;
  checkedMessages.delete(m);
  const same =
    c.maxMessageSize === maxMessageSize &&
    c.body === m.body &&
    c.tags === m.tags &&
    c.keys === m.keys &&
    c.props === m.properties &&
    c.delayLevel === m.delayLevel &&
    c.flag === m.flag;
  return same ? c : undefined;
}

/**
 * Checks one message as the client sends it and returns the byte length of its encoded properties (UNIQ_KEY
 * included; user properties first, then TAGS, KEYS, DELAY, UNIQ_KEY). Throws INVALID_ARGUMENT or PAYLOAD_TOO_LARGE naming `index` (in the text and in
 * `details.index`): the gateway calls it with the message's position in its whole batch before anything is sent,
 * and {@link prepareMessages} applies the same check (the same rules and the same byte count). The result is
 * remembered for the message object: prepareMessages reuses it when the message's fields are still the same
 * objects with the same limit (do not change a checked message's keys or properties in place before sending it).
 */
export function checkProducerMessage(m: ProducerMessage, index: number, maxMessageSize: number): number {
  const c = checkMessage(m, index, maxMessageSize);
  // Kept (weakly) for prepareMessages, which takes it over once.
  checkedMessages.set(m, c);
  return c.bytes;
}

function checkMessage(m: ProducerMessage, index: number, maxMessageSize: number): Checked {
  if (!Buffer.isBuffer(m.body)) throw invalid(index, `message ${index}: body must be a Buffer`);
  if (m.body.length > maxMessageSize) {
    throw new MqError(
      'PAYLOAD_TOO_LARGE',
      `message ${index}: body of ${m.body.length} bytes exceeds maxMessageSize ${maxMessageSize} bytes (option maxMessageSize)`,
      { details: { index, size: m.body.length, limit: maxMessageSize }, retriable: false },
    );
  }
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.properties ?? {})) {
    if (RESERVED.has(k)) throw invalid(index, `message ${index}: property ${k} is reserved; use the message field instead`);
    if (k === '' || typeof v !== 'string') throw invalid(index, `message ${index}: property names and values must be non-empty strings`);
    checkPropertyText(index, `property ${k}`, k + v);
    // Empty values are dropped by the encoder (as Java's parser would drop them); keep the map consistent.
    if (v !== '') properties[k] = v;
  }
  if (m.tags !== undefined && m.tags !== '') {
    checkPropertyText(index, 'tags', m.tags);
    if (m.tags.includes('||')) throw invalid(index, `message ${index}: a tag cannot contain "||"`);
    properties[PROP.TAGS] = m.tags;
  }
  if (m.keys && m.keys.length > 0) {
    for (const k of m.keys) {
      if (k === '' || k.includes(' ')) throw invalid(index, `message ${index}: key ${JSON.stringify(k)} must be non-empty and contain no space`);
      checkPropertyText(index, 'keys', k);
    }
    properties[PROP.KEYS] = m.keys.join(' ');
  }
  if (m.delayLevel !== undefined && m.delayLevel !== 0) {
    if (!Number.isInteger(m.delayLevel) || m.delayLevel < 0) throw invalid(index, `message ${index}: delayLevel must be a positive integer`);
    properties[PROP.DELAY] = String(m.delayLevel);
  }
  const propBytes = propertiesBytes(properties);
  if (propBytes > MAX_MESSAGE_PROPERTIES_BYTES) {
    throw invalid(
      index,
      `message ${index}: properties (tags, keys, user properties and UNIQ_KEY) take ${propBytes} bytes when encoded, ` +
        `more than ${MAX_MESSAGE_PROPERTIES_BYTES} bytes (the ${MAX_PROPERTIES_BYTES}-byte limit less ${BROKER_PROPERTIES_RESERVE} bytes kept for the broker's own properties)`,
    );
  }
  const flag = m.flag ?? 0;
  if (!Number.isInteger(flag) || flag < -0x80000000 || flag > 0x7fffffff) throw invalid(index, `message ${index}: flag must be an int32`);
  return {
    maxMessageSize,
    body: m.body,
    tags: m.tags,
    keys: m.keys,
    props: m.properties,
    delayLevel: m.delayLevel,
    flag: m.flag,
    properties,
    bytes: propBytes,
  };
}

/**
 * Validates every message and builds its properties. Throws (for the whole call) INVALID_ARGUMENT or
 * PAYLOAD_TOO_LARGE with `details.index` = the first bad message, counted from `indexes[i]` when given (the
 * positions of these messages in the caller's batch) so that text and index name the caller's message.
 */
export function prepareMessages(
  topic: string,
  messages: readonly ProducerMessage[],
  maxMessageSize: number,
  indexes?: readonly number[],
): PreparedMessage[] {
  validateTopic(topic);
  if (messages.length === 0) throw new MqError('INVALID_ARGUMENT', `send to ${topic}: no messages given`);
  // Every message is checked before any is built, so an error never leaves half a batch prepared. Messages the
  // gateway's batch check already passed (unchanged since) are not checked again.
  const checks = messages.map((m, i) => takeChecked(m, maxMessageSize) ?? checkMessage(m, indexes?.[i] ?? i, maxMessageSize));
  return messages.map((m, index) => {
    const { properties, bytes } = checks[index];
    const uniqId = createUniqId();
    properties[PROP.UNIQ_KEY] = uniqId;
    return {
      index,
      uniqId,
      body: m.body,
      flag: m.flag ?? 0,
      properties,
      propertiesString: encodeProperties(properties),
      // propertiesBytes counted UNIQ_KEY already (its value always has UNIQ_KEY_LENGTH ASCII characters).
      batchBytes: 22 + m.body.length + bytes,
      shardingKey: m.shardingKey,
    };
  });
}

/**
 * Splits messages bound for one queue into sends: one message alone, or batches whose body stays within
 * `maxMessageSize` (the broker's batch limit, ref §5.11).
 */
export function chunkForBatches(messages: readonly PreparedMessage[], maxMessageSize: number): PreparedMessage[][] {
  const out: PreparedMessage[][] = [];
  let cur: PreparedMessage[] = [];
  let size = 0;
  for (const m of messages) {
    if (cur.length > 0 && size + m.batchBytes > maxMessageSize) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(m);
    size += m.batchBytes;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
