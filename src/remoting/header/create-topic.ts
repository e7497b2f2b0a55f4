/**
 * UPDATE_AND_CREATE_TOPIC (17) request header (ref §2.3.1, sent to a broker).
 *
 * Grammar (request extFields): topic! defaultTopic! readQueueNums! writeQueueNums! perm! topicFilterType!
 *   topicSysFlag? order!
 */
import { extBool, extInt, extString } from './fields';

export interface CreateTopicRequestHeader {
  topic: string;
  defaultTopic: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  /** `SINGLE_TAG` or `MULTI_TAG`. */
  topicFilterType: string;
  topicSysFlag?: number;
  order: boolean;
}

export function decodeCreateTopicHeader(ext: Record<string, string> | undefined): CreateTopicRequestHeader {
  return {
    topic: extString(ext, 'topic') as string,
    defaultTopic: extString(ext, 'defaultTopic', false) ?? 'TBW102',
    readQueueNums: extInt(ext, 'readQueueNums') as number,
    writeQueueNums: extInt(ext, 'writeQueueNums') as number,
    perm: extInt(ext, 'perm') as number,
    topicFilterType: extString(ext, 'topicFilterType', false) ?? 'SINGLE_TAG',
    topicSysFlag: extInt(ext, 'topicSysFlag', false),
    order: extBool(ext, 'order', false) ?? false,
  };
}

export function encodeCreateTopicHeader(h: CreateTopicRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}
