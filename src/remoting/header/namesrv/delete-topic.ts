/**
 * DELETE_TOPIC_IN_NAMESRV (216) request header (ref §2.3.1): topic! clusterName (optional: only that cluster's
 * brokers are removed from the topic).
 */
import type { ExtInput } from '../../command';
import { extString } from '../fields';
import type { ExtFields } from '../fields';

export interface DeleteTopicFromNamesrvRequestHeader {
  topic: string;
  clusterName?: string;
}

export function decodeDeleteTopicFromNamesrvRequestHeader(ext: ExtFields): DeleteTopicFromNamesrvRequestHeader {
  return { topic: extString(ext, 'topic'), clusterName: extString(ext, 'clusterName', false) };
}

export function encodeDeleteTopicFromNamesrvRequestHeader(h: DeleteTopicFromNamesrvRequestHeader): ExtInput {
  return { topic: h.topic, clusterName: h.clusterName };
}
