/**
 * QUERY_DATA_VERSION (322) headers (ref §2.3.1).
 *   request  extFields: brokerName! brokerAddr! clusterName! brokerId!:long; body = DataVersion JSON
 *   response extFields: changed:bool; body = the name server's stored DataVersion
 */
import type { ExtInput } from '../../command';
import { extBool, extLong, extString } from '../fields';
import type { ExtFields } from '../fields';

export interface QueryDataVersionRequestHeader {
  brokerName: string;
  brokerAddr: string;
  clusterName: string;
  brokerId: number;
}

export function decodeQueryDataVersionRequestHeader(ext: ExtFields): QueryDataVersionRequestHeader {
  return {
    brokerName: extString(ext, 'brokerName'),
    brokerAddr: extString(ext, 'brokerAddr'),
    clusterName: extString(ext, 'clusterName'),
    brokerId: extLong(ext, 'brokerId'),
  };
}

export function encodeQueryDataVersionRequestHeader(h: QueryDataVersionRequestHeader): ExtInput {
  return { ...h };
}

export interface QueryDataVersionResponseHeader {
  changed: boolean;
}

export function decodeQueryDataVersionResponseHeader(ext: ExtFields): QueryDataVersionResponseHeader {
  return { changed: extBool(ext, 'changed', false) ?? false };
}

export function encodeQueryDataVersionResponseHeader(h: QueryDataVersionResponseHeader): ExtInput {
  return { changed: h.changed };
}
