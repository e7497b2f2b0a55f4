/**
 * SEARCH_OFFSET_BY_TIMESTAMP (29) request header (ref §2.3.3).
 *
 * Grammar (request extFields): topic! queueId! timestamp! (ms)
 * Grammar (response extFields): offset!
 */
import { extInt, extLong, extString } from './fields';

export interface SearchOffsetRequestHeader {
  topic: string;
  queueId: number;
  /** Store time to look for, ms. */
  timestamp: number;
}

type Ext = Record<string, string> | undefined;

export function decodeSearchOffsetHeader(ext: Ext): SearchOffsetRequestHeader {
  return {
    topic: extString(ext, 'topic') as string,
    queueId: extInt(ext, 'queueId') as number,
    timestamp: extLong(ext, 'timestamp') as number,
  };
}

export function encodeSearchOffsetHeader(h: SearchOffsetRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}

/** The response carries one Long, `offset`. */
export function decodeSearchOffsetResponse(ext: Ext): number {
  return extLong(ext, 'offset') as number;
}
