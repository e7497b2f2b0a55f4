/**
 * QUERY_CONSUMER_OFFSET (14) request header (ref §2.3.3).
 *
 * Grammar (request extFields): topic! queueId! consumerGroup!
 * Grammar (response extFields): offset!
 */
import { extInt, extLong, extString } from './fields';

export interface QueryConsumerOffsetRequestHeader {
  topic: string;
  queueId: number;
  consumerGroup: string;
}

type Ext = Record<string, string> | undefined;

export function decodeQueryConsumerOffsetHeader(ext: Ext): QueryConsumerOffsetRequestHeader {
  return {
    topic: extString(ext, 'topic') as string,
    queueId: extInt(ext, 'queueId') as number,
    consumerGroup: extString(ext, 'consumerGroup') as string,
  };
}

export function encodeQueryConsumerOffsetHeader(h: QueryConsumerOffsetRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}

/** The response carries one Long, `offset`. */
export function decodeQueryConsumerOffsetResponse(ext: Ext): number {
  return extLong(ext, 'offset') as number;
}
