/**
 * Topic commands: topicList, topicRoute, topicStatus, updateTopic, deleteTopic, topicCount (messages received
 * between two times, default local midnight to now; `--every 1m|1h|1d` for a growth curve).
 */
import { MqError } from '../../common';
import { countBetween, countSeries } from '../../client/admin';
import type { AdminCommand } from './framework';
import { BROKER_OR_CLUSTER, humanTime, intOpt, localMidnight, need, parseTime, row, targets } from './framework';

const T = { short: 't', long: 'topic', arg: 'topic', desc: 'topic name', required: true };

export const topicList: AdminCommand = {
  name: 'topicList',
  summary: 'Lists every topic the name servers know (one per line; -c adds the cluster of each).',
  usage: '-n <namesrv> [-c]',
  flags: [{ short: 'c', long: 'clusterModel', desc: 'print #Cluster Name and #Topic columns' }],
  async run(ctx, o) {
    const topics = await ctx.admin().topicList();
    if (o.clusterModel !== 'true') return { json: topics, lines: topics };
    const out: Array<{ cluster: string; topic: string }> = [];
    const admin = ctx.admin();
    for (const t of topics) {
      const route = await admin.topicRoute(t).catch(() => undefined);
      const clusters = new Set((route?.brokerDatas ?? []).map((b) => b.cluster));
      for (const c of clusters.size > 0 ? clusters : new Set([''])) out.push({ cluster: c, topic: t });
    }
    return { json: out, lines: [row([20], ['#Cluster Name', '#Topic']), ...out.map((r) => row([20], [r.cluster, r.topic]))] };
  },
};

export const topicRoute: AdminCommand = {
  name: 'topicRoute',
  summary: 'Prints the route of a topic as the name server returns it (brokers and queue data).',
  usage: '-n <namesrv> -t <topic>',
  flags: [T],
  async run(ctx, o) {
    const route = await ctx.admin().topicRoute(o.topic);
    return { json: route, lines: JSON.stringify(route, null, 2).split('\n') };
  },
};

export const topicStatus: AdminCommand = {
  name: 'topicStatus',
  summary: 'Per queue of a topic on every master: min offset, max offset, store time of the last message.',
  usage: '-n <namesrv> -t <topic>',
  flags: [T],
  async run(ctx, o) {
    const admin = ctx.admin();
    const rows = [];
    for (const m of await admin.topicMasters(o.topic)) rows.push(...(await admin.topicStats(m.addr, o.topic)));
    const w = [32, 4, 20, 20];
    return {
      json: rows,
      lines: [
        row(w, ['#Broker Name', '#QID', '#Min Offset', '#Max Offset', '#Last Updated']),
        ...rows.map((r) => row(w, [r.brokerName, r.queueId, r.minOffset, r.maxOffset, humanTime(r.lastUpdateTimestamp)])),
      ],
    };
  },
};

export const updateTopic: AdminCommand = {
  name: 'updateTopic',
  summary: 'Creates or updates a topic on every master of a cluster (-c) or on one broker (-b).',
  usage: '-n <namesrv> (-c <cluster> | -b <brokerAddr>) -t <topic> [-r 8] [-w 8] [-p 6] [-o false]',
  flags: [
    ...BROKER_OR_CLUSTER,
    { ...T, desc: 'topic name (^[%|a-zA-Z0-9_-]+$, at most 127 characters)' },
    { short: 'r', long: 'readQueueNums', arg: 'n', desc: 'read queues (default 8)' },
    { short: 'w', long: 'writeQueueNums', arg: 'n', desc: 'write queues (default 8)' },
    { short: 'p', long: 'perm', arg: 'bits', desc: 'permission: 2 write, 4 read, 6 both (default 6)' },
    { short: 'o', long: 'order', desc: 'ordered topic (default false)' },
  ],
  async run(ctx, o) {
    const h = {
      topic: o.topic,
      defaultTopic: 'TBW102',
      readQueueNums: intOpt(o, 'readQueueNums', 8, 1, 1024),
      writeQueueNums: intOpt(o, 'writeQueueNums', 8, 1, 1024),
      perm: intOpt(o, 'perm', 6, 0, 7),
      topicFilterType: 'SINGLE_TAG' as const,
      topicSysFlag: 0,
      order: o.order === 'true',
    };
    const lines: string[] = [];
    for (const addr of await targets(ctx, o)) {
      await ctx.admin().createTopic(addr, h);
      lines.push(`create topic to ${addr} success.`);
    }
    const config = { topicName: h.topic, readQueueNums: h.readQueueNums, writeQueueNums: h.writeQueueNums, perm: h.perm, topicFilterType: h.topicFilterType, topicSysFlag: 0, order: h.order };
    lines.push(JSON.stringify(config));
    return { json: config, lines };
  },
};

