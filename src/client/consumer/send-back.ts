/**
 * CONSUMER_SEND_MSG_BACK (ref §2.3.3, §5.14): asks the broker that stores a message to put it to
 * `%RETRY%<group>` with a delay, or to `%DLQ%<group>` when its reconsume count reached the limit (or delayLevel < 0).
 * The gateway may instead send a copy itself with Producer.send to `%RETRY%`/`%DLQ%` topics.
 */
import { RemotingCommand, RequestCode } from '../../remoting';
import { encodeConsumerSendMsgBackHeader } from '../../remoting/header/consumer-send-msg-back';
import type { BrokerInvoker } from '../broker-invoker';

export interface SendBackRequest {
  group: string;
  /** Topic the message was pulled from (its route locates the broker set). */
  topic: string;
  /** Broker set that stores the message. */
  brokerName: string;
  /** Commit-log offset of the message (PulledMessage.physicalOffset). */
  physicalOffset: number;
  /** Offset msgId of the message; kept as ORIGIN_MESSAGE_ID. */
  msgId?: string;
  /** 0 = broker decides (3 + reconsumeTimes); < 0 = straight to the DLQ. */
  delayLevel: number;
  /** Reconsume limit; default the group's (16). */
  maxReconsumeTimes?: number;
}

export async function consumerSendMsgBack(broker: BrokerInvoker, req: SendBackRequest, timeoutMs?: number): Promise<void> {
  await broker.call(
    'sendBack',
    req.topic,
    req.brokerName,
    'master',
    () =>
      RemotingCommand.createRequest(
        RequestCode.CONSUMER_SEND_MSG_BACK,
        encodeConsumerSendMsgBackHeader({
          offset: req.physicalOffset,
          group: req.group,
          delayLevel: req.delayLevel,
          originMsgId: req.msgId,
          originTopic: req.topic,
          unitMode: false,
          maxReconsumeTimes: req.maxReconsumeTimes,
        }),
      ),
    [0],
    timeoutMs,
  );
}
