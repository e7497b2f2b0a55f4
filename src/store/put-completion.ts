/**
 * Completion of a written put (ref §5.8, §8.3): resolve at once, or after the SYNC_FLUSH group commit, then after
 * the SYNC_MASTER replication wait. When both apply, a non-OK flush status wins over the replication status.
 */
import type { FlushService } from './flush-service';
import type { PutItem } from './log-items';
import type { StoreOptions } from './options';
import type { PutMessageStatus, ReplicationStatus } from './types';

export function completePut(
  options: StoreOptions,
  flushService: FlushService | undefined,
  replicationWaiter: ((endOffset: number) => Promise<ReplicationStatus>) | undefined,
  item: PutItem,
): void {
  const syncFlush = item.wait && options.flushDiskType === 'SYNC_FLUSH' && flushService !== undefined;
  const syncMaster = item.wait && options.brokerRole === 'SYNC_MASTER' && replicationWaiter !== undefined;
  if (!syncFlush && !syncMaster) {
    // The common case: no waiting, and no new result object.
    item.resolve(item.result);
    return;
  }
  const replicate = (flushStatus: PutMessageStatus): void => {
    if (!syncMaster || !replicationWaiter) {
      item.resolve(flushStatus === 'PUT_OK' ? item.result : { ...item.result, status: flushStatus });
      return;
    }
    replicationWaiter(item.end).then(
      (rs) => item.resolve({ ...item.result, status: flushStatus !== 'PUT_OK' ? flushStatus : rs }),
      () => item.resolve({ ...item.result, status: flushStatus !== 'PUT_OK' ? flushStatus : 'FLUSH_SLAVE_TIMEOUT' }),
    );
  };
  if (syncFlush && flushService) flushService.waitFlushed(item.end, replicate);
  else replicate('PUT_OK');
}
