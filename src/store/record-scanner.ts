/**
 * Sequential reader of commit-log records used by recovery and by re-dispatch (ref §5.7): walks segments from an
 * offset, follows BLANK fillers to the next segment, and stops at the first record that fails the checks.
 */
import { BLANK_MAGIC, MESSAGE_MAGIC } from '../common/message';
import type { CommitLog } from './commit-log';
import { checkRecordAt } from './dispatch';

export interface ScanResult {
  /** Offset after the last good record (or the end of the last full segment). */
  end: number;
  /** True when the walk stopped on bytes that are not a valid record or filler (a torn or corrupt tail). */
  stoppedOnBad: boolean;
  records: number;
}

/** Bytes read at a time; must hold the largest record (8 MiB body + 64 KiB). */
const WINDOW = 16 * 1024 * 1024;

/**
 * Walks records from `from` (a record boundary) until `to` or the first invalid bytes, calling `onRecord` with a
 * buffer, the record's position in it, its commit-log offset and size. Reads with fs.read on the thread pool.
 */
export async function scanRecords<T>(
  log: CommitLog<T>,
  from: number,
  to: number,
  checkCrc: boolean,
  onRecord: (buf: Buffer, off: number, phys: number, size: number) => void,
): Promise<ScanResult> {
  let phys = from;
  let records = 0;
  while (phys < to) {
    const seg = log.segmentFor(phys);
    if (!seg) return { end: phys, stoppedOnBad: false, records };
    const window = Math.min(WINDOW, seg.size);
    let wStart = phys - seg.fileFromOffset;
    let buf = await seg.read(wStart, Math.min(window, seg.size - wStart));
    let pos = wStart;
    let segmentDone = false;
    while (phys < to) {
      if (pos + 8 > seg.size) return { end: phys, stoppedOnBad: true, records };
      if (pos + 8 > wStart + buf.length || pos + 91 > wStart + buf.length) {
        wStart = pos;
        buf = await seg.read(wStart, Math.min(window, seg.size - wStart));
        if (buf.length < 8) return { end: phys, stoppedOnBad: true, records };
      }
      const total = buf.readInt32BE(pos - wStart);
      const magic = buf.readInt32BE(pos - wStart + 4);
      if (magic === BLANK_MAGIC) {
        if (total !== seg.size - pos) return { end: phys, stoppedOnBad: true, records };
        phys = seg.endOffset;
        segmentDone = true;
        break;
      }
      if (magic !== MESSAGE_MAGIC || total < 91 || pos + total + 8 > seg.size) {
        const zero = total === 0 && magic === 0;
        return { end: phys, stoppedOnBad: !zero, records };
      }
      if (pos + total > wStart + buf.length) {
        wStart = pos;
        buf = await seg.read(wStart, Math.min(Math.max(window, total), seg.size - wStart));
      }
      if (checkRecordAt(buf, pos - wStart, phys, checkCrc) !== total) return { end: phys, stoppedOnBad: true, records };
      onRecord(buf, pos - wStart, phys, total);
      records++;
      pos += total;
      phys += total;
    }
    if (!segmentDone) break;
  }
  return { end: Math.min(phys, Math.max(phys, from)), stoppedOnBad: false, records };
}
