/** Consumer-group coordination: one interface, a memory backend (one gateway) and a Redis backend (N replicas). */
export { MemoryCoordinator } from './memory';
export type { MemoryCoordinatorOptions } from './memory';
export { isNoState } from './validate';
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
  OffsetReset,
  QueueRef,
  QueueSnapshot,
  ReclaimRequest,
  SeedOptions,
  TrimStatus,
} from './types';
