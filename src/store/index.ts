/** The commit-log message store: commit log, consume queues, index, recovery, flush, retention, metadata. */
export { MessageStore } from './message-store';
export type { MessageStoreDeps } from './message-store';
export { STORE_OPTION_SPEC, STORE_DEFAULTS, resolveStoreOptions, parseDelayLevels } from './options';
export type { StoreOptions } from './options';
export type {
  MessageInner,
  MessageBatchInner,
  PutMessageStatus,
  PutMessageResult,
  AppendResult,
  GetMessageStatus,
  GetMessageResult,
  QueryMessageResult,
  ReplicationStatus,
  ArrivalListener,
} from './types';
export { JsonConfigFile, quoteBareIntegerKeys } from './json-config-file';
export type { JsonCodec } from './json-config-file';
export { TopicConfigTable, makeTopicConfig } from './topic-config-table';
export type { TopicConfig, DataVersion } from './topic-config-table';
export { ConsumerOffsetTable } from './consumer-offset-table';
export { SCHEDULE_TOPIC, computeTagsCode } from './dispatch';
export { CQ_UNIT_SIZE } from './consume-queue';
export { StoreIdentity, STORE_IDENTITY_FILE, DEFAULT_EPOCH, newStoreId, newTopicEpoch, isStoreId, logIdOf } from './store-identity';
export type { StoreIdentityRecord } from './store-identity';
