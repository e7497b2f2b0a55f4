/**
 * GET_CONSUMER_LIST_BY_GROUP (38) request header (ref §2.3.3).
 *
 * Grammar (request extFields): consumerGroup!
 * Response body: `{"consumerIdList":["ip@instance",...]}`; no live consumer = SYSTEM_ERROR "no consumer for this
 * group, <g>".
 */
import { extString } from './fields';

export interface GetConsumerListRequestHeader {
  consumerGroup: string;
}

export function decodeGetConsumerListHeader(ext: Record<string, string> | undefined): GetConsumerListRequestHeader {
  return { consumerGroup: extString(ext, 'consumerGroup') as string };
}

export function encodeGetConsumerListHeader(
  h: GetConsumerListRequestHeader,
): Record<string, string | number | boolean | undefined> {
  return { ...h };
}
