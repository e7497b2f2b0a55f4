/** GET_TOPICS_BY_CLUSTER (224) request header (ref §2.3.1): cluster!. */
import type { ExtInput } from '../../command';
import { extString } from '../fields';
import type { ExtFields } from '../fields';

export interface GetTopicsByClusterRequestHeader {
  cluster: string;
}

export function decodeGetTopicsByClusterRequestHeader(ext: ExtFields): GetTopicsByClusterRequestHeader {
  return { cluster: extString(ext, 'cluster') };
}

export function encodeGetTopicsByClusterRequestHeader(h: GetTopicsByClusterRequestHeader): ExtInput {
  return { cluster: h.cluster };
}
