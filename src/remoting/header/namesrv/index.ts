/** Name-server command headers (ref §2.3.1), one file per command. */
export {
  decodeRegisterBrokerRequestHeader,
  encodeRegisterBrokerRequestHeader,
  decodeRegisterBrokerResponseHeader,
  encodeRegisterBrokerResponseHeader,
} from './register-broker';
export type { RegisterBrokerRequestHeader, RegisterBrokerResponseHeader } from './register-broker';
export { decodeUnregisterBrokerRequestHeader, encodeUnregisterBrokerRequestHeader } from './unregister-broker';
export type { UnregisterBrokerRequestHeader } from './unregister-broker';
export {
  decodeQueryDataVersionRequestHeader,
  encodeQueryDataVersionRequestHeader,
  decodeQueryDataVersionResponseHeader,
  encodeQueryDataVersionResponseHeader,
} from './query-data-version';
export type { QueryDataVersionRequestHeader, QueryDataVersionResponseHeader } from './query-data-version';
export { decodeGetRouteInfoRequestHeader, encodeGetRouteInfoRequestHeader } from './get-route-info';
export type { GetRouteInfoRequestHeader } from './get-route-info';
export {
  decodeWritePermRequestHeader,
  encodeWritePermRequestHeader,
  decodeWipeWritePermResponseHeader,
  encodeWipeWritePermResponseHeader,
  decodeAddWritePermResponseHeader,
  encodeAddWritePermResponseHeader,
} from './write-perm';
export type { WritePermRequestHeader, WipeWritePermResponseHeader, AddWritePermResponseHeader } from './write-perm';
export { decodeDeleteTopicFromNamesrvRequestHeader, encodeDeleteTopicFromNamesrvRequestHeader } from './delete-topic';
export type { DeleteTopicFromNamesrvRequestHeader } from './delete-topic';
export { decodeGetTopicsByClusterRequestHeader, encodeGetTopicsByClusterRequestHeader } from './get-topics-by-cluster';
export type { GetTopicsByClusterRequestHeader } from './get-topics-by-cluster';
export {
  decodePutKVConfigRequestHeader,
  encodePutKVConfigRequestHeader,
  decodeKVConfigKeyRequestHeader,
  encodeKVConfigKeyRequestHeader,
  decodeGetKVConfigResponseHeader,
  encodeGetKVConfigResponseHeader,
} from './kv-config';
export type { PutKVConfigRequestHeader, KVConfigKeyRequestHeader, GetKVConfigResponseHeader } from './kv-config';
