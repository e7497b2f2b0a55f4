/**
 * Rules applied to a message between decoding and storing: topic checks and auto-creation (ref §5.11, §5.12),
 * retry→DLQ (ref §5.14 handleRetryAndDLQ) and delay redirection to SCHEDULE_TOPIC_XXXX (ref §5.13).
 * Each check returns a response (code + remark) on failure, undefined when the message may go on.
 */
import { PROP, transactionType, TRANSACTION_PREPARED_TYPE, TRANSACTION_ROLLBACK_TYPE } from '../common/message';
import type { HostPort } from '../common/message';
import { ResponseCode } from '../remoting/codes';
import type { BrokerContext } from './context';
import type { CodeAndRemark } from './status-map';
import type { MessageInner } from './store-api';
import { PERM_READ, PERM_WRITE } from './topic-config-manager';
import type { TopicConfig } from './topic-config-manager';
import {
  DLQ_GROUP_TOPIC_PREFIX,
  NOT_ALLOWED_SEND_TOPICS,
  RETRY_GROUP_TOPIC_PREFIX,
  SCHEDULE_TOPIC,
  dlqTopic,
  topicProblem,
} from './topic-validator';

/** Turns a channel's `ip:port` into the IPv4 host written into records (ali-ons cannot read v6 hosts). */
export function hostOf(address: string): HostPort {
  const at = address.lastIndexOf(':');
  let ip = at > 0 ? address.slice(0, at) : address;
  const port = at > 0 ? Number(address.slice(at + 1)) || 0 : 0;
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) ip = ip.slice(7);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) ip = '127.0.0.1';
  return { ip, port };
}

/** Result of {@link checkTopicForSend}: a usable topic config, or the response to send. */
export type TopicCheck = { ok: true; config: TopicConfig; queueId: number } | { ok: false; response: CodeAndRemark };

/**
 * Validates the destination of a send (AbstractSendMessageProcessor `msgCheck`): broker and topic permission, topic
 * name, existence (with auto-creation), queue id. A negative queue id picks a random writable queue.
 */
export function checkTopicForSend(
  ctx: BrokerContext,
  topic: string,
  defaultTopic: string,
  defaultTopicQueueNums: number,
  queueId: number,
  consumerAddr: string,
): TopicCheck {
  const cfg = ctx.config;
  if ((cfg.brokerPermission & PERM_WRITE) === 0) {
    return fail(ResponseCode.NO_PERMISSION, `the broker[${cfg.brokerName}] sending message is forbidden`);
  }
  const problem = topicProblem(topic);
  if (problem) return fail(ResponseCode.MESSAGE_ILLEGAL, problem);
  if (NOT_ALLOWED_SEND_TOPICS.has(topic)) {
    return fail(ResponseCode.NO_PERMISSION, `Sending message to topic[${topic}] is forbidden.`);
  }
  let tc = ctx.topics.get(topic);
  if (!tc) {
    if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
      tc = ctx.topics.createIfMissing(topic, cfg.retryQueueNums).config;
    } else if (topic.startsWith(DLQ_GROUP_TOPIC_PREFIX)) {
      tc = ctx.topics.createIfMissing(topic, 1).config;
    } else if (cfg.autoCreateTopicEnable) {
      tc = ctx.topics.createTopicInSendMessageMethod(topic, defaultTopic || 'TBW102', defaultTopicQueueNums);
    }
    if (!tc) {
      return fail(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!`);
    }
    void ctx.registerNow();
  }
  if ((tc.perm & PERM_WRITE) === 0) {
    return fail(ResponseCode.NO_PERMISSION, `the topic[${topic}] sending message is forbidden`);
  }
  const queueNums = Math.max(tc.writeQueueNums, tc.readQueueNums);
  let q = queueId;
  if (q < 0) q = Math.floor(Math.random() * Math.max(1, tc.writeQueueNums));
  if (q >= queueNums) {
    return fail(
      ResponseCode.MESSAGE_ILLEGAL,
      `request queueId[${queueId}] is illegal, topic:${topic} topicConfig.writeQueueNums:${tc.writeQueueNums} consumerIP:${consumerAddr}`,
    );
  }
  return { ok: true, config: tc, queueId: q };
}

function fail(code: number, remark: string): { ok: false; response: CodeAndRemark } {
  return { ok: false, response: { code, remark } };
}

/** Body and properties size checks (ref §5.11). */
export function checkSizes(ctx: BrokerContext, bodyLength: number, propertiesString: string | undefined): CodeAndRemark | undefined {
  const max = ctx.config.maxMessageSize;
  if (bodyLength > max) {
    return {
      code: ResponseCode.MESSAGE_ILLEGAL,
      remark: `the message body size ${bodyLength} bytes is over the limit of ${max} bytes (maxMessageSize)`,
    };
  }
  if (propertiesString !== undefined && Buffer.byteLength(propertiesString) > 32767) {
    return {
      code: ResponseCode.MESSAGE_ILLEGAL,
      remark: `the message properties are ${Buffer.byteLength(propertiesString)} bytes, over the limit of 32767 bytes`,
    };
  }
  return undefined;
}

/**
 * A send to `%RETRY%<group>` whose reconsumeTimes has reached maxReconsumeTimes goes to `%DLQ%<group>`
 * (SendMessageProcessor `handleRetryAndDLQ`). Mutates `msg`; returns false if the DLQ cannot be written.
 */
export function handleRetryAndDlq(ctx: BrokerContext, msg: MessageInner, maxReconsumeTimes: number | undefined): boolean {
  if (!msg.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return true;
  const group = msg.topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
  const max = maxReconsumeTimes ?? ctx.config.maxReconsumeTimes;
  if (msg.reconsumeTimes < max) return true;
  const dlq = ctx.topics.createIfMissing(dlqTopic(group), 1, PERM_READ | PERM_WRITE);
  if (dlq.created) void ctx.registerNow();
  msg.topic = dlq.config.topicName;
  msg.queueId = 0;
  delete msg.properties[PROP.DELAY];
  return true;
}

/**
 * Redirects a message with `DELAY` > 0 to SCHEDULE_TOPIC_XXXX, queue level-1 (ref §5.13), keeping REAL_TOPIC and
 * REAL_QID. Levels above the table are clamped. The consume-queue tags code becomes the delivery time.
 */
export function applyDelay(msg: MessageInner, delayLevels: number[], now = Date.now()): void {
  const raw = msg.properties[PROP.DELAY];
  if (raw === undefined) return;
  const tt = transactionType(msg.sysFlag);
  if (tt === TRANSACTION_PREPARED_TYPE || tt === TRANSACTION_ROLLBACK_TYPE) return;
  let level = Number(raw);
  if (!Number.isInteger(level) || level <= 0) {
    delete msg.properties[PROP.DELAY];
    return;
  }
  if (level > delayLevels.length) level = delayLevels.length;
  msg.properties[PROP.DELAY] = String(level);
  msg.properties[PROP.REAL_TOPIC] = msg.topic;
  msg.properties[PROP.REAL_QID] = String(msg.queueId);
  msg.topic = SCHEDULE_TOPIC;
  msg.queueId = level - 1;
  msg.tagsCodeOverride = now + delayLevels[level - 1];
}
