/** Public face of our RocketMQ client: the MQClient composition root and the types of its API. */
export { MQClient } from './mq-client';
export type { MQClientDeps } from './mq-client';
export { CLIENT_OPTIONS, resolveClientOptions } from './options';
export type { ClientOptions, ClientOptionsInput, ClientOptionSpec } from './options';
export { responseError, transportError, responseCodeName } from './errors';
export type { ClientOp } from './errors';
export type { NameServerAddressProvider } from './address/address-provider';
export { parseAddressList } from './address/address-provider';
export { StaticAddressProvider } from './address/static-address-provider';
export { DnsAddressProvider } from './address/dns-address-provider';
export type { DnsAddressProviderOptions } from './address/dns-address-provider';
export { HttpAddressProvider, parseAddressServerBody } from './address/http-address-provider';
export type { HttpAddressProviderOptions } from './address/http-address-provider';
export { createAddressProvider } from './address/create-address-provider';
export { RouteCache } from './route/route-cache';
export type { TopicRoute } from './route/route-cache';
export { Perm, MASTER_ID, parseTopicRouteData, parseClusterInfo, publishQueues, subscribeQueues } from './route/topic-route';
export type { BrokerData, ClusterInfo, MessageQueue, QueueData, TopicRouteData } from './route/topic-route';
export { Producer } from './producer/producer';
export type { ProducerOptions } from './producer/producer';
export type { ProducerMessage, SendOptions, SendResult, SendStatus } from './producer/send-types';
export {
  validateTopic,
  checkProducerMessage,
  propertiesBytes,
  MAX_TOPIC_LENGTH,
  MAX_PROPERTIES_BYTES,
  MAX_MESSAGE_PROPERTIES_BYTES,
  BROKER_PROPERTIES_RESERVE,
} from './producer/prepare';
export { shardingHash, selectShardQueue } from './producer/queue-selector';
export { Puller, toPulledMessages } from './consumer/puller';
export type { PullRequest, PullResult, PullStatus, PulledMessage } from './consumer/puller';
export { parseSubscription } from './consumer/subscription';
export type { Subscription } from './consumer/subscription';
export type { QueueRef, OffsetAnswer, OffsetQueryOptions } from './consumer/offsets';
export type { SendBackRequest } from './consumer/send-back';
export type { CreateTopicRequest } from './admin/admin';
export type { ConsumerGroupInfo } from './heartbeat';
export type { AdminEvent, AdminEventListener } from './admin/server-requests';
export { buildClientId } from './heartbeat';
