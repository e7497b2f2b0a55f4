/**
 * Offset requests to one queue of a broker set (ref §2.3.3): max/min offset, search by time, earliest store time,
 * and the consumer offsets stored on the broker (QUERY/UPDATE_CONSUMER_OFFSET). All go to the master, or to a
 * slave when the master is gone from the route (ref §8.5: consumer offsets fall back to the slave too).
 */
import { RemotingCommand, RequestCode, ResponseCode } from '../../remoting';
import { decodeGetEarliestMsgStoretimeResponse, encodeGetEarliestMsgStoretimeHeader } from '../../remoting/header/get-earliest-msg-storetime';
import { decodeGetMaxOffsetResponse, encodeGetMaxOffsetHeader } from '../../remoting/header/get-max-offset';
import { decodeGetMinOffsetResponse, encodeGetMinOffsetHeader } from '../../remoting/header/get-min-offset';
import {
  decodeQueryConsumerOffsetResponse,
  encodeQueryConsumerOffsetHeader,
} from '../../remoting/header/query-consumer-offset';
import { decodeSearchOffsetResponse, encodeSearchOffsetHeader } from '../../remoting/header/search-offset-by-timestamp';
import { encodeUpdateConsumerOffsetHeader } from '../../remoting/header/update-consumer-offset';
import type { BrokerInvoker } from '../broker-invoker';

/** One queue of a topic on a broker set. */
export interface QueueRef {
  topic: string;
  brokerName: string;
  queueId: number;
}

export class OffsetApi {
  constructor(private readonly broker: BrokerInvoker) {}

  /** GET_MAX_OFFSET: the next consume-queue index to be written (0 when empty). */
  async getMaxOffset(q: QueueRef): Promise<number> {
    const { res } = await this.broker.call('offset', q.topic, q.brokerName, 'masterOrSlave', () =>
      RemotingCommand.createRequest(RequestCode.GET_MAX_OFFSET, encodeGetMaxOffsetHeader({ topic: q.topic, queueId: q.queueId })),
    );
    return decodeGetMaxOffsetResponse(res.extFields);
  }

  /** GET_MIN_OFFSET: the oldest retained consume-queue index. */
  async getMinOffset(q: QueueRef): Promise<number> {
    const { res } = await this.broker.call('offset', q.topic, q.brokerName, 'masterOrSlave', () =>
      RemotingCommand.createRequest(RequestCode.GET_MIN_OFFSET, encodeGetMinOffsetHeader({ topic: q.topic, queueId: q.queueId })),
    );
    return decodeGetMinOffsetResponse(res.extFields);
  }

  /** SEARCH_OFFSET_BY_TIMESTAMP: the index whose store time is closest to `timestamp` (ms). */
  async searchOffsetByTimestamp(q: QueueRef, timestamp: number): Promise<number> {
    const { res } = await this.broker.call('offset', q.topic, q.brokerName, 'masterOrSlave', () =>
      RemotingCommand.createRequest(
        RequestCode.SEARCH_OFFSET_BY_TIMESTAMP,
        encodeSearchOffsetHeader({ topic: q.topic, queueId: q.queueId, timestamp }),
      ),
    );
    return decodeSearchOffsetResponse(res.extFields);
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
    const { res } = await this.broker.call(
      'offset',
      q.topic,
      q.brokerName,
      'masterOrSlave',
      () =>
        RemotingCommand.createRequest(
          RequestCode.QUERY_CONSUMER_OFFSET,
          encodeQueryConsumerOffsetHeader({ consumerGroup: group, topic: q.topic, queueId: q.queueId }),
        ),
      [ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND],
    );
    return res.code === ResponseCode.QUERY_NOT_FOUND ? -1 : decodeQueryConsumerOffsetResponse(res.extFields);
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
