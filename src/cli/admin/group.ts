/**
 * Consumer-group commands: updateSubGroup, deleteSubGroup, consumerProgress (per queue broker offset, consumer
 * offset, diff; totals), consumerConnection, resetOffsetByTime (the broker commits the offsets and tells the group's
 * live clients, the gateway among them, with RESET_CONSUMER_CLIENT_OFFSET).
 */
import { MqError } from '../../common';
import type { AdminCommand } from './framework';
import { BROKER_OR_CLUSTER, boolOpt, humanTime, intOpt, parseTime, row, targets } from './framework';

const G = { short: 'g', long: 'groupName', arg: 'group', desc: 'consumer group', required: true };

export const updateSubGroup: AdminCommand = {
  name: 'updateSubGroup',
  summary: 'Creates or updates a consumer group (subscription group config) on one broker or every master of a cluster.',
  usage: '-n <namesrv> (-b <brokerAddr> | -c <cluster>) -g <group> [-s true] [-m true] [-d true] [-q 1] [-r 16] [-i 0] [-w 1] [-a true]',
  flags: [
    ...BROKER_OR_CLUSTER,
    G,
    { short: 's', long: 'consumeEnable', arg: 'bool', desc: 'the group may consume (default true)' },
    { short: 'm', long: 'consumeFromMinEnable', arg: 'bool', desc: 'a new group starts at the queue start (default true)' },
    { short: 'd', long: 'consumeBroadcastEnable', arg: 'bool', desc: 'broadcast consumption allowed (default true)' },
    { short: 'q', long: 'retryQueueNums', arg: 'n', desc: 'retry queues (default 1)' },
    { short: 'r', long: 'retryMaxTimes', arg: 'n', desc: 'deliveries before the DLQ (default 16)' },
    { short: 'i', long: 'brokerId', arg: 'id', desc: 'broker id to consume from (default 0)' },
    { short: 'w', long: 'whichBrokerWhenConsumeSlowly', arg: 'id', desc: 'broker id when consuming slowly (default 1)' },
    { short: 'a', long: 'notifyConsumerIdsChanged', arg: 'bool', desc: 'tell members when the member list changes (default true)' },
  ],
  async run(ctx, o) {
    const config = {
      groupName: o.groupName,
      consumeEnable: boolOpt(o, 'consumeEnable', true),
      consumeFromMinEnable: boolOpt(o, 'consumeFromMinEnable', true),
      consumeBroadcastEnable: boolOpt(o, 'consumeBroadcastEnable', true),
      retryQueueNums: intOpt(o, 'retryQueueNums', 1, 0, 1024),
      retryMaxTimes: intOpt(o, 'retryMaxTimes', 16, -1, 1000),
      brokerId: intOpt(o, 'brokerId', 0),
      whichBrokerWhenConsumeSlowly: intOpt(o, 'whichBrokerWhenConsumeSlowly', 1),
      notifyConsumerIdsChangedEnable: boolOpt(o, 'notifyConsumerIdsChanged', true),
    };
    const lines: string[] = [];
    for (const addr of await targets(ctx, o)) {
      await ctx.admin().updateSubscriptionGroup(addr, config);
      lines.push(`create subscription group to ${addr} success.`);
    }
    lines.push(JSON.stringify(config));
    return { json: config, lines };
  },
};

