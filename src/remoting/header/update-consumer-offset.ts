/**
 * UPDATE_CONSUMER_OFFSET (15) request header (ref §2.3.3).
 *
 * Grammar (request extFields): topic! queueId! consumerGroup! commitOffset!
 * Response: SUCCESS with an empty header (ali-ons and Java often ignore it; Java sends it oneway).
 */
import { extInt, extLong, extString } from './fields';

export interface UpdateConsumerOffsetRequestHeader {
  topic: string;
  queueId: number;
  consumerGroup: string;
  /** Negative values (ali-ons sends -1) mean "no offset". */
  commitOffset: number;
}

type Ext = Record<string, string> | undefined;

export function decodeUpdateConsumerOffsetHeader(ext: Ext): UpdateConsumerOffsetRequestHeader {
  return {
    topic: extString(ext, 'topic') as string,
    queueId: extInt(ext, 'queueId') as number,
    consumerGroup: extString(ext, 'consumerGroup') as string,
    commitOffset: extLong(ext, 'commitOffset') as number,
  };
}

export function encodeUpdateConsumerOffsetHeader(h: UpdateConsumerOffsetRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}
