/**
 * VIEW_MESSAGE_BY_ID (33) request header (ref §2.3.4).
 *
 * Grammar (request extFields): offset! (commit-log physical offset, from the decoded offset msgId)
 * Response: SUCCESS with one raw record as body, or SYSTEM_ERROR "can not find message by the offset, <o>".
 */
import { extLong } from './fields';

export interface ViewMessageRequestHeader {
  offset: number;
}

export function decodeViewMessageHeader(ext: Record<string, string> | undefined): ViewMessageRequestHeader {
  return { offset: extLong(ext, 'offset') as number };
}

export function encodeViewMessageHeader(h: ViewMessageRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}
