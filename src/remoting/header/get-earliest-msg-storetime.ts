/**
 * GET_EARLIEST_MSG_STORETIME (32) request header (ref §2.3.3).
 *
 * Grammar (request extFields): topic! queueId!
 * Grammar (response extFields): timestamp!
 */
import { extInt, extLong, extString } from './fields';

export interface GetEarliestMsgStoretimeRequestHeader {
  topic: string;
  queueId: number;
}

type Ext = Record<string, string> | undefined;

export function decodeGetEarliestMsgStoretimeHeader(ext: Ext): GetEarliestMsgStoretimeRequestHeader {
  return {
    topic: extString(ext, 'topic') as string,
    queueId: extInt(ext, 'queueId') as number,
  };
}

export function encodeGetEarliestMsgStoretimeHeader(h: GetEarliestMsgStoretimeRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}

/** The response carries one Long, `timestamp`. */
export function decodeGetEarliestMsgStoretimeResponse(ext: Ext): number {
  return extLong(ext, 'timestamp') as number;
}
