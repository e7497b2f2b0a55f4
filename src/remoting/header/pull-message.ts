/**
 * PULL_MESSAGE (11) request and response headers (ref §2.3.3).
 *
 * Grammar (request extFields): consumerGroup! topic! queueId! queueOffset! maxMsgNums! sysFlag! commitOffset!
 *   suspendTimeoutMillis! subscription? subVersion! expressionType? bname?
 * Grammar (response extFields): suggestWhichBrokerId! nextBeginOffset! minOffset! maxOffset! logId?
 *   logId is our brokers' own field (the identity of the log under the queue, `<storeId>.<topicEpoch>`); RocketMQ
 *   brokers do not send it and RocketMQ clients ignore it.
 * sysFlag bits: 0x1 commit offset, 0x2 suspend, 0x4 subscription, 0x8 class filter, 0x10 lite pull.
 */
import { extInt, extLong, extString, logIdField } from './fields';

export const PullSysFlag = {
  COMMIT_OFFSET: 0x1,
  SUSPEND: 0x2,
  SUBSCRIPTION: 0x4,
  CLASS_FILTER: 0x8,
  LITE_PULL: 0x10,
} as const;

export interface PullMessageRequestHeader {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  sysFlag: number;
  commitOffset: number;
  suspendTimeoutMillis: number;
  subscription?: string;
  subVersion: number;
  expressionType?: string;
  bname?: string;
}

type Ext = Record<string, string> | undefined;

export function decodePullMessageHeader(ext: Ext): PullMessageRequestHeader {
  return {
    consumerGroup: extString(ext, 'consumerGroup') as string,
    topic: extString(ext, 'topic') as string,
    queueId: extInt(ext, 'queueId') as number,
    queueOffset: extLong(ext, 'queueOffset') as number,
    maxMsgNums: extInt(ext, 'maxMsgNums') as number,
    sysFlag: extInt(ext, 'sysFlag') as number,
    // ali-ons may send commitOffset -1 with bit 0 clear; absent is tolerated as -1 too.
    commitOffset: extLong(ext, 'commitOffset', false) ?? -1,
    suspendTimeoutMillis: extLong(ext, 'suspendTimeoutMillis', false) ?? 15000,
    subscription: extString(ext, 'subscription', false),
    subVersion: extLong(ext, 'subVersion', false) ?? 0,
    expressionType: extString(ext, 'expressionType', false),
    bname: extString(ext, 'bname', false),
  };
}

export function encodePullMessageHeader(h: PullMessageRequestHeader): Record<string, string | number | boolean | undefined> {
  return { ...h };
}

export interface PullMessageResponseHeader {
  suggestWhichBrokerId: number;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** Identity of the log under the queue; absent from RocketMQ brokers. */
  logId?: string;
}

export function encodePullMessageResponseHeader(
  h: PullMessageResponseHeader,
): Record<string, string | number | boolean | undefined> {
  return { ...h };
}

export function decodePullMessageResponseHeader(ext: Ext): PullMessageResponseHeader {
  return {
    suggestWhichBrokerId: extLong(ext, 'suggestWhichBrokerId', false) ?? 0,
    nextBeginOffset: extLong(ext, 'nextBeginOffset') as number,
    minOffset: extLong(ext, 'minOffset') as number,
    maxOffset: extLong(ext, 'maxOffset') as number,
    ...logIdField(ext),
  };
}