export const deleteSubGroup: AdminCommand = {
  name: 'deleteSubGroup',
  summary: [
    'Deletes a consumer group from one broker or every master of a cluster: its config, committed offsets and',
    'statistics; its live clients are told (the gateway then forgets the group). The %RETRY% topic of the group',
    'is deleted too (-c only); the %DLQ% topic is kept (dead letters are not thrown away).',
  ].join('\n'),
  usage: '-n <namesrv> (-b <brokerAddr> | -c <cluster>) -g <group>',
  flags: [...BROKER_OR_CLUSTER, G],
  async run(ctx, o) {
    const admin = ctx.admin();
    const lines: string[] = [];
    const addrs = await targets(ctx, o);
    for (const addr of addrs) {
      await admin.deleteSubscriptionGroup(addr, o.groupName);
      lines.push(`delete subscription group [${o.groupName}] from broker [${addr}] success.`);
    }
    if (o.clusterName !== undefined) {
      const retry = `%RETRY%${o.groupName}`;
      for (const addr of addrs) await admin.deleteTopicInBroker(addr, retry).catch(() => undefined);
      await admin.deleteTopicInNamesrv(retry, o.clusterName).catch(() => undefined);
      lines.push(`delete topic [${retry}] from cluster [${o.clusterName}] success.`);
    }
    return { json: { group: o.groupName, brokers: addrs }, lines };
  },
};

export const consumerProgress: AdminCommand = {
  name: 'consumerProgress',
  summary: [
    'With -g: per queue the broker offset, the consumer offset, their difference and the store time of the last',
    'consumed message, then Consume TPS and Diff Total. Without -g: one line per group (members, TPS, Diff Total).',
  ].join('\n'),
  usage: '-n <namesrv> [-g <group>] [-s]',
  flags: [
    { ...G, required: false },
    { short: 's', long: 'showClientIP', desc: 'add the client of each queue (our gateway claims queues itself: shown as N/A)' },
  ],
  async run(ctx, o) {
    const admin = ctx.admin();
    if (o.groupName !== undefined) {
      const r = await admin.groupProgress(o.groupName);
      const diffTotal = r.queues.reduce((s, q) => s + q.diff, 0);
      const ip = o.showClientIP === 'true';
      const w = ip ? [32, 32, 4, 20, 20, 20, 11] : [32, 32, 4, 20, 20, 11];
      const head = ['#Topic', '#Broker Name', '#QID', '#Broker Offset', '#Consumer Offset', ...(ip ? ['#Client IP'] : []), '#Diff', '#LastTime'];
      const lines = [row(w, head)];
      for (const q of r.queues) {
        lines.push(row(w, [q.topic, q.brokerName, q.queueId, q.brokerOffset, q.consumerOffset, ...(ip ? ['N/A'] : []), q.diff, humanTime(q.lastTimestamp)]));
      }
      lines.push('', `Consume TPS: ${r.consumeTps.toFixed(2)}`, `Diff Total: ${diffTotal}`);
      return { json: { group: o.groupName, consumeTps: r.consumeTps, diffTotal, queues: r.queues }, lines };
    }
    const groups = (await admin.topicList()).filter((t) => t.startsWith('%RETRY%')).map((t) => t.slice(7)).sort();
    const rows = [];
    for (const [i, g] of groups.entries()) {
      const conn = await admin.consumerConnection(g).catch(() => undefined);
      const p = await admin.groupProgress(g).catch(() => ({ consumeTps: 0, queues: [] }));
      const count = conn?.connectionSet.length ?? 0;
      const version = count > 0 ? Math.min(...conn!.connectionSet.map((c) => c.version)) : undefined;
      rows.push({
        group: g,
        count,
        version: version === undefined ? 'OFFLINE' : `V${version}`,
        type: conn?.consumeType === 'CONSUME_ACTIVELY' ? 'PULL' : conn ? 'PUSH' : '',
        model: conn?.messageModel ?? '',
        consumeTps: p.consumeTps,
        diffTotal: p.queues.reduce((s, q) => s + q.diff, 0),
      });
      if (groups.length > 20 && (i + 1) % 20 === 0) ctx.progress(`consumerProgress: ${i + 1}/${groups.length} groups`);
    }
    const w = [32, 6, 12, 6, 12, 10];
    return {
      json: rows,
      lines: [
        row(w, ['#Group', '#Count', '#Version', '#Type', '#Model', '#TPS', '#Diff Total']),
        ...rows.map((r) => row(w, [r.group, r.count, r.version, r.type, r.model, r.consumeTps.toFixed(2), r.diffTotal])),
      ],
    };
  },
};

