/**
 * Statistics requests an operator's tools send (AdminBrokerProcessor in RocketMQ 4.9):
 *   GET_TOPIC_STATS_INFO (202)        header topic                → TopicStatsTable (min/max offset, last store time per queue)
 *   GET_CONSUME_STATS (208)           header consumerGroup, topic? → ConsumeStats (broker/consumer offset, last consumed time)
 *   GET_CONSUMER_CONNECTION_LIST (203) header consumerGroup        → ConsumerConnection (live clients and subscriptions)
 *   VIEW_BROKER_STATS_DATA (315)      header statsName, statsKey   → BrokerStatsData (minute/hour/day sum, tps, avgpt)
 *   QUERY_TOPIC_CONSUME_BY_WHO (300)  header topic                → GroupList {"groupList":[...]} (groups with offsets or
 *                                                                    live subscriptions on the topic)
 * Bodies as fastjson writes them (src/remoting/body/admin-bodies.ts), so Apache's mqadmin reads them.
 */
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { Processor } from '../remoting';
import { extString } from '../remoting/header/fields';
import { encodeConsumeStats, encodeTopicStatsTable } from '../remoting/body/admin-bodies';
import type { MqKey, OffsetWrapper, TopicOffset } from '../remoting/body/admin-bodies';
import type { OpsContext } from './ops-context';
import { STATS } from './broker-stats-manager';
import { RETRY_GROUP_TOPIC_PREFIX } from './topic-validator';

const fail = (code: number, remark: string): RemotingCommand => RemotingCommand.createResponse(code, remark);
const body = (b: Buffer): RemotingCommand => RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, undefined, b);

/** Per-queue figures of a topic on this broker (also used by the metrics and topicCount). */
export function topicOffsets(ctx: OpsContext, topic: string): Array<[MqKey, TopicOffset]> {
  const tc = ctx.topics.get(topic);
  if (!tc) return [];
  const rows: Array<[MqKey, TopicOffset]> = [];
  for (let q = 0; q < tc.writeQueueNums; q++) {
    const maxOffset = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, q));
    const minOffset = Math.max(0, ctx.store.getMinOffsetInQueue(topic, q));
    const lastUpdateTimestamp = maxOffset > 0 ? Math.max(0, ctx.store.getMessageStoreTimeStamp(topic, q, maxOffset - 1)) : 0;
    rows.push([{ brokerName: ctx.config.brokerName, queueId: q, topic }, { minOffset, maxOffset, lastUpdateTimestamp }]);
  }
  return rows;
}

/** Topics a group has committed offsets on (RocketMQ's whichTopicByConsumer). */
export function topicsOfGroup(ctx: OpsContext, group: string): string[] {
  const s = new Set<string>();
  for (const e of ctx.offsets.entries()) if (e.group === group) s.add(e.topic);
  for (const t of ctx.consumers.group(group)?.subscriptions.keys() ?? []) s.add(t);
  return [...s].sort();
}

/** ConsumeStats rows of a group on one topic (empty when the topic is not here). */
export function consumeRows(ctx: OpsContext, group: string, topic: string): Array<[MqKey, OffsetWrapper]> {
  const tc = ctx.topics.get(topic);
  if (!tc) return [];
  const rows: Array<[MqKey, OffsetWrapper]> = [];
  for (let q = 0; q < tc.readQueueNums; q++) {
    const brokerOffset = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, q));
    const consumerOffset = Math.max(0, ctx.offsets.query(group, topic, q));
    const lastTimestamp = consumerOffset > 0 ? Math.max(0, ctx.store.getMessageStoreTimeStamp(topic, q, consumerOffset - 1)) : 0;
    rows.push([{ brokerName: ctx.config.brokerName, queueId: q, topic }, { brokerOffset, consumerOffset, lastTimestamp }]);
  }
  return rows;
}

/** The processors of this file keyed by request code. */
export function processors(ctx: OpsContext): ReadonlyMap<number, Processor> {
  const m = new Map<number, Processor>();
  m.set(RequestCode.GET_TOPIC_STATS_INFO, (req) => {
    const topic = extString(req.extFields, 'topic');
    if (!ctx.topics.get(topic)) return fail(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
    return body(encodeTopicStatsTable(topicOffsets(ctx, topic)));
  });
  m.set(RequestCode.GET_CONSUME_STATS, (req) => {
    const group = extString(req.extFields, 'consumerGroup');
    const only = req.extFields?.topic;
    const topics = only ? [only] : topicsOfGroup(ctx, group).filter((t) => !t.startsWith(RETRY_GROUP_TOPIC_PREFIX) || t === `${RETRY_GROUP_TOPIC_PREFIX}${group}`);
    const rows: Array<[MqKey, OffsetWrapper]> = [];
    let tps = 0;
    for (const t of topics) {
      if (!ctx.topics.get(t)) continue;
      // A group online with other subscriptions does not count topics it no longer subscribes to (as RocketMQ).
      const g = ctx.consumers.group(group);
      if (!only && g && g.subscriptions.size > 0 && !g.subscriptions.has(t) && !t.startsWith(RETRY_GROUP_TOPIC_PREFIX)) continue;
      rows.push(...consumeRows(ctx, group, t));
      tps += ctx.stats.minuteTps(STATS.GROUP_GET_NUMS, `${t}@${group}`);
    }
    return body(encodeConsumeStats(Math.round(tps * 100) / 100, rows));
  });
  m.set(RequestCode.GET_CONSUMER_CONNECTION_LIST, (req) => {
    const group = extString(req.extFields, 'consumerGroup');
    const g = ctx.consumers.group(group);
    const members = ctx.consumers.consumerEntries(group);
    if (!g || members.length === 0) return fail(ResponseCode.CONSUMER_NOT_ONLINE, `the consumer group[${group}] not online`);
    const subscriptionTable: Record<string, unknown> = {};
    for (const [t, s] of g.subscriptions) subscriptionTable[t] = s;
    const connectionSet = members.map((e) => ({
      clientAddr: e.channel.remoteAddress,
      clientId: e.clientId,
      language: e.language ?? 'JAVA',
      version: e.version ?? 0,
    }));
    const out = { connectionSet, consumeFromWhere: g.consumeFromWhere, consumeType: g.consumeType, messageModel: g.messageModel, subscriptionTable };
    return body(Buffer.from(JSON.stringify(out), 'utf8'));
  });
  m.set(RequestCode.VIEW_BROKER_STATS_DATA, (req) => {
    const name = extString(req.extFields, 'statsName');
    const key = extString(req.extFields, 'statsKey');
    const v = ctx.stats.view(name, key);
    if (!v) return fail(ResponseCode.SYSTEM_ERROR, `The stats <${name}> <${key}> not exist`);
    return body(Buffer.from(JSON.stringify(v), 'utf8'));
  });
  m.set(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, (req) => {
    const topic = extString(req.extFields, 'topic');
    const groups = new Set<string>();
    for (const e of ctx.offsets.entries()) if (e.topic === topic) groups.add(e.group);
    for (const g of ctx.consumers.groupNames()) if (ctx.consumers.subscription(g, topic)) groups.add(g);
    return body(Buffer.from(JSON.stringify({ groupList: [...groups].sort() }), 'utf8'));
  });
  return m;
}
