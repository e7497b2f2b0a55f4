/** Public face of the remoting layer: frame codec, commands, codes, header helpers, server and client. */
export { RemotingCommand, toExtFields } from './command';
export type { SerializeType, ExtInput } from './command';
export {
  RequestCode,
  ResponseCode,
  LanguageCode,
  languageName,
  languageByte,
  CURRENT_VERSION,
  RPC_TYPE_RESPONSE,
  RPC_ONEWAY,
} from './codes';
export type { RequestCodeName, ResponseCodeName } from './codes';
export { encodeCommand, encodeCommandParts, decodeCommand, decodeFrameContent, DEFAULT_FRAME_MAX_LENGTH } from './protocol/frame';
export { FrameDecoder } from './protocol/frame-decoder';
export { encodeJsonHeader, decodeJsonHeader } from './protocol/json-header';
export { encodeBinaryHeader, decodeBinaryHeader } from './protocol/binary-header';
export { badFrameReason } from './protocol/errors';
export type { BadFrameReason } from './protocol/errors';
export { extString, extInt, extLong, extBool } from './header/fields';
export type { ExtFields } from './header/fields';
export { RemotingServer, notSupportedRemark } from './server';
export type { Processor, RemotingServerOptions, RequestHook } from './server';
export {
  ACL_ACCESS_KEY,
  ACL_SIGNATURE,
  ACL_SECURITY_TOKEN,
  CLUSTER_SIGNED_CODES,
  CLUSTER_SIGNATURE,
  CLUSTER_TS,
  aclSignature,
  applySigner,
  authHook,
  clusterAuthCheck,
  checkClusterSignature,
  sameSignature,
  signAcl,
  signCluster,
} from './auth';
export type { AuthCheck, RequestSigner } from './auth';
export { RemotingClient } from './client';
export type { RemotingClientOptions, ClientRequestHandler } from './client';
export { formatAddress } from './channel';
export type { Channel } from './channel';
export {
  decodeRegisterBrokerRequestHeader,
  encodeRegisterBrokerRequestHeader,
  decodeRegisterBrokerResponseHeader,
  encodeRegisterBrokerResponseHeader,
  decodeUnregisterBrokerRequestHeader,
  encodeUnregisterBrokerRequestHeader,
  decodeQueryDataVersionRequestHeader,
  encodeQueryDataVersionRequestHeader,
  decodeQueryDataVersionResponseHeader,
  encodeQueryDataVersionResponseHeader,
  decodeGetRouteInfoRequestHeader,
  encodeGetRouteInfoRequestHeader,
  decodeWritePermRequestHeader,
  encodeWritePermRequestHeader,
  decodeWipeWritePermResponseHeader,
  encodeWipeWritePermResponseHeader,
  decodeAddWritePermResponseHeader,
  encodeAddWritePermResponseHeader,
  decodeDeleteTopicFromNamesrvRequestHeader,
  encodeDeleteTopicFromNamesrvRequestHeader,
  decodeGetTopicsByClusterRequestHeader,
  encodeGetTopicsByClusterRequestHeader,
  decodePutKVConfigRequestHeader,
  encodePutKVConfigRequestHeader,
  decodeKVConfigKeyRequestHeader,
  encodeKVConfigKeyRequestHeader,
  decodeGetKVConfigResponseHeader,
  encodeGetKVConfigResponseHeader,
} from './header/namesrv';
export type {
  RegisterBrokerRequestHeader,
  RegisterBrokerResponseHeader,
  UnregisterBrokerRequestHeader,
  QueryDataVersionRequestHeader,
  QueryDataVersionResponseHeader,
  GetRouteInfoRequestHeader,
  WritePermRequestHeader,
  WipeWritePermResponseHeader,
  AddWritePermResponseHeader,
  DeleteTopicFromNamesrvRequestHeader,
  GetTopicsByClusterRequestHeader,
  PutKVConfigRequestHeader,
  KVConfigKeyRequestHeader,
  GetKVConfigResponseHeader,
} from './header/namesrv';
export {
  decodeRegisterBrokerBody,
  decodeRegisterBrokerBodyJson,
  encodeRegisterBrokerBody,
  readDataVersion,
  readTopicConfig,
  bodyCrc32,
  TOPIC_CONFIG_DEFAULTS,
} from './body/register-broker-body';
export type { RegisterBrokerBody, TopicConfig, DataVersion } from './body/register-broker-body';
