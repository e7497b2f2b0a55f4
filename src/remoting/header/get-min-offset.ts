/**
 * GET_MIN_OFFSET (31) request header (ref §2.3.3).
 *
 * Grammar (request extFields): topic! queueId!
 * Grammar (response extFields): offset!
 */
import { extInt, extLong, extString } from './fields';

export interface GetMinOffsetRequestHeader {
  topic: string;
  queueId: number;
}

type Ext = Record<string, string> | undefined;

export function decodeGetMinOffsetHeader(ext: Ext): GetMinOffsetRequestHeader {
  return {
    topic: extString(ext, 'topic') as string,
    queueId: extInt(ext, 'queueId') as number,
  };
}

export function encodeGetMinOffsetHeader(h: GetMinOffsetRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}

/** The response carries one Long, `offset`. */
export function decodeGetMinOffsetResponse(ext: Ext): number {
  return extLong(ext, 'offset') as number;
}
