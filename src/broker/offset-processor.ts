/**
 * Offset and consumer-list requests (ref §2.3.3): QUERY_CONSUMER_OFFSET (14, with Java's young-queue rule),
 * UPDATE_CONSUMER_OFFSET (15, negatives ignored), SEARCH_OFFSET_BY_TIMESTAMP (29), GET_MAX_OFFSET (30),
 * GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32) and GET_CONSUMER_LIST_BY_GROUP (38).
 * Answers about a queue's offsets carry the log's identity as extField `logId` (log-identity.ts); a slave whose store
 * came from another master refuses them with SERVICE_NOT_AVAILABLE.
 */
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { Channel, Processor } from '../remoting';
import { decodeGetConsumerListHeader } from '../remoting/header/get-consumer-list';
import { decodeGetEarliestMsgStoretimeHeader } from '../remoting/header/get-earliest-msg-storetime';
import { decodeGetMaxOffsetHeader } from '../remoting/header/get-max-offset';
import { decodeGetMinOffsetHeader } from '../remoting/header/get-min-offset';
import { decodeQueryConsumerOffsetHeader } from '../remoting/header/query-consumer-offset';
import { decodeSearchOffsetHeader } from '../remoting/header/search-offset-by-timestamp';
import { decodeUpdateConsumerOffsetHeader } from '../remoting/header/update-consumer-offset';
import { encodeOffsetResponseHeader } from '../remoting/header/offset-response';
import type { BrokerContext } from './context';
import { LOG_ID_FIELD } from './log-identity';
import { firstOffsetAtOrAfter } from './offset-by-time';

function ok(ext?: Record<string, string | number | boolean | undefined>, body?: Buffer): RemotingCommand {
  return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, ext, body);
}

/** Returns the processors of this file keyed by request code. */
export function offsetProcessors(ctx: BrokerContext): Map<number, Processor> {
  const m = new Map<number, Processor>();
  const store = ctx.store;
  // Reads of a log this slave must not serve under any identity are refused (log-identity.ts).
  const refused = (): RemotingCommand | undefined => {
    const why = ctx.identity.conflict;
    return why === undefined ? undefined : RemotingCommand.createResponse(ResponseCode.SERVICE_NOT_AVAILABLE, why);
  };
  const answer = (topic: string, offset: number): RemotingCommand =>
    ok(encodeOffsetResponseHeader({ offset, logId: ctx.identity.logId(topic) }));
  m.set(RequestCode.QUERY_CONSUMER_OFFSET, (req) => {
    const h = decodeQueryConsumerOffsetHeader(req.extFields);
    const no = refused();
    if (no) return no;
    const offset = ctx.offsets.query(h.consumerGroup, h.topic, h.queueId);
    if (offset >= 0) return answer(h.topic, offset);
    // Young-queue rule (ConsumerManageProcessor): nothing stored and the queue still starts at 0 → start at 0.
    const min = store.getMinOffsetInQueue(h.topic, h.queueId);
    if (min <= 0) return answer(h.topic, 0);
    return RemotingCommand.createResponse(
      ResponseCode.QUERY_NOT_FOUND,
      'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first',
      { [LOG_ID_FIELD]: ctx.identity.logId(h.topic) },
    );
  });
  m.set(RequestCode.UPDATE_CONSUMER_OFFSET, (req) => {
    const h = decodeUpdateConsumerOffsetHeader(req.extFields);
    const no = refused();
    if (no) return no;
    ctx.offsets.commit(h.consumerGroup, h.topic, h.queueId, h.commitOffset);
    return ok();
  });
  m.set(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, (req) => {
    const h = decodeSearchOffsetHeader(req.extFields);
    if (String(req.extFields?.boundaryType ?? '').toLowerCase() === 'lower') {
      // boundaryType=lower (RocketMQ 5's field): the exact first message at or after the time (topicCount needs it).
      return refused() ?? answer(h.topic, firstOffsetAtOrAfter(store, h.topic, h.queueId, h.timestamp));
    }
    return refused() ?? answer(h.topic, store.getOffsetInQueueByTime(h.topic, h.queueId, h.timestamp));
  });
  m.set(RequestCode.GET_MAX_OFFSET, (req) => {
    const h = decodeGetMaxOffsetHeader(req.extFields);
    return refused() ?? answer(h.topic, store.getMaxOffsetInQueue(h.topic, h.queueId));
  });
  m.set(RequestCode.GET_MIN_OFFSET, (req) => {
    const h = decodeGetMinOffsetHeader(req.extFields);
    return refused() ?? answer(h.topic, store.getMinOffsetInQueue(h.topic, h.queueId));
  });
  m.set(RequestCode.GET_EARLIEST_MSG_STORETIME, (req) => {
    const h = decodeGetEarliestMsgStoretimeHeader(req.extFields);
    return ok({ timestamp: store.getEarliestMessageTime(h.topic, h.queueId) });
  });
  m.set(RequestCode.GET_CONSUMER_LIST_BY_GROUP, (req, _channel: Channel) => {
    const h = decodeGetConsumerListHeader(req.extFields);
    const ids = ctx.consumers.consumerIds(h.consumerGroup);
    if (ids.length === 0) {
      return RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, `no consumer for this group, ${h.consumerGroup}`);
    }
    return ok(undefined, Buffer.from(JSON.stringify({ consumerIdList: ids })));
  });
  return m;
}
