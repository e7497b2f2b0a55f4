/**
 * Cluster and broker commands: clusterList (InTPS/OutTPS with load, page-cache wait, hours of messages kept, disk
 * ratio), brokerStatus, getBrokerConfig, updateBrokerConfig, wipeWritePerm, addWritePerm, statsAll.
 */
import type { AdminCommand } from './framework';
import { BROKER_OR_CLUSTER, need, row, targets } from './framework';

const num = (s: string | undefined): number => {
  const n = Number(s);
  return Number.isFinite(n) ? n : 0;
};
/** The first figure of a "10s 1min 10min" TPS string. */
const firstTps = (s: string | undefined): number => num((s ?? '').trim().split(/\s+/)[0]);

export const clusterList: AdminCommand = {
  name: 'clusterList',
  summary: 'One line per broker: cluster, broker set, id, address, version, in/out TPS with load, page-cache wait, hours of messages kept, disk used.',
  usage: '-n <namesrv> [-c <cluster>]',
  flags: [{ short: 'c', long: 'clusterName', arg: 'cluster', desc: 'only this cluster' }],
  async run(ctx, o) {
    const admin = ctx.admin();
    const brokers = await admin.brokers(o.clusterName);
    const now = ctx.now();
    const rows = [];
    for (const b of brokers) {
      // A broker that does not answer is still listed (it is registered), with its figures empty.
      const info = await admin.runtimeInfo(b.addr).catch(() => undefined);
      const earliest = num(info?.earliestMessageTimeStamp);
      rows.push({
        ...b,
        online: info !== undefined,
        version: info?.brokerVersionDesc ?? '',
        inTps: firstTps(info?.putTps),
        outTps: firstTps(info?.getTransferedTps),
        sendQueueSize: num(info?.sendThreadPoolQueueSize),
        sendQueueHeadWaitMs: num(info?.sendThreadPoolQueueHeadWaitTimeMills),
        pullQueueSize: num(info?.pullThreadPoolQueueSize),
        pullQueueHeadWaitMs: num(info?.pullThreadPoolQueueHeadWaitTimeMills),
        pageCacheLockTimeMills: num(info?.pageCacheLockTimeMills),
        hours: earliest > 0 ? (now - earliest) / 3_600_000 : 0,
        commitLogDiskRatio: num(info?.commitLogDiskRatio),
      });
    }
    const w = [22, 22, 4, 22, 10, 24, 24, 10, 8];
    const lines = [row(w, ['#Cluster Name', '#Broker Name', '#BID', '#Addr', '#Version', '#InTPS(LOAD)', '#OutTPS(LOAD)', '#PCWait(ms)', '#Hour', '#SPACE'])];
    for (const r of rows) {
      lines.push(
        row(w, [
          r.cluster,
          r.brokerName,
          r.brokerId,
          r.addr,
          r.online ? r.version : 'OFFLINE',
          `${r.inTps.toFixed(2)}(${r.sendQueueSize},${r.sendQueueHeadWaitMs}ms)`,
          `${r.outTps.toFixed(2)}(${r.pullQueueSize},${r.pullQueueHeadWaitMs}ms)`,
          r.pageCacheLockTimeMills,
          r.hours.toFixed(2),
          r.commitLogDiskRatio.toFixed(4),
        ]),
      );
    }
    return { json: rows, lines };
  },
};

export const brokerStatus: AdminCommand = {
  name: 'brokerStatus',
  summary: 'Prints a broker\'s runtime info (putTps, getTransferedTps, msgPutTotalTodayNow, commitLogDiskRatio, ...) as key: value lines.',
  usage: '-n <namesrv> (-b <brokerAddr> | -c <cluster>)',
  flags: BROKER_OR_CLUSTER,
  async run(ctx, o) {
    const addrs = await targets(ctx, o, false);
    const json: Record<string, Record<string, string>> = {};
    const lines: string[] = [];
    for (const addr of addrs) {
      const info = await ctx.admin().runtimeInfo(addr);
      json[addr] = info;
      for (const k of Object.keys(info).sort()) lines.push(addrs.length > 1 ? `${addr.padEnd(24)}${k.padEnd(32)}: ${info[k]}` : `${k.padEnd(32)}: ${info[k]}`);
    }
    return { json: o.brokerAddr !== undefined ? json[addrs[0]] : json, lines };
  },
};

export const getBrokerConfig: AdminCommand = {
  name: 'getBrokerConfig',
  summary: 'Prints the configuration of one broker (-b) or of every broker of a cluster (-c).',
  usage: '-n <namesrv> (-b <brokerAddr> | -c <cluster>)',
  flags: BROKER_OR_CLUSTER,
  async run(ctx, o) {
    const addrs = await targets(ctx, o, false);
    const json: Record<string, Record<string, string>> = {};
    const lines: string[] = [];
    for (const addr of addrs) {
      const cfg = await ctx.admin().brokerConfig(addr);
      json[addr] = cfg;
      if (addrs.length > 1) lines.push(`============${addr}============`);
      for (const k of Object.keys(cfg).sort()) lines.push(`${k.padEnd(50)}=  ${cfg[k]}`);
    }
    return { json: o.brokerAddr !== undefined ? json[addrs[0]] : json, lines };
  },
};

