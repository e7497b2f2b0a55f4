/**
 * The exact "first message stored at or after a time" search (SEARCH_OFFSET_BY_TIMESTAMP with boundaryType=lower,
 * the field RocketMQ 5 added): a binary search over the queue's store times. Store times within a queue do not
 * decrease (they are taken under the commit-log lock), so the answer is exact; RocketMQ 4's default answer is the
 * nearest message, which can be one off on either side. The queue end when every message is older.
 */
import type { BrokerStore } from './store-api';

export function firstOffsetAtOrAfter(store: Pick<BrokerStore, 'getMinOffsetInQueue' | 'getMaxOffsetInQueue' | 'getMessageStoreTimeStamp'>, topic: string, queueId: number, timestamp: number): number {
  let low = Math.max(0, store.getMinOffsetInQueue(topic, queueId));
  let high = Math.max(low, store.getMaxOffsetInQueue(topic, queueId));
  // Invariant: every offset < low is older than timestamp (or unreadable); every offset >= high is at or after it.
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const t = store.getMessageStoreTimeStamp(topic, queueId, mid);
    if (t >= 0 && t >= timestamp) high = mid;
    else low = mid + 1;
  }
  return low;
}
