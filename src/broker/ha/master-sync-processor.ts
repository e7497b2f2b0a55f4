/**
 * What a master serves to its slaves' metadata sync besides GET_ALL_TOPIC_CONFIG (which the admin processor
 * answers): GET_ALL_CONSUMER_OFFSET (43), the ConsumerOffsetSerializeWrapper `{"offsetTable":{"topic@group":{"0":12}}}`
 * (ref §3.6; quoted keys, which fastjson and our parser both read).
 *
 * Integration: `for (const [code, p] of masterSyncProcessors(offsets)) server.registerProcessor(code, p)`.
 */
import { RemotingCommand, RequestCode, ResponseCode } from '../../remoting';
import type { Processor } from '../../remoting';
import type { OffsetEntry } from './slave-synchronize';

/** Encodes consumer offsets as the ConsumerOffsetSerializeWrapper JSON body. */
export function encodeOffsetTable(entries: OffsetEntry[]): Buffer {
  const offsetTable: Record<string, Record<string, number>> = {};
  for (const e of entries) (offsetTable[`${e.topic}@${e.group}`] ??= {})[String(e.queueId)] = e.offset;
  return Buffer.from(JSON.stringify({ offsetTable }), 'utf8');
}

/** Processors to register on a broker's remoting server for slave metadata sync. */
export function masterSyncProcessors(offsets: { entries(): OffsetEntry[] }): Array<[number, Processor]> {
  return [
    [
      RequestCode.GET_ALL_CONSUMER_OFFSET,
      () => RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, undefined, encodeOffsetTable(offsets.entries())),
    ],
  ];
}
