/**
 * What the dispatcher needs from a record to build consume queues and the index (ref §5.4), parsed from the stored
 * bytes without touching the body. Also the record checks recovery uses (ref §5.7).
 */
import {
  MESSAGE_MAGIC,
  PROP,
  bodyCrc,
  bodyLengthPos,
  decodeProperties,
  readLong,
  storeTimestampPos,
  tagsCode,
} from '../common/message';

/** Topic whose consume-queue tags code is the delivery time (ref §5.13). */
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';

export interface DispatchRequest {
  topic: string;
  queueId: number;
  queueOffset: number;
  physicalOffset: number;
  size: number;
  tagsCode: number;
  storeTimestamp: number;
  sysFlag: number;
  properties: Record<string, string>;
}

/**
 * The consume-queue tags code: the delivery time for SCHEDULE_TOPIC_XXXX messages with a DELAY level
 * (storeTimestamp + that level's delay, levels clamped to the table), else the Java hash of TAGS (ref §4.8, §5.13).
 */
export function computeTagsCode(
  topic: string,
  properties: Record<string, string>,
  storeTimestamp: number,
  delayLevels: readonly number[],
): number {
  if (topic === SCHEDULE_TOPIC && properties[PROP.DELAY] !== undefined && delayLevels.length > 0) {
    let level = Number(properties[PROP.DELAY]);
    if (Number.isFinite(level) && level > 0) {
      if (level > delayLevels.length) level = delayLevels.length;
      return storeTimestamp + delayLevels[level - 1];
    }
  }
  return tagsCode(properties[PROP.TAGS]);
}

/**
 * Checks the message record at `off` of `buf` that should sit at commit-log offset `phys`: magic, lengths adding
 * up to TOTALSIZE, PHYSICALOFFSET equal to `phys`, and (optionally) the body CRC. Returns its size or -1.
 */
export function checkRecordAt(buf: Buffer, off: number, phys: number, checkCrc: boolean): number {
  if (buf.length - off < 91) return -1;
  const total = buf.readInt32BE(off);
  if (buf.readInt32BE(off + 4) !== MESSAGE_MAGIC || total < 91 || off + total > buf.length) return -1;
  if (readLong(buf, off + 28) !== phys) return -1;
  const sysFlag = buf.readInt32BE(off + 36);
  const bl = off + bodyLengthPos(sysFlag);
  const bodyLen = buf.readInt32BE(bl);
  if (bodyLen < 0 || bl + 4 + bodyLen + 3 > off + total) return -1;
  const tp = bl + 4 + bodyLen;
  const topicLen = buf.readUInt8(tp);
  if (topicLen === 0 || tp + 1 + topicLen + 2 > off + total) return -1;
  const propsLen = buf.readInt16BE(tp + 1 + topicLen);
  if (propsLen < 0 || tp + 3 + topicLen + propsLen !== off + total) return -1;
  if (checkCrc && bodyCrc(buf.subarray(bl + 4, bl + 4 + bodyLen)) !== buf.readInt32BE(off + 8)) return -1;
  return total;
}

/** Parses the dispatch fields of a record already checked by {@link checkRecordAt}. */
export function parseDispatch(buf: Buffer, off: number, delayLevels: readonly number[]): DispatchRequest {
  const size = buf.readInt32BE(off);
  const sysFlag = buf.readInt32BE(off + 36);
  const storeTimestamp = readLong(buf, off + storeTimestampPos(sysFlag));
  const bl = off + bodyLengthPos(sysFlag);
  const tp = bl + 4 + buf.readInt32BE(bl);
  const topicLen = buf.readUInt8(tp);
  const topic = buf.toString('utf8', tp + 1, tp + 1 + topicLen);
  const propsLen = buf.readInt16BE(tp + 1 + topicLen);
  const pp = tp + 3 + topicLen;
  const properties = decodeProperties(buf.toString('utf8', pp, pp + propsLen));
  return {
    topic,
    queueId: buf.readInt32BE(off + 12),
    queueOffset: readLong(buf, off + 20),
    physicalOffset: readLong(buf, off + 28),
    size,
    tagsCode: computeTagsCode(topic, properties, storeTimestamp, delayLevels),
    storeTimestamp,
    sysFlag,
    properties,
  };
}
