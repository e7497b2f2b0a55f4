/**
 * Public value types of the message store: put inputs and results, get results and status unions. The store
 * returns statuses; the broker maps them to wire codes.
 */
import type { HostPort } from '../common/message';

/** A message to append (ref §4.1); the store computes CRC, tags code, queue and physical offsets, store time. */
export interface MessageInner {
  topic: string;
  queueId: number;
  flag: number;
  body: Buffer;
  properties: Record<string, string>;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostPort;
  storeHost: HostPort;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  /** When false the put resolves without waiting for SYNC_FLUSH or replication (property WAIT=false). */
  waitStoreMsgOK?: boolean;
  /** Consume-queue tags code to use instead of hash(TAGS) (SCHEDULE_TOPIC_XXXX delivery time, ref §5.13). */
  tagsCodeOverride?: number;
}

/** A batch: the common fields of one topic/queue plus one entry per message (ref §4.7). */
export interface MessageBatchInner {
  topic: string;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostPort;
  storeHost: HostPort;
  reconsumeTimes?: number;
  /** Batch-level properties (e.g. CLUSTER) appended to each message's own properties. */
  properties?: Record<string, string>;
  messages: Array<{ flag: number; body: Buffer; properties: Record<string, string> }>;
  waitStoreMsgOK?: boolean;
}

export type PutMessageStatus =
  | 'PUT_OK'
  | 'FLUSH_DISK_TIMEOUT'
  | 'FLUSH_SLAVE_TIMEOUT'
  | 'SLAVE_NOT_AVAILABLE'
  | 'SERVICE_NOT_AVAILABLE'
  | 'CREATE_MAPPED_FILE_FAILED'
  | 'MESSAGE_ILLEGAL'
  | 'PROPERTIES_SIZE_EXCEEDED'
  | 'OS_PAGECACHE_BUSY'
  | 'UNKNOWN_ERROR';

/** Where a put landed. For batches, offsets are those of the first message and msgId is comma-joined. */
export interface AppendResult {
  physicalOffset: number;
  wroteBytes: number;
  queueOffset: number;
  msgId: string;
  storeTimestamp: number;
  msgNum: number;
}

export interface PutMessageResult {
  status: PutMessageStatus;
  appendResult?: AppendResult;
}

export type GetMessageStatus =
  | 'FOUND'
  | 'NO_MATCHED_MESSAGE'
  | 'MESSAGE_WAS_REMOVING'
  | 'OFFSET_FOUND_NULL'
  | 'OFFSET_OVERFLOW_BADLY'
  | 'OFFSET_OVERFLOW_ONE'
  | 'OFFSET_TOO_SMALL'
  | 'NO_MATCHED_LOGIC_QUEUE'
  | 'NO_MESSAGE_IN_QUEUE';

export interface GetMessageResult {
  status: GetMessageStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** Raw stored bytes, one buffer per message, exactly as on disk. */
  records: Buffer[];
  messageCount: number;
  bufferTotalSize: number;
  suggestPullingFromSlave: boolean;
}

export interface QueryMessageResult {
  records: Buffer[];
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

export type ReplicationStatus = 'PUT_OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** Called after each record is dispatched into its consume queue (long-polling wake-up, ref §9). */
export type ArrivalListener = (
  topic: string,
  queueId: number,
  nextOffset: number,
  tagsCode: number,
  storeTimestamp: number,
  properties: Record<string, string>,
) => void;
