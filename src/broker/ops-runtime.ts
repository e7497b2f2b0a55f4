/**
 * The operator figures of a broker that the runtime info (GET_BROKER_RUNTIME_INFO, mqadmin brokerStatus /
 * clusterList) and the metrics share: put and get TPS ("10s 1min 10min", as RocketMQ's StoreStatsService),
 * since-midnight totals, disk ratio, earliest message time; per group and queue the lag with its age (store time of
 * the oldest unconsumed message) and the unread messages of each DLQ.
 */
import fs from 'fs';
import type { OpsContext } from './ops-context';
import type { StatsLogService } from './stats-log-service';
import { STATS } from './broker-stats-manager';
import { DLQ_GROUP_TOPIC_PREFIX } from './topic-validator';

/** Used share (0..1) of the disk holding `dir`, -1 when it cannot be read. */
export function diskRatio(dir: string): number {
  try {
    const st = fs.statfsSync(dir);
    return st.blocks > 0 ? 1 - st.bavail / st.blocks : 0;
  } catch {
    return -1;
  }
}

const tps3 = (log: StatsLogService, kind: 'put' | 'get'): string =>
  [10, 60, 600].map((s) => log.tps(kind, s).toFixed(2)).join(' ');

/** Runtime-info keys RocketMQ's tools read (brokerStatus prints them all; clusterList reads putTps, ...). */
export function opsRuntimeInfo(ctx: OpsContext, log: StatsLogService, startedAt: number): Record<string, string> {
  const c = ctx.config.brokerClusterName;
  const day = log.dayTotals();
  const putNow = ctx.stats.total(STATS.BROKER_PUT_NUMS, c);
  let putBytes = 0;
  for (const t of ctx.stats.keys(STATS.TOPIC_PUT_SIZE)) putBytes += ctx.stats.total(STATS.TOPIC_PUT_SIZE, t);
  const getNow = ctx.stats.total(STATS.BROKER_GET_NUMS, c);
  const ratio = diskRatio(ctx.config.storePathRootDir);
  let capacity = 'Total : 0 GiB, Free : 0 GiB.';
  try {
    const st = fs.statfsSync(ctx.config.storePathRootDir);
    const gib = (n: number): string => (n / 1024 ** 3).toFixed(2);
    capacity = `Total : ${gib(st.blocks * st.bsize)} GiB, Free : ${gib(st.bavail * st.bsize)} GiB.`;
  } catch {
    // the directory may not exist yet
  }
  let earliest = Number.MAX_SAFE_INTEGER;
  for (const t of ctx.topics.all()) {
    for (let q = 0; q < t.writeQueueNums; q++) {
      if (ctx.store.getMaxOffsetInQueue(t.topicName, q) <= 0) continue;
      const ts = ctx.store.getEarliestMessageTime(t.topicName, q);
      if (ts > 0 && ts < earliest) earliest = ts;
    }
  }
  return {
    runtime: `[ ${Math.floor((Date.now() - startedAt) / 86_400_000)} days, ${new Date(Date.now() - startedAt).toISOString().slice(11, 19)} ]`,
    putTps: tps3(log, 'put'),
    getTransferedTps: tps3(log, 'get'),
    getTotalTps: tps3(log, 'get'),
    getFoundTps: tps3(log, 'get'),
    getMissTps: '0.00 0.00 0.00',
    putMessageTimesTotal: String(putNow),
    putMessageSizeTotal: String(putBytes),
    putMessageAverageSize: putNow > 0 ? (putBytes / putNow).toFixed(2) : '0.00',
    // No transactional messages here: the end-transaction queue is always empty.
    EndTransactionQueueSize: '0',
    msgPutTotalTodayNow: String(putNow),
    msgPutTotalTodayMorning: String(day.putTodayMorning),
    msgPutTotalYesterdayMorning: String(day.putYesterdayMorning),
    msgGetTotalTodayNow: String(getNow),
    msgGetTotalTodayMorning: String(day.getTodayMorning),
    msgGetTotalYesterdayMorning: String(day.getYesterdayMorning),
    commitLogDiskRatio: ratio < 0 ? '-1' : ratio.toFixed(4),
    consumeQueueDiskRatio: ratio < 0 ? '-1' : ratio.toFixed(4),
    commitLogDirCapacity: capacity,
    earliestMessageTimeStamp: String(earliest === Number.MAX_SAFE_INTEGER ? 0 : earliest),
    startAcceptSendRequestTimeStamp: '0',
    pullThreadPoolQueueSize: '0',
    pullThreadPoolQueueCapacity: '100000',
    pullThreadPoolQueueHeadWaitTimeMills: '0',
    queryThreadPoolQueueSize: '0',
    queryThreadPoolQueueCapacity: '20000',
    dispatchBehindBytes: '0',
  };
}