export const consumerConnection: AdminCommand = {
  name: 'consumerConnection',
  summary: "Lists a group's live clients (id, address, language, version) and its subscriptions.",
  usage: '-n <namesrv> -g <group>',
  flags: [{ ...G, desc: 'consumer group' }],
  async run(ctx, o) {
    const c = await ctx.admin().consumerConnection(o.groupName);
    const w = [4, 40, 24, 10];
    const lines = [row(w, ['#', '#ClientId', '#ClientAddr', '#Language', '#Version'])];
    c.connectionSet.forEach((x, i) => lines.push(row(w, [String(i + 1).padStart(3, '0'), x.clientId, x.clientAddr, x.language, `V${x.version}`])));
    lines.push('', 'Below is subscription:');
    Object.values(c.subscriptionTable ?? {}).forEach((s, i) => lines.push(`${String(i + 1).padStart(3, '0')}  Topic: ${s.topic.padEnd(40)} SubExpression: ${s.subString}`));
    lines.push('', `ConsumeType: ${c.consumeType ?? ''}`, `MessageModel: ${c.messageModel ?? ''}`, `ConsumeFromWhere: ${c.consumeFromWhere ?? ''}`);
    return { json: c, lines };
  },
};

export const resetOffsetByTime: AdminCommand = {
  name: 'resetOffsetByTime',
  summary: [
    "Moves a group's offsets on a topic to the first message stored at or after a time, on every master. The",
    "brokers commit the new offsets and tell the group's live clients (RESET_CONSUMER_CLIENT_OFFSET): a gateway",
    'resets its group state and delivers from there again. Without -f, a queue only moves backwards.',
  ].join('\n'),
  usage: '-n <namesrv> -g <group> -t <topic> -s <time> [-f true]',
  flags: [
    G,
    { short: 't', long: 'topic', arg: 'topic', desc: 'topic', required: true },
    { short: 's', long: 'timestamp', arg: 'time', desc: 'ms, now, yyyy-MM-dd#HH:mm:ss:SSS or ISO-8601; -1 = queue end', required: true },
    { short: 'f', long: 'force', arg: 'bool', desc: 'also move queues forwards (default true)' },
  ],
  async run(ctx, o) {
    const ts = o.timestamp === '-1' ? -1 : parseTime(o.timestamp, '-s', ctx.now());
    const force = boolOpt(o, 'force', true);
    const admin = ctx.admin();
    const masters = await admin.topicMasters(o.topic);
    if (masters.length === 0) throw new MqError('NOT_FOUND', `topic ${o.topic} has no master in its route`);
    const rows: Array<{ brokerName: string; queueId: number; offset: number }> = [];
    let online = false;
    for (const m of masters) {
      const r = await admin.resetOffset(m.addr, o.topic, o.groupName, ts, force);
      online ||= r.online;
      for (const [k, off] of r.offsets) rows.push({ brokerName: k.brokerName, queueId: k.queueId, offset: off });
      if (!r.online) {
        // No client online on that broker: the broker committed the offsets but sent no table; show what it holds.
        const cs = await admin.consumeStats(m.addr, o.groupName, o.topic);
        for (const q of cs.queues) rows.push({ brokerName: q.brokerName, queueId: q.queueId, offset: q.consumerOffset });
      }
    }
    rows.sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
    const w = [40, 40];
    const lines = [
      `rollback consumer offset by specified consumerGroup[${o.groupName}], topic[${o.topic}], force[${force}], timestamp(string)[${ts === -1 ? '-1' : humanTime(ts)}], timestamp(long)[${ts}]`,
      row(w, ['#brokerName', '#queueId', '#offset']),
      ...rows.map((r) => row(w, [r.brokerName, r.queueId, r.offset])),
    ];
    if (!online) lines.push('(no client of the group was online; the offsets are committed and apply when it connects)');
    return { json: { group: o.groupName, topic: o.topic, timestamp: ts, force, clientsNotified: online, offsets: rows }, lines };
  },
};
