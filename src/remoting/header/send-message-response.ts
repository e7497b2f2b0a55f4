/**
 * Send response header (ref §2.3.2).
 *
 * Grammar (extFields): msgId! queueId! queueOffset! transactionId? plus MSG_REGION and TRACE_ON, which a broker
 * always adds (the Java client reads extFields without a null check).
 */
import { extInt, extLong, extString } from './fields';

export interface SendMessageResponseHeader {
  /** Offset msgId (ref §4.5); comma-joined for a batch. */
  msgId: string;
  queueId: number;
  /** Consume-queue index of the (first) message. */
  queueOffset: number;
  transactionId?: string;
  /** `MSG_REGION` extra field. */
  region?: string;
  /** `TRACE_ON` extra field. */
  traceOn?: boolean;
}

export function encodeSendMessageResponseHeader(
  h: SendMessageResponseHeader,
): Record<string, string | number | boolean | undefined> {
  return {
    msgId: h.msgId,
    queueId: h.queueId,
    queueOffset: h.queueOffset,
    transactionId: h.transactionId,
    MSG_REGION: h.region ?? 'DefaultRegion',
    TRACE_ON: h.traceOn ?? true,
  };
}

export function decodeSendMessageResponseHeader(ext: Record<string, string> | undefined): SendMessageResponseHeader {
  const trace = extString(ext, 'TRACE_ON', false);
  return {
    msgId: extString(ext, 'msgId') as string,
    queueId: extInt(ext, 'queueId') as number,
    queueOffset: extLong(ext, 'queueOffset') as number,
    transactionId: extString(ext, 'transactionId', false),
    region: extString(ext, 'MSG_REGION', false),
    traceOn: trace === undefined ? undefined : trace === 'true',
  };
}
