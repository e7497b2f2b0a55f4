/**
 * The one place where store statuses and broker conditions become wire response codes and remarks
 * (ref §2.3.2 send codes, §2.3.3 pull mapping, §5.11, §6.1). The store never sees wire codes.
 */
import { ResponseCode } from '../remoting/codes';
import type { GetMessageStatus, PutMessageStatus } from './store-api';

/** A response code and its remark (undefined when the code says it all). */
export interface CodeAndRemark {
  code: number;
  remark?: string;
}

/** RocketMQ's flow-control remarks (ref §6.1), verbatim. */
export const FLOW_CONTROL_REMARK = {
  REJECT_REQUEST: '[REJECTREQUEST]system busy, start flow control for a while',
  OVERLOAD: '[OVERLOAD]system busy, start flow control for a while',
  PC_SYNCHRONIZED: '[PC_SYNCHRONIZED]broker busy, start flow control for a while',
  pcBusyCleanQueue: (waitedMs: number, queueSize: number): string =>
    `[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: ${waitedMs}ms, size of queue: ${queueSize}`,
  timeoutCleanQueue: (waitedMs: number, queueSize: number): string =>
    `[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: ${waitedMs}ms, size of queue: ${queueSize}`,
} as const;

/** Remark of SERVICE_NOT_AVAILABLE for puts (ref §6.1). */
export const SERVICE_NOT_AVAILABLE_REMARK =
  "service not available now. It may be caused by one of the following reasons: the broker's disk is full, " +
  'messages are put to the slave, message store has been shut down, etc.';

/** Remark of MESSAGE_ILLEGAL for size violations (ref §5.11). */
export function messageIllegalRemark(maxMessageSize: number): string {
  return (
    'the message is illegal, maybe msg body or properties length not matched. ' +
    `msg body length limit ${maxMessageSize}B, msg properties length limit 32KB.`
  );
}

/** Maps a put status to the send response code (SendMessageProcessor `handlePutMessageResult`). */
export function putStatusToResponse(status: PutMessageStatus, maxMessageSize: number): CodeAndRemark {
  switch (status) {
    case 'PUT_OK':
      return { code: ResponseCode.SUCCESS };
    case 'FLUSH_DISK_TIMEOUT':
      return { code: ResponseCode.FLUSH_DISK_TIMEOUT };
    case 'FLUSH_SLAVE_TIMEOUT':
      return { code: ResponseCode.FLUSH_SLAVE_TIMEOUT };
    case 'SLAVE_NOT_AVAILABLE':
      return { code: ResponseCode.SLAVE_NOT_AVAILABLE };
    case 'CREATE_MAPPED_FILE_FAILED':
      return { code: ResponseCode.SYSTEM_ERROR, remark: 'create mapped file failed, server is busy or broken.' };
    case 'MESSAGE_ILLEGAL':
    case 'PROPERTIES_SIZE_EXCEEDED':
      return { code: ResponseCode.MESSAGE_ILLEGAL, remark: messageIllegalRemark(maxMessageSize) };
    case 'SERVICE_NOT_AVAILABLE':
      return { code: ResponseCode.SERVICE_NOT_AVAILABLE, remark: SERVICE_NOT_AVAILABLE_REMARK };
    case 'OS_PAGECACHE_BUSY':
      return { code: ResponseCode.SYSTEM_ERROR, remark: FLOW_CONTROL_REMARK.PC_SYNCHRONIZED };
    default:
      return { code: ResponseCode.SYSTEM_ERROR, remark: 'UNKNOWN_ERROR' };
  }
}

/** True for the put statuses whose message is stored (the client gets a SendResult, not an exception). */
export function putStored(status: PutMessageStatus): boolean {
  return status === 'PUT_OK' || status === 'FLUSH_DISK_TIMEOUT' || status === 'FLUSH_SLAVE_TIMEOUT' || status === 'SLAVE_NOT_AVAILABLE';
}

/**
 * Maps a read status to the pull response code (ref §2.3.3 table). `requestOffset` decides between
 * PULL_OFFSET_MOVED and PULL_NOT_FOUND for an empty or missing queue.
 */
export function getStatusToPullCode(status: GetMessageStatus, requestOffset: number): number {
  switch (status) {
    case 'FOUND':
      return ResponseCode.SUCCESS;
    case 'NO_MESSAGE_IN_QUEUE':
    case 'NO_MATCHED_LOGIC_QUEUE':
      return requestOffset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_OVERFLOW_ONE':
    case 'OFFSET_FOUND_NULL':
      return ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_OVERFLOW_BADLY':
    case 'OFFSET_TOO_SMALL':
      return ResponseCode.PULL_OFFSET_MOVED;
    case 'NO_MATCHED_MESSAGE':
    case 'MESSAGE_WAS_REMOVING':
      return ResponseCode.PULL_RETRY_IMMEDIATELY;
    default:
      return ResponseCode.SYSTEM_ERROR;
  }
}
