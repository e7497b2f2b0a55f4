/** Operator API of the client (the commands of `mq admin` use it). */
export { AdminClient } from './admin-client';
export type { AdminClientOptions, BrokerRef, BrokerStatsData, ConsumeQueueProgress, ConsumerConnection, TopicQueueStatus } from './admin-client';
export { countBetween, countSeries, messagesBetween, pullAt, masterOf, queryById, queryByKey, viewById } from './messages';
export type { FoundMessage } from './messages';
export { AdminApi } from './admin';
export type { CreateTopicRequest } from './admin';
export { serverRequestHandler, decodeResetRequest } from './server-requests';
export type { AdminEvent, AdminEventListener } from './server-requests';
