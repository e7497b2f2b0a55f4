/**
 * OFFSET_MOVED_EVENT (RocketMQ's PullMessageProcessor `generateOffsetMovedEvent`): when a master (or a slave with
 * offsetCheckInSlave) answers a pull with PULL_OFFSET_MOVED, it appends one message to the system topic
 * OFFSET_MOVED_EVENT, queue 0, tag = the consumer group, so that operators and tools can see which group's position
 * was moved and from where to where. Body (fastjson's alphabetical key order):
 *   {"consumerGroup":g,"messageQueue":{"brokerName":b,"queueId":q,"topic":t},"offsetNew":n,"offsetRequest":r}
 * The append is not awaited by the pull and its failure is only logged.
 */
import { PROP } from '../common/message';
import type { BrokerContext } from './context';

export const OFFSET_MOVED_EVENT_TOPIC = 'OFFSET_MOVED_EVENT';

export interface OffsetMovedEvent {
  consumerGroup: string;
  topic: string;
  queueId: number;
  offsetRequest: number;
  offsetNew: number;
}

/** The event's JSON body. */
export function encodeOffsetMovedEvent(ctx: BrokerContext, e: OffsetMovedEvent): Buffer {
  return Buffer.from(
    JSON.stringify({
      consumerGroup: e.consumerGroup,
      messageQueue: { brokerName: ctx.config.brokerName, queueId: e.queueId, topic: e.topic },
      offsetNew: e.offsetNew,
      offsetRequest: e.offsetRequest,
    }),
    'utf8',
  );
}

/** Appends the event (fire and forget; a failed append is logged at warn). */
export function recordOffsetMoved(ctx: BrokerContext, e: OffsetMovedEvent): void {
  const now = Date.now();
  ctx.store
    .putMessage({
      topic: OFFSET_MOVED_EVENT_TOPIC,
      queueId: 0,
      flag: 0,
      body: encodeOffsetMovedEvent(ctx, e),
      properties: { [PROP.TAGS]: e.consumerGroup },
      sysFlag: 0,
      bornTimestamp: now,
      bornHost: ctx.storeHost,
      storeHost: ctx.storeHost,
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
      // Nobody waits for it: never hold the put for SYNC_FLUSH or a slave.
      waitStoreMsgOK: false,
    })
    .then((r) => {
      if (r.status !== 'PUT_OK') ctx.logger.warn({ ...e, status: r.status }, 'OFFSET_MOVED_EVENT not stored');
    })
    .catch((err: unknown) => ctx.logger.warn({ ...e, err }, 'OFFSET_MOVED_EVENT not stored'));
}
