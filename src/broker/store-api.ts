/**
 * The part of the MessageStore (src/store) the broker uses. The broker codes against this shape, so that tests can
 * wrap or fake a store (a slow put, a forced lock hold time) without touching src/store.
 */
import type { MessageStore } from '../store';

export type BrokerStore = Pick<
  MessageStore,
  | 'putMessage'
  | 'putMessages'
  | 'getMessage'
  | 'getMaxOffsetInQueue'
  | 'getMinOffsetInQueue'
  | 'getOffsetInQueueByTime'
  | 'getEarliestMessageTime'
  | 'lookMessageByOffset'
  | 'queryMessage'
  | 'getMinPhyOffset'
  | 'getMaxPhyOffset'
  | 'lockHoldMs'
  | 'isOSPageCacheBusy'
  | 'onArrival'
  | 'updateOptions'
>;

export type {
  MessageInner,
  MessageBatchInner,
  PutMessageStatus,
  PutMessageResult,
  GetMessageStatus,
  GetMessageResult,
  ArrivalListener,
} from '../store';
