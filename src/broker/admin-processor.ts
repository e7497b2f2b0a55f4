/**
 * Admin requests (AdminBrokerProcessor): UPDATE_AND_CREATE_TOPIC (17, then re-register at once),
 * DELETE_TOPIC_IN_BROKER (215), GET_ALL_TOPIC_CONFIG (21), UPDATE_BROKER_CONFIG (25, live flow-control thresholds,
 * body = properties text), GET_BROKER_CONFIG (26), GET_BROKER_RUNTIME_INFO (28), GET_TOPIC_CONFIG (351). Any other code gets
 * REQUEST_CODE_NOT_SUPPORTED from the default processor.
 */
import { MqError, parseProperties } from '../common';
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { Processor } from '../remoting';
import { decodeCreateTopicHeader } from '../remoting/header/create-topic';
import { decodeDeleteTopicHeader } from '../remoting/header/delete-topic';
import { applyLiveChanges } from './config';
import type { BrokerContext } from './context';
import { STORE_ID_FIELD } from './log-identity';
import { topicConfig } from './topic-config-manager';
import { topicProblem } from './topic-validator';

/** What the admin processors need from the controller that owns the running services. */
export interface AdminHooks {
  /** Applies changed live options to running services (send queue, store). */
  onConfigChanged(changed: Record<string, unknown>): void;
  /** Runtime figures for GET_BROKER_RUNTIME_INFO. */
  runtimeInfo(): Record<string, string>;
  /** Delayed-delivery progress per level (GET_ALL_DELAY_OFFSET, read by slaves). */
  delayOffsets(): Record<number, number>;
}

function text(code: number, remark?: string, body?: string): RemotingCommand {
  return RemotingCommand.createResponse(code, remark, undefined, body === undefined ? undefined : Buffer.from(body, 'utf8'));
}

/** Renders options as properties text (GET_BROKER_CONFIG). */
export function toPropertiesText(obj: Record<string, unknown>): string {
  return Object.keys(obj)
    .sort()
    .map((k) => `${k}=${String(obj[k])}`)
    .join('\n') + '\n';
}

/** The admin processors keyed by request code (17, 215, 21, 25, 26, 28). */
export function adminProcessors(ctx: BrokerContext, hooks: AdminHooks): Map<number, Processor> {
  const m = new Map<number, Processor>();
  m.set(RequestCode.UPDATE_AND_CREATE_TOPIC, async (req) => {
    const h = decodeCreateTopicHeader(req.extFields);
    if (ctx.config.brokerRole === 'SLAVE') {
      return text(
        ResponseCode.SYSTEM_ERROR,
        "Can't modify topic or subscription group from slave broker, please execute it from master broker.",
      );
    }
    const problem = topicProblem(h.topic);
    if (problem) return text(ResponseCode.SYSTEM_ERROR, problem);
    if (ctx.topics.isSystemTopic(h.topic) || h.topic === h.defaultTopic) {
      return text(ResponseCode.SYSTEM_ERROR, `The topic[${h.topic}] is conflict with system topic.`);
    }
    if (h.readQueueNums <= 0 || h.writeQueueNums <= 0 || h.readQueueNums > 1024 || h.writeQueueNums > 1024) {
      return text(ResponseCode.SYSTEM_ERROR, `queue numbers must be within 1..1024 (read ${h.readQueueNums}, write ${h.writeQueueNums})`);
    }
    ctx.topics.upsert(
      topicConfig(h.topic, {
        readQueueNums: h.readQueueNums,
        writeQueueNums: h.writeQueueNums,
        perm: h.perm,
        topicFilterType: h.topicFilterType,
        topicSysFlag: h.topicSysFlag ?? 0,
        order: h.order,
      }),
    );
    await ctx.topics.flush();
    // Re-register at once so that routes show the topic before this reply is read.
    await ctx.registerNow().catch((err: unknown) => ctx.logger.warn({ err }, 'register after topic update failed'));
    return text(ResponseCode.SUCCESS);
  });
  m.set(RequestCode.DELETE_TOPIC_IN_BROKER, async (req) => {
    const h = decodeDeleteTopicHeader(req.extFields);
    if (ctx.topics.isSystemTopic(h.topic)) {
      return text(ResponseCode.SYSTEM_ERROR, `The topic[${h.topic}] is conflict with system topic.`);
    }
    ctx.topics.delete(h.topic);
    ctx.offsets.removeTopic(h.topic);
    await ctx.topics.flush();
    await ctx.registerNow().catch(() => undefined);
    return text(ResponseCode.SUCCESS);
  });
  m.set(RequestCode.GET_ALL_TOPIC_CONFIG, () => {
    const res = text(ResponseCode.SUCCESS, undefined, JSON.stringify(ctx.topics.serializeWrapper()));
    // A slave's metadata sync takes its master's store identity from here (log-identity.ts); others ignore it.
    const storeId = ctx.config.brokerRole === 'SLAVE' ? undefined : ctx.identity.storeId;
    if (storeId !== undefined) res.extFields = { ...res.extFields, [STORE_ID_FIELD]: storeId };
    return res;
  });
  // GET_TOPIC_CONFIG (351, 5.x): one topic's config as TopicConfigAndQueueMapping; this broker has no static-topic
  // mappings, so mappingDetail is null and the 5.x admin tool goes on the classic way.
  m.set(RequestCode.GET_TOPIC_CONFIG, (req) => {
    const topic = typeof req.extFields?.topic === 'string' ? req.extFields.topic : '';
    const tc = ctx.topics.get(topic);
    if (!tc) return text(ResponseCode.TOPIC_NOT_EXIST, `No topic in this broker. topic: ${topic}`);
    const { topicEpoch: _epoch, ...config } = tc;
    return text(ResponseCode.SUCCESS, undefined, JSON.stringify({ ...config, mappingDetail: null }));
  });
  m.set(RequestCode.UPDATE_BROKER_CONFIG, (req) => {
    const body = req.body ? req.body.toString('utf8') : '';
    let changed;
    try {
      changed = applyLiveChanges(ctx.config, parseProperties(body));
    } catch (err) {
      if (MqError.is(err)) return text(ResponseCode.SYSTEM_ERROR, err.message);
      throw err;
    }
    hooks.onConfigChanged(changed);
    ctx.logger.info({ changed }, 'broker config updated');
    return text(ResponseCode.SUCCESS);
  });
  m.set(RequestCode.GET_BROKER_CONFIG, () =>
    text(ResponseCode.SUCCESS, undefined, toPropertiesText(ctx.config as unknown as Record<string, unknown>)),
  );
  m.set(RequestCode.GET_ALL_DELAY_OFFSET, () =>
    text(ResponseCode.SUCCESS, undefined, JSON.stringify({ offsetTable: hooks.delayOffsets() })),
  );
  m.set(RequestCode.GET_BROKER_RUNTIME_INFO, () =>
    text(ResponseCode.SUCCESS, undefined, JSON.stringify({ table: hooks.runtimeInfo() })),
  );
  return m;
}
