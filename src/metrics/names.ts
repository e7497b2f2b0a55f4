/**
 * Every metric name of the project, in one place. Components create their metrics on a Registry that is passed in
 * (never prom-client's global one), using these names.
 */
export const METRIC = {
  // remoting
  remotingBadFrames: 'mq_remoting_bad_frames_total',
  remotingConnections: 'mq_remoting_connections',
  remotingRequests: 'mq_remoting_requests_total',
  // name server
  namesrvBrokersLive: 'mq_namesrv_brokers_live',
  namesrvTopics: 'mq_namesrv_topics',
  // message store (src/store)
  storePutMessages: 'mq_store_put_messages_total',
  storePutBytes: 'mq_store_put_bytes_total',
  storeCommitLogBytes: 'mq_store_commitlog_bytes',
  storeWriteMs: 'mq_store_commitlog_write_ms',
  storeDiskUsedRatio: 'mq_store_disk_used_ratio',
  // store and broker
  brokerLockHoldMs: 'mq_broker_commitlog_lock_hold_ms',
  brokerSendQueueHeadWaitMs: 'mq_broker_send_queue_head_wait_ms',
  brokerSendQueueSize: 'mq_broker_send_queue_size',
  brokerFlowControlRejects: 'mq_broker_flow_control_rejects_total',
  brokerPullHeld: 'mq_broker_pull_held',
  brokerConsumerLag: 'mq_broker_consumer_lag',
  brokerDlqDepth: 'mq_broker_dlq_depth',
  brokerTopicPutMessages: 'mq_broker_topic_put_messages_total',
  brokerTopicPutBytes: 'mq_broker_topic_put_bytes_total',
  brokerTopicGetMessages: 'mq_broker_topic_get_messages_total',
  brokerTopicGetBytes: 'mq_broker_topic_get_bytes_total',
  brokerGroupGetMessages: 'mq_broker_group_get_messages_total',
  brokerConsumerLagSeconds: 'mq_broker_consumer_lag_seconds',
  brokerDlqUnread: 'mq_broker_dlq_unread',
  brokerUp: 'mq_broker_info',
  brokerPullRequests: 'mq_broker_pull_requests_total',
  brokerReplicationLagBytes: 'mq_broker_replication_lag_bytes',
  brokerReplicationLagSeconds: 'mq_broker_replication_lag_seconds',
  brokerSlaveConnected: 'mq_broker_slave_connected',
  brokerSlavesConnected: 'mq_broker_slaves_connected',
  // client (src/client)
  clientSendAttempts: 'mq_client_send_attempts_total',
  clientPulls: 'mq_client_pulls_total',
  clientRouteRefreshes: 'mq_client_route_refreshes_total',
  // gateway
  gatewayRequests: 'mq_gateway_requests_total',
  gatewayLatency: 'mq_gateway_request_duration_seconds',
  gatewayBytes: 'mq_gateway_bytes_total',
  gatewayErrors: 'mq_gateway_errors_total',
  gatewayInflightBytes: 'mq_gateway_inflight_bytes',
  gatewayGroupLag: 'mq_gateway_group_lag',
  gatewayMessagesExpired: 'mq_gateway_messages_expired_total',
  // gateway cluster generations (src/gateway/generations.ts)
  gatewayGenerationInfo: 'mq_gateway_generation_info',
  gatewayDrainBacklog: 'mq_gateway_drain_backlog',
  gatewayDrainDelayed: 'mq_gateway_drain_delayed',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
