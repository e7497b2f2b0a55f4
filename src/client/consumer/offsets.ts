/**
 * Offset requests to one queue of a broker set (ref §2.3.3): max/min offset, search by time, earliest store time,
 * and the consumer offsets stored on the broker (QUERY/UPDATE_CONSUMER_OFFSET). All go to the master, or to a
 * slave when the master is gone from the route (ref §8.5: consumer offsets fall back to the slave too). The `*Answer`
 * variants also report the log identity (`logId`) and which broker id answered.
 */
import { RemotingCommand, RequestCode, ResponseCode } from '../../remoting';
import { decodeGetEarliestMsgStoretimeResponse, encodeGetEarliestMsgStoretimeHeader } from '../../remoting/header/get-earliest-msg-storetime';
import { logIdField } from '../../remoting/header/fields';
import { encodeGetMaxOffsetHeader } from '../../remoting/header/get-max-offset';
import { encodeGetMinOffsetHeader } from '../../remoting/header/get-min-offset';
import { decodeOffsetResponseHeader } from '../../remoting/header/offset-response';
import { encodeQueryConsumerOffsetHeader } from '../../remoting/header/query-consumer-offset';
import { encodeSearchOffsetHeader } from '../../remoting/header/search-offset-by-timestamp';
import { encodeUpdateConsumerOffsetHeader } from '../../remoting/header/update-consumer-offset';
import type { BrokerInvoker, BrokerMode } from '../broker-invoker';

/** One queue of a topic on a broker set. */
export interface QueueRef {
  topic: string;
  brokerName: string;
  queueId: number;
}

/**
 * An offset answer with where it came from: `logId` names the log it describes (absent from RocketMQ brokers), and
 * `brokerId` tells a master's answer (0) from a slave's, whose store may start later than the master's.
 */
export interface OffsetAnswer {
  /** The offset; -1 for QUERY_CONSUMER_OFFSET when the broker has none stored. */
  offset: number;
  logId?: string;
  /** The broker id that answered (0 = master). */
  brokerId: number;
  brokerAddr: string;
}

/** Which broker of the set to ask: `masterOrSlave` (default, ref §8.5) or `master` only (brokerId 0). */
export interface OffsetQueryOptions {
  mode?: BrokerMode;
}

export class OffsetApi {
  constructor(private readonly broker: BrokerInvoker) {}

  private async ask(
    q: QueueRef,
    o: OffsetQueryOptions,
    make: () => RemotingCommand,
    okCodes: readonly number[] = [ResponseCode.SUCCESS],
  ): Promise<OffsetAnswer> {
    const { res, target } = await this.broker.call('offset', q.topic, q.brokerName, o.mode ?? 'masterOrSlave', make, okCodes);
    const h =
      res.code === ResponseCode.QUERY_NOT_FOUND
        ? { offset: -1, ...logIdField(res.extFields) }
        : decodeOffsetResponseHeader(res.extFields);
    return { ...h, brokerId: target.brokerId, brokerAddr: target.addr };
  }

  /** GET_MAX_OFFSET: the next consume-queue index to be written (0 when empty). */
  async getMaxOffset(q: QueueRef): Promise<number> {
    return (await this.getMaxOffsetAnswer(q)).offset;
  }

  /** GET_MAX_OFFSET with the answer's log identity and broker id. */
  getMaxOffsetAnswer(q: QueueRef, o: OffsetQueryOptions = {}): Promise<OffsetAnswer> {
    return this.ask(q, o, () =>
      RemotingCommand.createRequest(RequestCode.GET_MAX_OFFSET, encodeGetMaxOffsetHeader({ topic: q.topic, queueId: q.queueId })),
    );
  }

  /** GET_MIN_OFFSET: the oldest retained consume-queue index. */
  async getMinOffset(q: QueueRef): Promise<number> {
    return (await this.getMinOffsetAnswer(q)).offset;
  }

  /**
   * GET_MIN_OFFSET with the answer's log identity and broker id. Only a master's min offset (`mode: 'master'`, or
   * brokerId 0 in the answer) shows what retention removed; a slave's store may simply start later.
   */
  getMinOffsetAnswer(q: QueueRef, o: OffsetQueryOptions = {}): Promise<OffsetAnswer> {
    return this.ask(q, o, () =>
      RemotingCommand.createRequest(RequestCode.GET_MIN_OFFSET, encodeGetMinOffsetHeader({ topic: q.topic, queueId: q.queueId })),
    );
  }

  /** SEARCH_OFFSET_BY_TIMESTAMP: the index whose store time is closest to `timestamp` (ms). */
  async searchOffsetByTimestamp(q: QueueRef, timestamp: number): Promise<number> {
    return (await this.searchOffsetByTimestampAnswer(q, timestamp)).offset;
  }

  /** SEARCH_OFFSET_BY_TIMESTAMP with the answer's log identity and broker id. */
  searchOffsetByTimestampAnswer(q: QueueRef, timestamp: number, o: OffsetQueryOptions = {}): Promise<OffsetAnswer> {
    return this.ask(q, o, () =>
      RemotingCommand.createRequest(
        RequestCode.SEARCH_OFFSET_BY_TIMESTAMP,
        encodeSearchOffsetHeader({ topic: q.topic, queueId: q.queueId, timestamp }),
      ),
    );
  }

  /** GET_EARLIEST_MSG_STORETIME: store time (ms) of the oldest retained message. */
  async getEarliestMsgStoreTime(q: QueueRef): Promise<number> {
    const { res } = await this.broker.call('offset', q.topic, q.brokerName, 'masterOrSlave', () =>
      RemotingCommand.createRequest(
        RequestCode.GET_EARLIEST_MSG_STORETIME,
        encodeGetEarliestMsgStoretimeHeader({ topic: q.topic, queueId: q.queueId }),
      ),
    );
    return decodeGetEarliestMsgStoretimeResponse(res.extFields);
  }

  /** QUERY_CONSUMER_OFFSET: the group's stored offset, or -1 when the broker has none (QUERY_NOT_FOUND, ref §2.3.3). */
  async queryConsumerOffset(group: string, q: QueueRef): Promise<number> {
    return (await this.queryConsumerOffsetAnswer(group, q)).offset;
  }

  /** QUERY_CONSUMER_OFFSET with the answer's log identity and broker id (offset -1: none stored). */
  queryConsumerOffsetAnswer(group: string, q: QueueRef, o: OffsetQueryOptions = {}): Promise<OffsetAnswer> {
    return this.ask(
      q,
      o,
      () =>
        RemotingCommand.createRequest(
          RequestCode.QUERY_CONSUMER_OFFSET,
          encodeQueryConsumerOffsetHeader({ consumerGroup: group, topic: q.topic, queueId: q.queueId }),
        ),
      [ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND],
    );
  }

  /** UPDATE_CONSUMER_OFFSET, waiting for the broker's answer (not oneway, so failures are seen). */
  async updateConsumerOffset(group: string, q: QueueRef, offset: number): Promise<void> {
    await this.broker.call('offset', q.topic, q.brokerName, 'masterOrSlave', () =>
      RemotingCommand.createRequest(
        RequestCode.UPDATE_CONSUMER_OFFSET,
        encodeUpdateConsumerOffsetHeader({ consumerGroup: group, topic: q.topic, queueId: q.queueId, commitOffset: offset }),
      ),
    );
  }
}
