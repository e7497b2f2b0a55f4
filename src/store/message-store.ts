/**
 * MessageStore skeleton: the public API of the commit-log store (contract in /work/briefs/contracts.md).
 * Implementation in progress; the signatures are final.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MqError } from '../common';
import { StoreOptions, resolveStoreOptions } from './options';
import type {
  ArrivalListener,
  GetMessageResult,
  MessageBatchInner,
  MessageInner,
  PutMessageResult,
  QueryMessageResult,
  ReplicationStatus,
} from './types';

export interface MessageStoreDeps {
  logger: Logger;
  registry?: Registry;
}

function todo(): never {
  throw new MqError('INTERNAL', 'MessageStore: not implemented yet');
}

export class MessageStore {
  options: StoreOptions;
  /** SYNC_MASTER: awaited after the local write; the worse of flush and replication status wins. */
  replicationWaiter?: (endOffset: number) => Promise<ReplicationStatus>;
  /** Retention never deletes commit-log bytes at or beyond this offset (what slaves have not yet copied). */
  replicatedOffset: number | (() => number) = Number.MAX_SAFE_INTEGER;

  constructor(options: StoreOptions | Record<string, unknown>, deps: MessageStoreDeps) {
    this.options = resolveStoreOptions({ ...options });
    void deps;
  }

  load(): Promise<boolean> { return todo(); }
  start(): Promise<void> { return todo(); }
  shutdown(): Promise<void> { return todo(); }
  putMessage(_msg: MessageInner): Promise<PutMessageResult> { return todo(); }
  putMessages(_batch: MessageBatchInner): Promise<PutMessageResult> { return todo(); }
  getMessage(
    _group: string, _topic: string, _queueId: number, _offset: number, _maxMsgNums: number, _maxBytes: number,
    _filter?: (tagsCode: number) => boolean,
  ): Promise<GetMessageResult> { return todo(); }
  getMaxOffsetInQueue(_topic: string, _queueId: number): number { return todo(); }
  getMinOffsetInQueue(_topic: string, _queueId: number): number { return todo(); }
  getOffsetInQueueByTime(_topic: string, _queueId: number, _timestamp: number): number { return todo(); }
  getEarliestMessageTime(_topic: string, _queueId: number): number { return todo(); }
  getMessageStoreTimeStamp(_topic: string, _queueId: number, _offset: number): number { return todo(); }
  lookMessageByOffset(_physicalOffset: number): Buffer | null { return todo(); }
  queryMessage(_topic: string, _key: string, _maxNum: number, _begin: number, _end: number): QueryMessageResult { return todo(); }
  getMinPhyOffset(): number { return todo(); }
  getMaxPhyOffset(): number { return todo(); }
  getConfirmOffset(): number { return todo(); }
  lockHoldMs(): number { return todo(); }
  isOSPageCacheBusy(): boolean { return todo(); }
  updateOptions(_partial: Record<string, unknown>): void { todo(); }
  onArrival(_listener: ArrivalListener): void { todo(); }
  readCommitLog(_fromOffset: number, _maxBytes: number): Buffer | null { return todo(); }
  appendCommitLogRaw(_startOffset: number, _data: Buffer): Promise<boolean> { return todo(); }
}
