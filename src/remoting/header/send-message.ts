/**
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320) request headers (ref §2.3.2).
 *
 * Grammar (extFields, every value a string on the wire; ali-ons sends raw numbers/booleans, coerced by fields.ts):
 *   V1:  producerGroup! topic! defaultTopic! defaultTopicQueueNums! queueId! sysFlag! bornTimestamp! flag!
 *        properties? reconsumeTimes? unitMode? batch? maxReconsumeTimes? bname?
 *   V2:  a=producerGroup! b=topic! c=defaultTopic! d=defaultTopicQueueNums! e=queueId! f=sysFlag!
 *        g=bornTimestamp! h=flag! i=properties? j=reconsumeTimes? k=unitMode? l=maxReconsumeTimes? m=batch?
 *        n=bname?
 * The broker decides single vs batch handling by `batch` (m), not by the code.
 */
import { extBool, extInt, extLong, extString } from './fields';

export interface SendMessageRequestHeader {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties?: string;
  reconsumeTimes?: number;
  unitMode: boolean;
  batch: boolean;
  maxReconsumeTimes?: number;
  bname?: string;
}

/** V1 field name → V2 one-letter key (ref §2.3.2 table). */
export const SEND_V2_KEYS: Readonly<Record<keyof SendMessageRequestHeader, string>> = Object.freeze({
  producerGroup: 'a',
  topic: 'b',
  defaultTopic: 'c',
  defaultTopicQueueNums: 'd',
  queueId: 'e',
  sysFlag: 'f',
  bornTimestamp: 'g',
  flag: 'h',
  properties: 'i',
  reconsumeTimes: 'j',
  unitMode: 'k',
  maxReconsumeTimes: 'l',
  batch: 'm',
  bname: 'n',
});

type Ext = Record<string, string> | undefined;

function decodeWith(ext: Ext, key: (name: keyof SendMessageRequestHeader) => string): SendMessageRequestHeader {
  return {
    producerGroup: extString(ext, key('producerGroup')) as string,
    topic: extString(ext, key('topic')) as string,
    defaultTopic: extString(ext, key('defaultTopic')) as string,
    defaultTopicQueueNums: extInt(ext, key('defaultTopicQueueNums')) as number,
    queueId: extInt(ext, key('queueId')) as number,
    sysFlag: extInt(ext, key('sysFlag')) as number,
    bornTimestamp: extLong(ext, key('bornTimestamp')) as number,
    flag: extInt(ext, key('flag')) as number,
    properties: extString(ext, key('properties'), false),
    reconsumeTimes: extInt(ext, key('reconsumeTimes'), false),
    unitMode: extBool(ext, key('unitMode'), false) ?? false,
    batch: extBool(ext, key('batch'), false) ?? false,
    maxReconsumeTimes: extInt(ext, key('maxReconsumeTimes'), false),
    bname: extString(ext, key('bname'), false),
  };
}

/** Decodes a V1 (long names) send header; throws MqError('INVALID_ARGUMENT') for a missing required field. */
export function decodeSendMessageHeader(ext: Ext): SendMessageRequestHeader {
  return decodeWith(ext, (n) => n);
}

/** Decodes a V2 (one-letter names) send header, as SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE carry. */
export function decodeSendMessageHeaderV2(ext: Ext): SendMessageRequestHeader {
  return decodeWith(ext, (n) => SEND_V2_KEYS[n]);
}

function encodeWith(
  h: SendMessageRequestHeader,
  key: (name: keyof SendMessageRequestHeader) => string,
): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const name of Object.keys(SEND_V2_KEYS) as Array<keyof SendMessageRequestHeader>) out[key(name)] = h[name];
  return out;
}

/** Encodes a V1 send header (long names). */
export function encodeSendMessageHeader(h: SendMessageRequestHeader): Record<string, string | number | boolean | undefined> {
  return encodeWith(h, (n) => n);
}

/** Encodes a V2 send header (one-letter names). */
export function encodeSendMessageHeaderV2(h: SendMessageRequestHeader): Record<string, string | number | boolean | undefined> {
  return encodeWith(h, (n) => SEND_V2_KEYS[n]);
}
