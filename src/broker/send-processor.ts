/**
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320) (ref §2.3.2, §4.7, §5.11–5.13).
 *
 * Order: decode header → reject on a slave → validate topic, queue, sizes (cheap, before queueing) → the bounded
 * send queue (flow control, ref §6.1) → [PC_SYNCHRONIZED] check → store put → status mapped in status-map.ts.
 * Sends need no prior heartbeat (ali-ons sends before its first one). Bodies are never copied here.
 */
import { PROP, decodeBatchBody, decodeProperties, MULTI_TAGS } from '../common/message';
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { Channel } from '../remoting';
import { decodeSendMessageHeader, decodeSendMessageHeaderV2 } from '../remoting/header/send-message';
import type { SendMessageRequestHeader } from '../remoting/header/send-message';
import { encodeSendMessageResponseHeader } from '../remoting/header/send-message-response';
import type { BrokerContext } from './context';
import { applyDelay, checkSizes, checkTopicForSend, handleRetryAndDlq, hostOf } from './message-rules';
import type { SendQueue } from './send-queue';
import { FLOW_CONTROL_REMARK, SERVICE_NOT_AVAILABLE_REMARK, putStatusToResponse, putStored } from './status-map';
import type { MessageInner, PutMessageResult } from './store-api';

function response(code: number, remark?: string): RemotingCommand {
  return RemotingCommand.createResponse(code, remark);
}

/** The send processors; `put` is shared with send-back and scheduled delivery. */
export class SendProcessor {
  constructor(
    private readonly ctx: BrokerContext,
    private readonly queue: SendQueue,
  ) {}

  /** The remoting Processor for codes 10, 310 and 320. */
  readonly process = (req: RemotingCommand, channel: Channel): RemotingCommand | Promise<RemotingCommand> => {
    const header = req.code === RequestCode.SEND_MESSAGE ? decodeSendMessageHeader(req.extFields) : decodeSendMessageHeaderV2(req.extFields);
    if (this.ctx.config.brokerRole === 'SLAVE') {
      return response(ResponseCode.SERVICE_NOT_AVAILABLE, SERVICE_NOT_AVAILABLE_REMARK);
    }
    // The batch field (m), not the request code, decides (ref §2.3.2).
    return header.batch ? this.sendBatch(header, req, channel) : this.sendOne(header, req, channel);
  };

  private sendOne(h: SendMessageRequestHeader, req: RemotingCommand, channel: Channel): RemotingCommand | Promise<RemotingCommand> {
    const ctx = this.ctx;
    const body = req.body ?? Buffer.alloc(0);
    const sizeProblem = checkSizes(ctx, body.length, h.properties);
    if (sizeProblem) return response(sizeProblem.code, sizeProblem.remark);
    const check = checkTopicForSend(ctx, h.topic, h.defaultTopic, h.defaultTopicQueueNums, h.queueId, channel.remoteAddress);
    if (!check.ok) return response(check.response.code, check.response.remark);
    const properties = decodeProperties(h.properties ?? '');
    // The 4.9.x broker honours WAIT but does not store it (ref §4.4).
    const waitStoreMsgOK = properties[PROP.WAIT] !== 'false';
    delete properties[PROP.WAIT];
    properties[PROP.CLUSTER] = ctx.config.brokerClusterName;
    let sysFlag = h.sysFlag;
    if (check.config.topicFilterType === 'MULTI_TAG') sysFlag |= MULTI_TAGS;
    const msg: MessageInner = {
      topic: h.topic,
      queueId: check.queueId,
      flag: h.flag,
      body,
      properties,
      sysFlag,
      bornTimestamp: h.bornTimestamp,
      bornHost: hostOf(channel.remoteAddress),
      storeHost: ctx.storeHost,
      reconsumeTimes: h.reconsumeTimes ?? 0,
      preparedTransactionOffset: 0,
      waitStoreMsgOK,
    };
    // Versions before V3_4_9 (121) cannot carry maxReconsumeTimes (ref §1.8).
    handleRetryAndDlq(ctx, msg, req.version >= 121 ? h.maxReconsumeTimes : undefined);
    applyDelay(msg, ctx.delayLevels);
    return this.queue.submit(() => this.put(msg));
  }

  /** Puts one message (after the queue) and builds the send response. Used by send-back and schedule too. */
  async put(msg: MessageInner): Promise<RemotingCommand> {
    const ctx = this.ctx;
    if (ctx.store.isOSPageCacheBusy()) {
      ctx.metrics.flowControlRejects.inc({ reason: 'PC_SYNCHRONIZED' });
      return response(ResponseCode.SYSTEM_ERROR, FLOW_CONTROL_REMARK.PC_SYNCHRONIZED);
    }
    const result = await ctx.store.putMessage(msg);
    if (putStored(result.status)) {
      ctx.metrics.putMessages.inc({ topic: msg.topic });
      ctx.metrics.putBytes.inc({ topic: msg.topic }, msg.body.length);
    }
    return this.toResponse(result, msg.queueId, msg.properties[PROP.UNIQ_KEY]);
  }

