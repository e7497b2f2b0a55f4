/**
 * Request checks done before anything is stored or claimed. A whole send batch is checked first, so that an invalid
 * message stores nothing; errors are MqError INVALID_ARGUMENT / PAYLOAD_TOO_LARGE with `details.index` (mapped to
 * GatewayError.index by errors.ts). Pure: no I/O.
 */
import { MqError } from '../common';
import { PROP } from '../common/message';
import { checkProducerMessage } from '../client';
import type { ProducerMessage } from '../client';
import type { T } from './thrift-api';

/** RocketMQ's topic rule (ref §5.11); groups use the same characters. */
const NAME_RE = /^[%|a-zA-Z0-9_-]+$/;
/** Limits of the contract (idl/gateway.thrift documents each). */
export const MAX_TOPIC_LENGTH = 127;
export const MAX_GROUP_LENGTH = 255;
export const MAX_TAG_LENGTH = 255;
export const MAX_KEY_LENGTH = 255;
export const MAX_GET_MESSAGES = 1024;
export const MAX_INVISIBLE_MS = 12 * 3600 * 1000;
export const MAX_ACKS = 4096;

/** Property names the broker or client own (ref §4.4); users may not set them, and get does not return them. */
export const SYSTEM_PROPERTIES: ReadonlySet<string> = new Set<string>(Object.values(PROP));

/** An INVALID_ARGUMENT error, with the batch index when a message is at fault. */
function invalid(message: string, index?: number): MqError {
  return new MqError('INVALID_ARGUMENT', message, { details: index === undefined ? {} : { index } });
}

/** RocketMQ separates properties with U+0001/U+0002 (ref §4.3); they cannot appear inside names or values. */
function hasSeparators(s: string): boolean {
  return s.includes('\u0001') || s.includes('\u0002');
}

/** Throws INVALID_ARGUMENT unless `topic` is a valid RocketMQ topic name. */
export function checkTopic(topic: unknown, what = 'topic', index?: number): string {
  if (typeof topic !== 'string' || topic === '' || topic.length > MAX_TOPIC_LENGTH || !NAME_RE.test(topic)) {
    throw invalid(
      `${what} ${JSON.stringify(topic)} is invalid: use 1..${MAX_TOPIC_LENGTH} characters of [A-Za-z0-9_%|-]`,
      index,
    );
  }
  return topic;
}

/** Throws INVALID_ARGUMENT unless `group` is a valid consumer group name. */
export function checkGroup(group: unknown): string {
  if (typeof group !== 'string' || group === '' || group.length > MAX_GROUP_LENGTH || !NAME_RE.test(group)) {
    throw invalid(`consumerGroup ${JSON.stringify(group)} is invalid: use 1..${MAX_GROUP_LENGTH} characters of [A-Za-z0-9_%|-]`);
  }
  return group;
}

/** Checks an integer field against inclusive bounds; absent (null) takes the default. */
export function checkInt(name: string, v: number | null | undefined, def: number, min: number, max: number, option?: string): number {
  if (v === null || v === undefined) return def;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw invalid(`${name}=${v} is out of range ${min}..${max}${option ? ` (gateway option ${option})` : ''}`);
  }
  return v;
}

/**
 * Checks a whole send batch and converts it to producer messages (bodies are not copied).
 * @returns the messages grouped by topic, each with its index in the batch.
 */
export function checkSendBatch(
  messages: readonly T.Message[] | null | undefined,
  limits: { maxMessageSize: number; maxBatchMessages: number },
): Map<string, Array<{ index: number; message: ProducerMessage }>> {
  if (!Array.isArray(messages) || messages.length === 0) throw invalid('SendRequest.messages is empty: send at least one message');
  if (messages.length > limits.maxBatchMessages) {
    throw invalid(`SendRequest has ${messages.length} messages, more than ${limits.maxBatchMessages} (gateway option maxBatchMessages)`);
  }
  const byTopic = new Map<string, Array<{ index: number; message: ProducerMessage }>>();
  messages.forEach((m, index) => {
    if (!m) throw invalid(`message ${index} is null`, index);
    const topic = checkTopic(m.topic, `message ${index}: topic`, index);
    const body = m.body as Buffer | null;
    if (!Buffer.isBuffer(body) || body.length === 0) throw invalid(`message ${index}: body is empty (1 byte at least)`, index);
    if (body.length > limits.maxMessageSize) {
      throw new MqError(
        'PAYLOAD_TOO_LARGE',
        `message ${index}: body of ${body.length} bytes exceeds maxMessageSize ${limits.maxMessageSize} bytes (gateway option maxMessageSize)`,
        { details: { index, size: body.length, limit: limits.maxMessageSize } },
      );
    }
    const out: ProducerMessage = { body };
    if (m.tags !== null && m.tags !== undefined && m.tags !== '') {
      const t = m.tags;
      if (t.length > MAX_TAG_LENGTH || t.includes('||') || t.trim() !== t || hasSeparators(t)) {
        throw invalid(`message ${index}: tag ${JSON.stringify(t)} is invalid (at most ${MAX_TAG_LENGTH} characters, no "||", no surrounding spaces)`, index);
      }
      out.tags = t;
    }
    if (m.keys && m.keys.length > 0) {
      for (const k of m.keys) {
        if (typeof k !== 'string' || k === '' || k.length > MAX_KEY_LENGTH || /\s/.test(k) || hasSeparators(k)) {
          throw invalid(`message ${index}: key ${JSON.stringify(k)} is invalid (1..${MAX_KEY_LENGTH} characters, no spaces)`, index);
        }
      }
      out.keys = [...m.keys];
    }
    if (m.properties) {
      const props: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.properties)) {
        if (typeof k !== 'string' || k === '' || typeof v !== 'string') throw invalid(`message ${index}: property names must be non-empty strings`, index);
        if (SYSTEM_PROPERTIES.has(k)) throw invalid(`message ${index}: property ${k} is reserved by RocketMQ`, index);
        if (hasSeparators(k) || hasSeparators(v)) throw invalid(`message ${index}: property ${k} contains the character U+0001 or U+0002`, index);
        props[k] = v;
      }
      out.properties = props;
    }
    // The client's own checks, with its exact byte count of the encoded properties (UNIQ_KEY included), so that
    // nothing the gateway accepts can fail in the client after another topic's messages went out.
    checkProducerMessage(out, index, limits.maxMessageSize);
    if (m.shardingKey !== null && m.shardingKey !== undefined && m.shardingKey !== '') out.shardingKey = m.shardingKey;
    const list = byTopic.get(topic) ?? [];
    list.push({ index, message: out });
    byTopic.set(topic, list);
  });
  return byTopic;
}

/** User properties of a stored message: everything but RocketMQ's system properties. */
export function userProperties(props: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) if (!SYSTEM_PROPERTIES.has(k)) out[k] = v;
  return out;
}
