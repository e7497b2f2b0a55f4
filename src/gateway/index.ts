/** The Thrift gateway: send/get for consumer groups across replicas, auth, TLS, protection, metrics (issue 6). */
export { GatewayController } from './gateway-controller';
export type { GatewayDeps } from './gateway-controller';
export { GATEWAY_OPTION_SPEC, GATEWAY_FULL_SPEC, resolveGatewayOptions, clientOptionsOf, redisOptionsOf } from './options';
export type { GatewayOptions, GatewayFullSpec } from './options';
export { Authorizer } from './auth';
export type { Principal } from './auth';
export { ReceiptSigner } from './signed-receipt';
export { mapError, toGatewayError, toMessageError, errorCodeName } from './errors';
export type { MappedError } from './errors';
export { ThriftServer } from './thrift-server';
export type { GatewayHandler, ThriftServerOptions, ThriftServerEvents } from './thrift-server';
export { GatewayMetrics } from './metrics';
export { checkSendBatch, checkTopic, checkGroup, userProperties, SYSTEM_PROPERTIES } from './validate';
export { parseMessageHead, MESSAGE_HEAD_BYTES } from './message-head';
export { GroupReader } from './group-reader';
export type { Delivery, ReadRequest } from './group-reader';
export { OffsetCommitter } from './offset-committer';
export { T, MessageGatewayService, i64, toNumber } from './thrift-api';