  private toResponse(result: PutMessageResult, queueId: number, uniqKey?: string): RemotingCommand {
    const mapped = putStatusToResponse(result.status, this.ctx.config.maxMessageSize);
    const res = response(mapped.code, mapped.remark);
    if (putStored(result.status) && result.appendResult) {
      res.extFields = encodeAsStrings(
        encodeSendMessageResponseHeader({
          msgId: result.appendResult.msgId,
          queueId,
          queueOffset: result.appendResult.queueOffset,
          transactionId: uniqKey,
          region: this.ctx.config.regionId,
          traceOn: this.ctx.config.traceOn,
        }),
      );
    } else {
      // The Java client reads extFields without a null check, even on errors (ref §2.3.2).
      res.extFields = { MSG_REGION: this.ctx.config.regionId, TRACE_ON: String(this.ctx.config.traceOn) };
    }
    return res;
  }

  private sendBatch(h: SendMessageRequestHeader, req: RemotingCommand, channel: Channel): RemotingCommand | Promise<RemotingCommand> {
    const ctx = this.ctx;
    const body = req.body ?? Buffer.alloc(0);
    if (body.length > ctx.config.maxMessageSize) {
      return response(
        ResponseCode.MESSAGE_ILLEGAL,
        `the batch body size ${body.length} bytes is over the limit of ${ctx.config.maxMessageSize} bytes (maxMessageSize)`,
      );
    }
    if (h.topic.startsWith('%RETRY%')) {
      return response(ResponseCode.MESSAGE_ILLEGAL, 'batch request does not support retry group ' + h.topic);
    }
    const check = checkTopicForSend(ctx, h.topic, h.defaultTopic, h.defaultTopicQueueNums, h.queueId, channel.remoteAddress);
    if (!check.ok) return response(check.response.code, check.response.remark);
    let entries;
    try {
      entries = decodeBatchBody(body);
    } catch (err) {
      return response(ResponseCode.MESSAGE_ILLEGAL, `the batch body cannot be decoded: ${(err as Error).message}`);
    }
    if (entries.length === 0) return response(ResponseCode.MESSAGE_ILLEGAL, 'the batch body holds no message');
    const batchProps = decodeProperties(h.properties ?? '');
    const waitStoreMsgOK = batchProps[PROP.WAIT] !== 'false';
    delete batchProps[PROP.WAIT];
    // A 5.x client gives the MessageBatch a UNIQ_KEY of its own next to each inner message's. Appended to every
    // record it would win over the message's own id on decode, and all messages of the batch would share one id.
    delete batchProps[PROP.UNIQ_KEY];
    batchProps[PROP.CLUSTER] = ctx.config.brokerClusterName;
    for (const e of entries) {
      if (e.properties[PROP.DELAY] !== undefined) return response(ResponseCode.MESSAGE_ILLEGAL, 'batch messages cannot be delayed');
    }
    const bornHost = hostOf(channel.remoteAddress);
    return this.queue.submit(async () => {
      if (ctx.store.isOSPageCacheBusy()) {
        ctx.metrics.flowControlRejects.inc({ reason: 'PC_SYNCHRONIZED' });
        return response(ResponseCode.SYSTEM_ERROR, FLOW_CONTROL_REMARK.PC_SYNCHRONIZED);
      }
      const result = await ctx.store.putMessages({
        topic: h.topic,
        queueId: check.queueId,
        sysFlag: h.sysFlag,
        bornTimestamp: h.bornTimestamp,
        bornHost,
        storeHost: ctx.storeHost,
        reconsumeTimes: h.reconsumeTimes ?? 0,
        properties: batchProps,
        messages: entries.map((e) => ({ flag: e.flag, body: e.body, properties: e.properties })),
        waitStoreMsgOK,
      });
      if (putStored(result.status)) {
        ctx.metrics.putMessages.inc({ topic: h.topic }, entries.length);
        ctx.metrics.putBytes.inc({ topic: h.topic }, entries.reduce((n, e) => n + e.body.length, 0));
      }
      return this.toResponse(result, check.queueId);
    });
  }
}

/** extFields as the wire carries them. */
export function encodeAsStrings(ext: Record<string, string | number | boolean | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ext)) if (v !== undefined) out[k] = String(v);
  return out;
}
