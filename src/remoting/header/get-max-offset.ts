/**
 * GET_MAX_OFFSET (30) request header (ref §2.3.3).
 *
 * Grammar (request extFields): topic! queueId!
 * Grammar (response extFields): offset!
 */
import { extInt, extLong, extString } from './fields';

export interface GetMaxOffsetRequestHeader {
  topic: string;
  queueId: number;
}

type Ext = Record<string, string> | undefined;

export function decodeGetMaxOffsetHeader(ext: Ext): GetMaxOffsetRequestHeader {
  return {
    topic: extString(ext, 'topic') as string,
    queueId: extInt(ext, 'queueId') as number,
  };
}

export function encodeGetMaxOffsetHeader(h: GetMaxOffsetRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}

/** The response carries one Long, `offset`. */
export function decodeGetMaxOffsetResponse(ext: Ext): number {
  return extLong(ext, 'offset') as number;
}
