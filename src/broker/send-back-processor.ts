/**
 * CONSUMER_SEND_MSG_BACK (36): a consumer failed a message; store a copy in `%RETRY%<group>` with a delay that
 * grows with reconsumeTimes, or in `%DLQ%<group>` once maxReconsumeTimes is reached (ref §5.14).
 */
import { PROP, createOffsetMsgId, decodeRecord } from '../common/message';
import { RemotingCommand } from '../remoting/command';
import { ResponseCode } from '../remoting/codes';
import type { Channel } from '../remoting';
import { decodeConsumerSendMsgBackHeader } from '../remoting/header/consumer-send-msg-back';
import type { BrokerContext } from './context';
import { applyDelay } from './message-rules';
import type { SendProcessor } from './send-processor';
import type { SendQueue } from './send-queue';
import type { MessageInner } from './store-api';
import { PERM_READ, PERM_WRITE } from './topic-config-manager';
import { dlqTopic, retryTopic } from './topic-validator';

/** CONSUMER_SEND_MSG_BACK; the copy goes through the send queue like any send. */
export class SendBackProcessor {
  constructor(
    private readonly ctx: BrokerContext,
    private readonly queue: SendQueue,
    private readonly sender: SendProcessor,
  ) {}

  readonly process = (req: RemotingCommand, _channel: Channel): RemotingCommand | Promise<RemotingCommand> => {
    const ctx = this.ctx;
    const h = decodeConsumerSendMsgBackHeader(req.extFields);
    if (ctx.config.brokerRole === 'SLAVE' || (ctx.config.brokerPermission & PERM_WRITE) === 0) {
      return RemotingCommand.createResponse(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerName}] sending message is forbidden`);
    }
    const retry = ctx.topics.createIfMissing(retryTopic(h.group), ctx.config.retryQueueNums);
    if (retry.created) void ctx.registerNow();
    const raw = ctx.store.lookMessageByOffset(h.offset);
    if (!raw) return RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, `look message by offset failed, ${h.offset}`);
    const rec = decodeRecord(raw);
    const properties = { ...rec.properties };
    if (properties[PROP.RETRY_TOPIC] === undefined) properties[PROP.RETRY_TOPIC] = rec.topic;
    delete properties[PROP.WAIT];
    const maxReconsumeTimes = req.version >= 121 && h.maxReconsumeTimes !== undefined ? h.maxReconsumeTimes : ctx.config.maxReconsumeTimes;
    const msg: MessageInner = {
      topic: retry.config.topicName,
      queueId: Math.floor(Math.random() * retry.config.writeQueueNums),
      flag: rec.flag,
      body: rec.body,
      properties,
      sysFlag: rec.sysFlag,
      bornTimestamp: rec.bornTimestamp,
      bornHost: rec.bornHost,
      storeHost: ctx.storeHost,
      reconsumeTimes: rec.reconsumeTimes + 1,
      preparedTransactionOffset: 0,
      waitStoreMsgOK: false,
    };
    // The first original id survives every hop (retry of a retry keeps it).
    if (properties[PROP.ORIGIN_MESSAGE_ID] === undefined) {
      properties[PROP.ORIGIN_MESSAGE_ID] = h.originMsgId ?? createOffsetMsgId(rec.storeHost, rec.physicalOffset);
    }
    delete properties[PROP.DELAY];
    if (rec.reconsumeTimes >= maxReconsumeTimes || h.delayLevel < 0) {
      const dlq = ctx.topics.createIfMissing(dlqTopic(h.group), 1, PERM_READ | PERM_WRITE);
      if (dlq.created) void ctx.registerNow();
      msg.topic = dlq.config.topicName;
      msg.queueId = 0;
    } else {
      const level = h.delayLevel === 0 ? 3 + rec.reconsumeTimes : h.delayLevel;
      properties[PROP.DELAY] = String(level);
      applyDelay(msg, ctx.delayLevels);
    }
    return this.queue.submit(async () => {
      const res = await this.sender.put(msg);
      if (res.code === ResponseCode.SUCCESS) return RemotingCommand.createResponse(ResponseCode.SUCCESS);
      return res;
    });
  };
}
