/**
 * The response header shared by GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29) and
 * QUERY_CONSUMER_OFFSET (14) (ref §2.3.3).
 *
 * Grammar (response extFields): offset! logId?
 *   logId is our brokers' own field: the identity of the log the answer describes (`<storeId>.<topicEpoch>`).
 *   RocketMQ brokers do not send it, RocketMQ clients ignore it. QUERY_NOT_FOUND answers carry logId without offset.
 */
import { extLong, logIdField } from './fields';

export interface OffsetResponseHeader {
  offset: number;
  /** Identity of the log under the queue; absent from RocketMQ brokers. */
  logId?: string;
}

type Ext = Record<string, string> | undefined;

export function encodeOffsetResponseHeader(h: OffsetResponseHeader): Record<string, string | number | boolean | undefined> {
  return { offset: h.offset, logId: h.logId };
}

/** Decodes `offset` (required) and `logId` (when present). */
export function decodeOffsetResponseHeader(ext: Ext): OffsetResponseHeader {
  return { offset: extLong(ext, 'offset') as number, ...logIdField(ext) };
}