export const deleteTopic: AdminCommand = {
  name: 'deleteTopic',
  summary: 'Deletes a topic from every master of a cluster, then from every name server.',
  usage: '-n <namesrv> -c <cluster> -t <topic>',
  flags: [{ short: 'c', long: 'clusterName', arg: 'cluster', desc: 'cluster to delete it from', required: true }, T],
  async run(ctx, o) {
    const admin = ctx.admin();
    const masters = await admin.masters(o.clusterName);
    for (const m of masters) await admin.deleteTopicInBroker(m.addr, o.topic);
    await admin.deleteTopicInNamesrv(o.topic, o.clusterName);
    return { json: { topic: o.topic, cluster: o.clusterName, brokers: masters.map((m) => m.addr) }, lines: [`delete topic [${o.topic}] from cluster [${o.clusterName}] success.`] };
  },
};

const STEP: Record<string, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 };

/** Calendar-aligned bucket starts from `begin` up to `end` (local time for days). */
function buckets(begin: number, end: number, every: string): Array<[number, number]> {
  const step = STEP[every];
  const out: Array<[number, number]> = [];
  let a = begin;
  while (a < end && out.length < 100_000) {
    let b: number;
    if (every === '1d') {
      const d = new Date(a);
      b = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
    } else {
      b = (Math.floor(a / step) + 1) * step;
    }
    out.push([a, Math.min(b, end)]);
    a = b;
  }
  return out;
}

export const topicCount: AdminCommand = {
  name: 'topicCount',
  summary: [
    'Counts the messages a topic received between two store times (default: local midnight to now), exact and',
    'unaffected by broker restarts: per queue, the first offset stored at or after each end (consume-queue store',
    'times). --every 1m|1h|1d prints a growth curve (count per interval and running total).',
  ].join('\n'),
  usage: '-n <namesrv> -t <topic> [-b <begin>] [-e <end>] [--every 1m|1h|1d]',
  flags: [
    T,
    { short: 'b', long: 'begin', arg: 'time', desc: 'from (ms, now, yyyy-MM-dd#HH:mm:ss:SSS or ISO-8601; default local midnight)' },
    { short: 'e', long: 'end', arg: 'time', desc: 'until, exclusive (default now)' },
    { long: 'every', arg: '1m|1h|1d', desc: 'one row per interval (a growth curve)' },
  ],
  async run(ctx, o) {
    const now = ctx.now();
    const end = o.end !== undefined ? parseTime(o.end, '-e', now) : now;
    const begin = o.begin !== undefined ? parseTime(o.begin, '-b', now) : localMidnight(now);
    if (end < begin) throw new MqError('INVALID_ARGUMENT', `-e (${humanTime(end)}) is before -b (${humanTime(begin)})`);
    const admin = ctx.admin();
    if (o.every === undefined) {
      const r = await countBetween(admin, o.topic, begin, end);
      const w = [32, 25, 25];
      return {
        json: { topic: o.topic, begin, end, count: r.total, queues: r.queues },
        lines: [row(w, ['#Topic', '#Begin', '#End', '#Count']), row(w, [o.topic, humanTime(begin), humanTime(end), r.total])],
      };
    }
    if (!STEP[need(o, 'every', '--every')]) throw new MqError('INVALID_ARGUMENT', `--every must be 1m, 1h or 1d, got ${JSON.stringify(o.every)}`);
    const bs = buckets(begin, end, o.every);
    if (bs.length > 10_000) throw new MqError('INVALID_ARGUMENT', `--every ${o.every} over this range makes ${bs.length} rows (at most 10000)`);
    const boundaries = [...bs.map(([a]) => a), end];
    const counts = await countSeries(admin, o.topic, boundaries, (done, n) => {
      if (n > 50 && done % 50 === 0) ctx.progress(`topicCount: ${done}/${n} boundaries`);
    });
    const rows: Array<{ from: number; to: number; count: number; total: number }> = [];
    let total = 0;
    for (const [i, [a, b]] of bs.entries()) {
      total += counts[i];
      rows.push({ from: a, to: b, count: counts[i], total });
    }
    const w = [25, 25, 12];
    return {
      json: { topic: o.topic, begin, end, every: o.every, count: total, series: rows },
      lines: [row(w, ['#From', '#To', '#Count', '#Total']), ...rows.map((r) => row(w, [humanTime(r.from), humanTime(r.to), r.count, r.total]))],
    };
  },
};
