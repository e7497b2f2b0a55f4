/** Consumer-group coordination: one interface, a memory backend (one gateway) and a Redis backend (N replicas). */
export { MemoryCoordinator } from './memory';
export { RedisCoordinator } from './redis';
export type { RedisCoordinatorDeps } from './redis';
export { REDIS_COORD_OPTIONS, resolveRedisCoordOptions } from './options';
export type { RedisCoordOptions } from './options';
export { CoordKeys } from './keys';
export { encodeReceipt, decodeReceipt, MAX_RECEIPT_LENGTH } from './receipt';
export type { ReceiptData } from './receipt';
export type {
  AckItem,
  AckOptions,
  AckResult,
  AckStatus,
  ClaimRequest,
  CommittedOffset,
  Coordinator,
  Lease,
  OffsetRange,
  QueueRef,
  QueueSnapshot,
  ReclaimRequest,
  TrimStatus,
} from './types';
