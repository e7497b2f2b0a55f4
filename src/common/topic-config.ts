/**
 * TopicConfig and DataVersion (ref §3.3): one topic's settings and the version of a topic table, and the PermName
 * bits (ref §3.2). Shared by the store (topics.json), remoting (RegisterBrokerBody), the name server and the broker,
 * which may not all import one another, so they live here.
 *   TopicConfig := { topicName, readQueueNums, writeQueueNums, perm, topicFilterType, topicSysFlag, order }
 *   DataVersion := { timestamp: ms, counter }
 * Pure: no I/O.
 */

/** PermName bits (ref §3.2): inherit (template topics such as TBW102), write, read, priority. */
export const PERM_INHERIT = 0x1;
export const PERM_WRITE = 0x2;
export const PERM_READ = 0x4;
export const PERM_PRIORITY = 0x8;

/** One topic's configuration, with RocketMQ's field names (ref §3.3). */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  /** PermName bits: 1 = inherit, 2 = write, 4 = read, 8 = priority (ref §3.2). */
  perm: number;
  /** 'SINGLE_TAG' or 'MULTI_TAG'; kept as a string because peers send it as text. */
  topicFilterType: string;
  topicSysFlag: number;
  order: boolean;
  /**
   * Our own field, absent in RocketMQ (whose readers ignore it): a random id made when the topic is created or
   * re-created after a delete, kept by updates and copied to slaves. With the store's identity it names the log
   * under the topic's queues (`logId`). Absent on built-in topics and in older files.
   */
  topicEpoch?: string;
}

/** Version of a topic table; the name server re-reads topics only when it changes (ref §3.3). */
export interface DataVersion {
  timestamp: number;
  counter: number;
}

/** TopicConfig defaults (ref §3.3): 16/16 queues, perm 6 (read + write), SINGLE_TAG, sysFlag 0, not ordered. */
export const TOPIC_CONFIG_DEFAULTS: Omit<TopicConfig, 'topicName'> = Object.freeze({
  readQueueNums: 16,
  writeQueueNums: 16,
  perm: PERM_READ | PERM_WRITE,
  topicFilterType: 'SINGLE_TAG',
  topicSysFlag: 0,
  order: false,
});

/** A TopicConfig with the fields not given taken from {@link TOPIC_CONFIG_DEFAULTS}; `topicName` always wins. */
export function makeTopicConfig(topicName: string, partial: Partial<TopicConfig> = {}): TopicConfig {
  const d = TOPIC_CONFIG_DEFAULTS;
  return {
    topicName,
    readQueueNums: partial.readQueueNums ?? d.readQueueNums,
    writeQueueNums: partial.writeQueueNums ?? d.writeQueueNums,
    perm: partial.perm ?? d.perm,
    topicFilterType: partial.topicFilterType ?? d.topicFilterType,
    topicSysFlag: partial.topicSysFlag ?? d.topicSysFlag,
    order: partial.order ?? d.order,
    ...(typeof partial.topicEpoch === 'string' && partial.topicEpoch !== '' ? { topicEpoch: partial.topicEpoch } : {}),
  };
}
