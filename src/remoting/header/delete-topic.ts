/**
 * DELETE_TOPIC_IN_BROKER (215) request header.
 *
 * Grammar (request extFields): topic!
 */
import { extString } from './fields';

export interface DeleteTopicRequestHeader {
  topic: string;
}

export function decodeDeleteTopicHeader(ext: Record<string, string> | undefined): DeleteTopicRequestHeader {
  return { topic: extString(ext, 'topic') as string };
}

export function encodeDeleteTopicHeader(h: DeleteTopicRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}
