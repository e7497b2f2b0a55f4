/** Public face of the name server: tables, processors, options and the controller. */
export { NamesrvController } from './controller';
export type { NamesrvDeps } from './controller';
export { RouteInfoManager } from './route-info-manager';
export type { BrokerLiveInfo, RegisterBrokerInput, RegisterBrokerResult, BrokerRemoval } from './route-info-manager';
export { KVConfigManager } from './kv-config-manager';
export { registerNamesrvProcessors, topicNotExistRemark, ORDER_TOPIC_CONFIG } from './processor';
export type { NamesrvProcessorDeps } from './processor';
export { NAMESRV_OPTIONS, resolveNamesrvOptions } from './options';
export type { NamesrvOptions } from './options';
export { PERM_INHERIT, PERM_READ, PERM_WRITE, MASTER_ID } from './route-types';
export type { QueueData, BrokerData, TopicRouteData, ClusterInfo, TopicList } from './route-types';
export { NAMESRV_IGNORED_KEYS } from './upstream-keys';
