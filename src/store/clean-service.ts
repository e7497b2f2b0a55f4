/**
 * Retention and disk protection (ref §5.9). Commit-log segments are deleted oldest first when it is one of the
 * `deleteWhen` hours, when disk use is above diskMaxUsedSpaceRatio, or on request; a segment goes only when it is
 * older than fileReservedTime hours (or disk use is above diskSpaceCleanForciblyRatio). Never deleted: the newest
 * segment, anything not yet dispatched, and anything at or beyond the replication floor (what slaves still need).
 * Consume-queue and index files that point only below the new minimum go too. Above diskSpaceWarningLevelRatio the
 * store refuses puts (SERVICE_NOT_AVAILABLE).
 */
import type { StoreContext } from './store-context';
import { diskUsedRatio } from './store-metrics';

/** One retention run; returns the number of commit-log segments deleted. */
export function cleanExpiredFiles(store: StoreContext, now: number, manual: boolean): number {
  const o = store.options;
  const ratio = diskUsedRatio(o.storePathRootDir) * 100;
  const wasFull = store.diskFull;
  store.diskFull = ratio > o.diskSpaceWarningLevelRatio;
  if (store.diskFull !== wasFull) {
    store.logger.warn({ ratio, limit: o.diskSpaceWarningLevelRatio }, store.diskFull ? 'disk full: puts refused' : 'disk usage back to normal');
  }
  const hour = new Date(now).getHours();
  const isTime = o.deleteWhen
    .split(';')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .some((h) => Number(h) === hour);
  const spaceFull = ratio > o.diskMaxUsedSpaceRatio;
  const force = ratio > o.diskSpaceCleanForciblyRatio;
  if (!isTime && !spaceFull && !manual) return 0;
  const floor = store.replicationFloor();
  const log = store.commitLog;
  const keepMs = o.fileReservedTime * 3600000;
  let deleted = 0;
  while (deleted < o.deleteCommitLogFilesMax && log.segments.length > 1) {
    const seg = log.segments[0];
    if (seg.endOffset > floor || seg.endOffset > store.dispatchedPos || seg.endOffset > log.flushedPos) break;
    if (!force && seg.mtimeMs() + keepMs > now) break;
    log.deleteFirst();
    deleted++;
    store.logger.info({ segment: seg.path, ratio, force }, 'deleted expired commit-log segment');
  }
  if (deleted > 0) {
    const minPhy = log.minOffset();
    for (const cq of store.cqs.values()) cq.deleteExpired(minPhy);
    store.index.deleteExpired(minPhy);
  }
  return deleted;
}
