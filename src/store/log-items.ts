/**
 * What the commit log carries back to the store with each written batch: puts to complete, or replicated bytes
 * (slave) to acknowledge.
 */
import type { DispatchRequest } from './dispatch';
import type { PutMessageResult } from './types';

/** A put waiting for its batch write. */
export interface PutItem {
  kind: 'put';
  requests: DispatchRequest[];
  end: number;
  wait: boolean;
  bytes: number;
  result: PutMessageResult;
  /** Called once the record reached the OS, before any flush or replication wait (see MessageStore.putMessage). */
  onWritten: (() => void) | undefined;
  resolve(r: PutMessageResult): void;
}

/** Replicated bytes waiting for their write (slave). */
export interface RawItem {
  kind: 'raw';
  resolve(ok: boolean): void;
}

export type LogItem = PutItem | RawItem;
