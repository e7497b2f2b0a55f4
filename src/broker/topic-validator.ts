/**
 * Topic name rules (ref §5.11): `^[%|a-zA-Z0-9_-]+$`, at most 127 characters; system topics refuse sends.
 */

/** The longest topic name a record can carry (int8 length, ref §4.1). */
export const TOPIC_MAX_LENGTH = 127;

const VALID_TOPIC = /^[%|a-zA-Z0-9_-]+$/;

/** Topics a producer may not send to (NO_PERMISSION). */
export const NOT_ALLOWED_SEND_TOPICS: ReadonlySet<string> = new Set([
  'SCHEDULE_TOPIC_XXXX',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC',
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
]);

/** Returns a remark describing what is wrong with `topic`, or undefined when it is valid. */
export function topicProblem(topic: string): string | undefined {
  if (topic === '') return 'The specified topic is blank.';
  if (!VALID_TOPIC.test(topic)) {
    return `The specified topic[${topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`;
  }
  if (topic.length > TOPIC_MAX_LENGTH) {
    return `The specified topic is longer than topic max length ${TOPIC_MAX_LENGTH} (length ${topic.length}).`;
  }
  return undefined;
}

/** Retry and dead-letter topic names (ref §5.14). */
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';
export const DEFAULT_TOPIC = 'TBW102';

/** `%RETRY%<group>`: where a group's failed messages wait to be consumed again. */
export function retryTopic(group: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + group;
}

/** `%DLQ%<group>`: where a group's messages go after maxReconsumeTimes failures. */
export function dlqTopic(group: string): string {
  return DLQ_GROUP_TOPIC_PREFIX + group;
}
