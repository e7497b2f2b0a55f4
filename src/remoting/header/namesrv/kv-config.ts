/**
 * KV config headers (ref §2.3.1):
 *   PUT_KV_CONFIG (100)    request: namespace! key! value!
 *   GET_KV_CONFIG (101)    request: namespace! key!       response: value (or QUERY_NOT_FOUND 22)
 *   DELETE_KV_CONFIG (102) request: namespace! key!
 */
import type { ExtInput } from '../../command';
import { extString } from '../fields';
import type { ExtFields } from '../fields';

export interface PutKVConfigRequestHeader {
  namespace: string;
  key: string;
  value: string;
}

export function decodePutKVConfigRequestHeader(ext: ExtFields): PutKVConfigRequestHeader {
  return { namespace: extString(ext, 'namespace'), key: extString(ext, 'key'), value: extString(ext, 'value') };
}

export function encodePutKVConfigRequestHeader(h: PutKVConfigRequestHeader): ExtInput {
  return { ...h };
}

/** GET_KV_CONFIG and DELETE_KV_CONFIG requests. */
export interface KVConfigKeyRequestHeader {
  namespace: string;
  key: string;
}

export function decodeKVConfigKeyRequestHeader(ext: ExtFields): KVConfigKeyRequestHeader {
  return { namespace: extString(ext, 'namespace'), key: extString(ext, 'key') };
}

export function encodeKVConfigKeyRequestHeader(h: KVConfigKeyRequestHeader): ExtInput {
  return { namespace: h.namespace, key: h.key };
}

export interface GetKVConfigResponseHeader {
  value?: string;
}

export function decodeGetKVConfigResponseHeader(ext: ExtFields): GetKVConfigResponseHeader {
  return { value: extString(ext, 'value', false) };
}

export function encodeGetKVConfigResponseHeader(h: GetKVConfigResponseHeader): ExtInput {
  return { value: h.value };
}
