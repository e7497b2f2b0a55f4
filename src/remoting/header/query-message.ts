/**
 * QUERY_MESSAGE (12) request and response headers (ref §2.3.4).
 *
 * Grammar (request extFields): topic! key! maxNum! beginTimestamp! endTimestamp! _UNIQUE_KEY_QUERY? ("true"/"false")
 * Grammar (response extFields): indexLastUpdateTimestamp! indexLastUpdatePhyoffset!
 * Response body: the matching raw records back to back; nothing found = QUERY_NOT_FOUND (22).
 */
import { extBool, extInt, extLong, extString } from './fields';

export interface QueryMessageRequestHeader {
  topic: string;
  key: string;
  maxNum: number;
  beginTimestamp: number;
  endTimestamp: number;
  /** `_UNIQUE_KEY_QUERY`: the key is a UNIQ_KEY rather than a KEYS entry. */
  uniqueKeyQuery: boolean;
}

type Ext = Record<string, string> | undefined;

export function decodeQueryMessageHeader(ext: Ext): QueryMessageRequestHeader {
  return {
    topic: extString(ext, 'topic') as string,
    key: extString(ext, 'key') as string,
    maxNum: extInt(ext, 'maxNum') as number,
    beginTimestamp: extLong(ext, 'beginTimestamp') as number,
    endTimestamp: extLong(ext, 'endTimestamp') as number,
    uniqueKeyQuery: extBool(ext, '_UNIQUE_KEY_QUERY', false) ?? false,
  };
}

export function encodeQueryMessageHeader(h: QueryMessageRequestHeader): Record<string, string | number | boolean | undefined> {
  const { uniqueKeyQuery, ...rest } = h;
  return { ...rest, _UNIQUE_KEY_QUERY: uniqueKeyQuery };
}

export interface QueryMessageResponseHeader {
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

export function encodeQueryMessageResponseHeader(
  h: QueryMessageResponseHeader,
): Record<string, string | number | boolean | undefined> {
  return { ...h };
}