export const updateBrokerConfig: AdminCommand = {
  name: 'updateBrokerConfig',
  summary: 'Changes a live broker option (flow-control thresholds, brokerPermission, ...) on one broker or a whole cluster.',
  usage: '-n <namesrv> (-b <brokerAddr> | -c <cluster>) -k <key> -v <value>',
  flags: [
    ...BROKER_OR_CLUSTER,
    { short: 'k', long: 'key', arg: 'key', desc: 'option name', required: true },
    { short: 'v', long: 'value', arg: 'value', desc: 'new value', required: true },
  ],
  async run(ctx, o) {
    const lines: string[] = [];
    const done: string[] = [];
    for (const addr of await targets(ctx, o, false)) {
      await ctx.admin().updateBrokerConfig(addr, { [o.key]: o.value });
      done.push(addr);
      lines.push(`update broker config success, ${addr}`);
    }
    return { json: { key: o.key, value: o.value, brokers: done }, lines };
  },
};

function permCommand(op: 'wipe' | 'add'): AdminCommand {
  return {
    name: op === 'wipe' ? 'wipeWritePerm' : 'addWritePerm',
    summary:
      op === 'wipe'
        ? 'Removes write permission of a broker set on every name server (producers stop sending there; reads go on).'
        : 'Gives write permission back to a broker set on every name server.',
    usage: '-n <namesrv> -b <brokerName>',
    flags: [{ short: 'b', long: 'brokerName', arg: 'brokerName', desc: 'broker set name', required: true }],
    async run(ctx, o) {
      const r = await ctx.admin().writePerm(need(o, 'brokerName', '-b'), op);
      const verb = op === 'wipe' ? 'wipe' : 'add';
      return {
        json: r.map((x) => ({ brokerName: o.brokerName, namesrv: x.namesrv, topics: x.count })),
        lines: r.map((x) => `${verb} write perm of broker[${o.brokerName}] in name server[${x.namesrv}] OK, ${x.count}`),
      };
    },
  };
}

export const wipeWritePerm = permCommand('wipe');
export const addWritePerm = permCommand('add');

export const statsAll: AdminCommand = {
  name: 'statsAll',
  summary: 'Per topic and consumer group: backlog, in/out TPS (last minute) and messages in/out over 24 h (sum over masters).',
  usage: '-n <namesrv> [-t <topic>] [-a]',
  flags: [
    { short: 't', long: 'topic', arg: 'topic', desc: 'only this topic' },
    { short: 'a', long: 'activeTopic', desc: 'only topics with traffic in the last 24 h' },
  ],
  async run(ctx, o) {
    const admin = ctx.admin();
    const all = o.topic !== undefined ? [o.topic] : (await admin.topicList()).filter((t) => !t.startsWith('%RETRY%') && !t.startsWith('%DLQ%'));
    const rows: Array<{ topic: string; group: string; accumulation: number; inTps: number; outTps: number; inMsg24Hour: number; outMsg24Hour: number }> = [];
    const day = (s?: { statsDay: { sum: number }; statsHour: { sum: number }; statsMinute: { sum: number } }): number =>
      s ? s.statsDay.sum || s.statsHour.sum || s.statsMinute.sum : 0;
    for (const [i, topic] of all.entries()) {
      const masters = await admin.topicMasters(topic).catch(() => []);
      if (masters.length === 0) continue;
      let inTps = 0;
      let inMsg = 0;
      for (const m of masters) {
        const s = await admin.brokerStats(m.addr, 'TOPIC_PUT_NUMS', topic);
        inTps += s?.statsMinute.tps ?? 0;
        inMsg += day(s);
      }
      // The groups that consume the topic (QUERY_TOPIC_CONSUME_BY_WHO on each master), as mqadmin asks.
      const groups = new Set<string>();
      for (const m of masters) for (const g of await admin.topicConsumers(m.addr, topic).catch(() => [])) groups.add(g);
      let any = false;
      for (const g of [...groups].sort()) {
        let outTps = 0;
        let outMsg = 0;
        for (const m of masters) {
          const s = await admin.brokerStats(m.addr, 'GROUP_GET_NUMS', `${topic}@${g}`);
          outTps += s?.statsMinute.tps ?? 0;
          outMsg += day(s);
        }
        let acc = 0;
        for (const m of masters) for (const q of (await admin.consumeStats(m.addr, g, topic).catch(() => undefined))?.queues ?? []) acc += q.diff;
        any = true;
        rows.push({ topic, group: g, accumulation: Math.max(0, acc), inTps, outTps, inMsg24Hour: inMsg, outMsg24Hour: outMsg });
      }
      if (!any) rows.push({ topic, group: '', accumulation: 0, inTps, outTps: 0, inMsg24Hour: inMsg, outMsg24Hour: 0 });
      if (all.length > 20 && (i + 1) % 20 === 0) ctx.progress(`statsAll: ${i + 1}/${all.length} topics`);
    }
    const shown = o.activeTopic === 'true' ? rows.filter((r) => r.inMsg24Hour > 0 || r.outMsg24Hour > 0) : rows;
    const w = [32, 32, 12, 11, 11, 14];
    return {
      json: shown,
      lines: [
        row(w, ['#Topic', '#Consumer Group', '#Accumulation', '#InTPS', '#OutTPS', '#InMsg24Hour', '#OutMsg24Hour']),
        ...shown.map((r) =>
          row(w, [r.topic, r.group || 'NO_CONSUMER', r.accumulation, r.inTps.toFixed(2), r.outTps.toFixed(2), r.inMsg24Hour, r.outMsg24Hour]),
        ),
      ],
    };
  },
};
