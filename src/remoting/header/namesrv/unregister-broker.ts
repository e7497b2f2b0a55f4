/**
 * UNREGISTER_BROKER (104) request header (ref §2.3.1): brokerName! brokerAddr! clusterName! brokerId!:long.
 * QUERY_DATA_VERSION (322) uses the same four fields (see query-data-version.ts).
 */
import type { ExtInput } from '../../command';
import { extLong, extString } from '../fields';
import type { ExtFields } from '../fields';

export interface UnregisterBrokerRequestHeader {
  brokerName: string;
  brokerAddr: string;
  clusterName: string;
  brokerId: number;
}

export function decodeUnregisterBrokerRequestHeader(ext: ExtFields): UnregisterBrokerRequestHeader {
  return {
    brokerName: extString(ext, 'brokerName'),
    brokerAddr: extString(ext, 'brokerAddr'),
    clusterName: extString(ext, 'clusterName'),
    brokerId: extLong(ext, 'brokerId'),
  };
}

export function encodeUnregisterBrokerRequestHeader(h: UnregisterBrokerRequestHeader): ExtInput {
  return { ...h };
}
