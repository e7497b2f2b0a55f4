/**
 * The part of the MessageStore (src/store) the broker uses. The broker codes against this shape, so that tests can
 * wrap or fake a store (a slow put, a forced lock hold time) without touching src/store.
 */
import type { MessageStore } from '../store';

/** The MessageStore methods the broker calls; a wrapper or fake with this shape can replace the store. */
export type BrokerStore = Pick<
  MessageStore,
  | 'putMessage'
  | 'putMessages'
  | 'getMessage'
  | 'getMaxOffsetInQueue'
  | 'getMinOffsetInQueue'
  | 'getOffsetInQueueByTime'
  | 'getEarliestMessageTime'
  | 'getMessageStoreTimeStamp'
  | 'lookMessageByOffset'
  | 'queryMessage'
  | 'getMinPhyOffset'
  | 'getMaxPhyOffset'
  | 'lockHoldMs'
  | 'isOSPageCacheBusy'
  | 'onArrival'
  | 'updateOptions'
>;

/** Store value types, re-exported so broker files import them from one place. */
export type {
  MessageInner,
  MessageBatchInner,
  PutMessageStatus,
  PutMessageResult,
  GetMessageStatus,
  GetMessageResult,
  ArrivalListener,
} from '../store';
