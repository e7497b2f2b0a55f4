/**
 * CONSUMER_SEND_MSG_BACK (36) request header (ref §2.3.3, §5.14).
 *
 * Grammar (request extFields): offset! (commit-log physical offset) group! delayLevel! originMsgId? originTopic?
 *   unitMode? maxReconsumeTimes?
 */
import { extBool, extInt, extLong, extString } from './fields';

export interface ConsumerSendMsgBackRequestHeader {
  offset: number;
  group: string;
  /** 0 = let the broker decide (3 + reconsumeTimes); < 0 = straight to the DLQ. */
  delayLevel: number;
  originMsgId?: string;
  originTopic?: string;
  unitMode: boolean;
  maxReconsumeTimes?: number;
}

type Ext = Record<string, string> | undefined;

export function decodeConsumerSendMsgBackHeader(ext: Ext): ConsumerSendMsgBackRequestHeader {
  return {
    offset: extLong(ext, 'offset') as number,
    group: extString(ext, 'group') as string,
    delayLevel: extInt(ext, 'delayLevel') as number,
    originMsgId: extString(ext, 'originMsgId', false),
    originTopic: extString(ext, 'originTopic', false),
    unitMode: extBool(ext, 'unitMode', false) ?? false,
    maxReconsumeTimes: extInt(ext, 'maxReconsumeTimes', false),
  };
}

export function encodeConsumerSendMsgBackHeader(
  h: ConsumerSendMsgBackRequestHeader,
): Record<string, string | number | boolean | undefined> {
  return { ...h };
}