/** Lag of one group on one queue: messages behind and the age (s) of the oldest unconsumed one. */
export interface LagRow {
  group: string;
  topic: string;
  queueId: number;
  lag: number;
  ageSeconds: number;
}

/**
 * Every queue of every (group, topic) this broker knows the group consumes (a committed offset on any queue of the
 * topic, or a live subscription): the offset it is at (committed, else the queue start, where a new group begins)
 * and the messages behind. A queue the group never committed on still counts, so a backlog there is not invisible.
 */
export function lagEntries(ctx: OpsContext): Array<{ group: string; topic: string; queueId: number; offset: number; lag: number }> {
  const pairs = new Map<string, { group: string; topic: string }>();
  for (const e of ctx.offsets.entries()) pairs.set(`${e.topic}@${e.group}`, { group: e.group, topic: e.topic });
  for (const g of ctx.consumers.groupNames()) {
    for (const t of ctx.consumers.group(g)?.subscriptions.keys() ?? []) pairs.set(`${t}@${g}`, { group: g, topic: t });
  }
  const out: Array<{ group: string; topic: string; queueId: number; offset: number; lag: number }> = [];
  for (const { group, topic } of pairs.values()) {
    if (topic.startsWith(DLQ_GROUP_TOPIC_PREFIX)) continue;
    const tc = ctx.topics.get(topic);
    if (!tc) continue;
    for (let q = 0; q < tc.readQueueNums; q++) {
      const min = Math.max(0, ctx.store.getMinOffsetInQueue(topic, q));
      const max = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, q));
      const committed = ctx.offsets.query(group, topic, q);
      const offset = Math.max(committed >= 0 ? committed : min, min);
      out.push({ group, topic, queueId: q, offset, lag: Math.max(0, max - offset) });
    }
  }
  return out;
}

/** Scrape-time sources for the lag-with-age and DLQ-unread gauges. */
export function opsMetricSources(ctx: OpsContext): {
  consumerLagRows(): LagRow[];
  dlqUnread(): Array<{ group: string; unread: number }>;
} {
  return {
    consumerLagRows() {
      const now = Date.now();
      return lagEntries(ctx).map((e) => {
        let ageSeconds = 0;
        if (e.lag > 0) {
          const ts = ctx.store.getMessageStoreTimeStamp(e.topic, e.queueId, e.offset);
          if (ts > 0) ageSeconds = Math.max(0, (now - ts) / 1000);
        }
        return { ...e, ageSeconds };
      });
    },
    dlqUnread() {
      // A DLQ is "read" by the group that drains it: its committed offset on %DLQ%<group>, else from the queue start.
      const out: Array<{ group: string; unread: number }> = [];
      for (const t of ctx.topics.all()) {
        if (!t.topicName.startsWith(DLQ_GROUP_TOPIC_PREFIX)) continue;
        const group = t.topicName.slice(DLQ_GROUP_TOPIC_PREFIX.length);
        let unread = 0;
        for (let q = 0; q < Math.max(1, t.readQueueNums); q++) {
          const max = ctx.store.getMaxOffsetInQueue(t.topicName, q);
          const committed = ctx.offsets.query(group, t.topicName, q);
          const from = committed >= 0 ? committed : ctx.store.getMinOffsetInQueue(t.topicName, q);
          unread += Math.max(0, max - from);
        }
        out.push({ group, unread });
      }
      return out;
    },
  };
}

