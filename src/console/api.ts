/**
 * The console's view of a cluster, built on the admin client (src/client/admin): what each page shows and what its
 * buttons do. Every method returns plain JSON-able objects; errors are MqErrors (the server maps them to HTTP).
 */
import { MqError } from '../common';
import { PROP, createOffsetMsgId } from '../common/message';
import type { MessageRecord } from '../common/message';
import { AdminClient, countSeries, messagesBetween, pullAt, queryById, queryByKey } from '../client/admin';
import type { FoundMessage } from '../client/admin';
import { MQClient, MASTER_ID, Perm } from '../client';

/** A message as the console shows it (body base64: the page renders it as text, JSON or hex). */
export interface MessageView {
  msgId: string;
  offsetMsgId: string;
  topic: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  tags: string | null;
  keys: string | null;
  reconsumeTimes: number;
  bornTimestamp: number;
  storeTimestamp: number;
  bornHost: string;
  storeHost: string;
  properties: Record<string, string>;
  body: string;
  bodySize: number;
}

export function messageView(r: MessageRecord, brokerName = ''): MessageView {
  const offsetMsgId = createOffsetMsgId(r.storeHost, r.physicalOffset);
  return {
    msgId: r.properties[PROP.UNIQ_KEY] ?? offsetMsgId,
    offsetMsgId,
    topic: r.topic,
    brokerName,
    queueId: r.queueId,
    queueOffset: r.queueOffset,
    tags: r.properties[PROP.TAGS] ?? null,
    keys: r.properties[PROP.KEYS] ?? null,
    reconsumeTimes: r.reconsumeTimes,
    bornTimestamp: r.bornTimestamp,
    storeTimestamp: r.storeTimestamp,
    bornHost: `${r.bornHost.ip}:${r.bornHost.port}`,
    storeHost: `${r.storeHost.ip}:${r.storeHost.port}`,
    properties: r.properties,
    body: r.body.toString('base64'),
    bodySize: r.body.length,
  };
}

/** One queue of a group's backlog. */
export interface LagRow {
  topic: string;
  brokerName: string;
  queueId: number;
  brokerOffset: number;
  consumerOffset: number;
  lag: number;
  /** Age of the oldest unconsumed message, s (0 when caught up). */
  ageSeconds: number;
  lastTimestamp: number;
}

/** Growth chart granularities: bucket width and how many buckets. */
export const GRANULARITY: Record<string, { step: number; buckets: number }> = {
  minute: { step: 60_000, buckets: 30 },
  hour: { step: 3_600_000, buckets: 24 },
  day: { step: 86_400_000, buckets: 14 },
};

const SYSTEM_TOPIC = /^(TBW102|SCHEDULE_TOPIC_XXXX|RMQ_SYS_.*|OFFSET_MOVED_EVENT|SELF_TEST_TOPIC|BenchmarkTest|DefaultCluster|broker-.*|TRANS_CHECK_MAX_TIME_TOPIC)$/;

const num = (v: string | undefined): number => (v === undefined || v === '' || Number.isNaN(Number(v)) ? 0 : Number(v));

function localMidnight(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Reserved properties a resend must not copy (the producer sets its own). */
const NOT_COPIED = new Set(Object.values(PROP));

export class ConsoleApi {
  readonly admin: AdminClient;
  private client?: MQClient;
  private readonly namesrvAddr: string;

  constructor(opts: { namesrvAddr: string; timeoutMs?: number }) {
    this.namesrvAddr = opts.namesrvAddr;
    this.admin = new AdminClient({ namesrvAddr: opts.namesrvAddr, timeoutMs: opts.timeoutMs });
  }

  async close(): Promise<void> {
    await this.client?.shutdown();
    await this.admin.close();
  }

  // ---- cluster ----

  async cluster(): Promise<Record<string, unknown>> {
    const nameServers = await Promise.all(
      this.admin.nameServers().map(async (addr) => {
        const one = new AdminClient({ namesrvAddr: addr, timeoutMs: 2000 });
        try {
          const t0 = Date.now();
          const info = await one.clusterInfo();
          return { addr, ok: true, rttMs: Date.now() - t0, brokers: Object.keys(info.brokerAddrTable).length };
        } catch (err) {
          return { addr, ok: false, error: (err as Error).message };
        } finally {
          await one.close();
        }
      }),
    );
    const brokers = await this.admin.brokers();
    const rows = await Promise.all(
      brokers.map(async (b) => {
        try {
          const [rt, cfg] = await Promise.all([this.admin.runtimeInfo(b.addr), this.admin.brokerConfig(b.addr)]);
          return {
            ...b,
            ok: true,
            role: rt.brokerRole ?? cfg.brokerRole ?? (b.brokerId === MASTER_ID ? 'MASTER' : 'SLAVE'),
            version: rt.brokerVersionDesc ?? '',
            permission: num(cfg.brokerPermission ?? '6'),
            commitLogDiskRatio: num(rt.commitLogDiskRatio),
            consumeQueueDiskRatio: num(rt.consumeQueueDiskRatio),
            putTps: num((rt.putTps ?? '').split(' ')[0]),
            getTps: num((rt.getTransferedTps ?? '').split(' ')[0]),
            commitLogMaxOffset: num(rt.commitLogMaxOffset),
            msgPutToday: num(rt.msgPutTotalTodayNow) - num(rt.msgPutTotalTodayMorning),
            msgGetToday: num(rt.msgGetTotalTodayNow) - num(rt.msgGetTotalTodayMorning),
            bootTimestamp: num(rt.bootTimestamp),
          };
        } catch (err) {
          return { ...b, ok: false, error: (err as Error).message };
        }
      }),
    );
    // Replication lag: commit-log bytes the slave has not yet copied from its master.
    for (const r of rows as Array<Record<string, unknown>>) {
      if (r.brokerId === MASTER_ID || r.ok !== true) continue;
      const m = (rows as Array<Record<string, unknown>>).find((x) => x.brokerName === r.brokerName && x.brokerId === MASTER_ID && x.ok === true);
      if (m) r.replicationLagBytes = Math.max(0, Number(m.commitLogMaxOffset) - Number(r.commitLogMaxOffset));
    }
    return { nameServers, brokers: rows };
  }

  // ---- topics ----

  async topics(search = ''): Promise<Array<{ topic: string; kind: string }>> {
    const list = await this.admin.topicList();
    const q = search.toLowerCase();
    return list
      .filter((t) => t.toLowerCase().includes(q))
      .map((t) => ({ topic: t, kind: t.startsWith('%DLQ%') ? 'dlq' : t.startsWith('%RETRY%') ? 'retry' : SYSTEM_TOPIC.test(t) ? 'system' : 'normal' }));
  }

  async topic(topic: string): Promise<Record<string, unknown>> {
    const route = await this.admin.topicRoute(topic);
    const masters = await this.admin.topicMasters(topic);
    const queues: Array<Record<string, unknown>> = [];
    for (const m of masters) {
      for (const q of await this.admin.topicStats(m.addr, topic)) queues.push({ ...q });
    }
    queues.sort((a, b) => String(a.brokerName).localeCompare(String(b.brokerName)) || Number(a.queueId) - Number(b.queueId));
    const now = Date.now();
    const [today] = await countSeries(this.admin, topic, [localMidnight(now), now + 1]);
    return { topic, route, queues, messagesToday: today ?? 0, totalMessages: queues.reduce((s, q) => s + Number(q.maxOffset) - Number(q.minOffset), 0) };
  }

  /** Messages per bucket, newest last, at minute/hour/day granularity. */
  async growth(topic: string, granularity: string): Promise<{ granularity: string; step: number; points: Array<{ t: number; count: number }> }> {
    const g = GRANULARITY[granularity];
    if (!g) throw new MqError('INVALID_ARGUMENT', `granularity must be one of ${Object.keys(GRANULARITY).join(', ')}`);
    const now = Date.now();
    const last = granularity === 'day' ? localMidnight(now) : Math.floor(now / g.step) * g.step;
    const starts = Array.from({ length: g.buckets }, (_, i) => last - (g.buckets - 1 - i) * g.step);
    const counts = await countSeries(this.admin, topic, [...starts, now + 1]);
    return { granularity, step: g.step, points: starts.map((t, i) => ({ t, count: counts[i] ?? 0 })) };
  }

  async createTopic(req: { topic: string; clusterName?: string; readQueueNums?: number; writeQueueNums?: number; perm?: number; order?: boolean }): Promise<Record<string, unknown>> {
    if (typeof req.topic !== 'string' || !/^[%|a-zA-Z0-9_-]{1,127}$/.test(req.topic)) {
      throw new MqError('INVALID_ARGUMENT', 'topic must be 1..127 characters of [%|a-zA-Z0-9_-]');
    }
    const int = (v: unknown, d: number, lo: number, hi: number, name: string): number => {
      const n = v === undefined || v === '' ? d : Number(v);
      if (!Number.isInteger(n) || n < lo || n > hi) throw new MqError('INVALID_ARGUMENT', `${name} must be an integer in ${lo}..${hi}`);
      return n;
    };
    const write = int(req.writeQueueNums, 4, 1, 1024, 'writeQueueNums');
    const h = {
      topic: req.topic,
      defaultTopic: 'TBW102',
      readQueueNums: int(req.readQueueNums, write, 1, 1024, 'readQueueNums'),
      writeQueueNums: write,
      perm: int(req.perm, Perm.READ | Perm.WRITE, 0, 7, 'perm'),
      topicFilterType: 'SINGLE_TAG' as const,
      topicSysFlag: 0,
      order: req.order === true,
    };
    const masters = await this.admin.masters(req.clusterName || undefined);
    if (masters.length === 0) throw new MqError('UNAVAILABLE', 'no master broker is registered');
    for (const m of masters) await this.admin.createTopic(m.addr, h);
    return { ...h, brokers: masters.map((m) => m.addr) };
  }

  async deleteTopic(topic: string): Promise<Record<string, unknown>> {
    const masters = await this.admin.masters();
    for (const m of masters) await this.admin.deleteTopicInBroker(m.addr, topic);
    await this.admin.deleteTopicInNamesrv(topic);
    return { topic, deleted: true };
  }

  // ---- groups ----

  /**
   * Every known group: the brokers' subscription groups, the groups named by %RETRY% topics, and `extra` (the
   * gateway's groups, which pull without registering a subscription group).
   */
  async groups(extra: readonly string[] = []): Promise<Array<Record<string, unknown>>> {
    const names = new Set<string>(extra);
    for (const t of await this.admin.topicList()) if (t.startsWith('%RETRY%')) names.add(t.slice('%RETRY%'.length));
    for (const m of await this.admin.masters()) {
      try {
        for (const g of Object.keys(await this.admin.subscriptionGroups(m.addr))) names.add(g);
      } catch {
        // a broker that does not answer is shown on the cluster page
      }
    }
    const out: Array<Record<string, unknown>> = [];
    for (const g of [...names].sort()) {
      if (/^(TOOLS_CONSUMER|FILTERSRV_CONSUMER|SELF_TEST_C_GROUP|CID_ONS-HTTP-PROXY|CID_ONSAPI_.*|CID_RMQ_SYS_.*)$/.test(g)) continue;
      try {
        const p = await this.lag(g);
        out.push({ group: g, lag: p.rows.reduce((s, r) => s + r.lag, 0), maxAgeSeconds: p.rows.reduce((s, r) => Math.max(s, r.ageSeconds), 0), consumeTps: p.consumeTps, queues: p.rows.length });
      } catch (err) {
        out.push({ group: g, error: (err as Error).message });
      }
    }
    return out;
  }

  /** Lag per queue with the age of its oldest unconsumed message. */
  async lag(group: string): Promise<{ group: string; consumeTps: number; rows: LagRow[] }> {
    const p = await this.admin.groupProgress(group);
    const now = Date.now();
    const masters = new Map<string, string>();
    for (const m of await this.admin.masters()) masters.set(m.brokerName, m.addr);
    const rows = await Promise.all(
      p.queues
        .filter((q) => !q.topic.startsWith('%RETRY%') || q.brokerOffset > 0)
        .map(async (q) => {
          let ageSeconds = 0;
          const lag = Math.max(0, q.diff);
          const addr = masters.get(q.brokerName);
          if (lag > 0 && addr) {
            try {
              const r = await pullAt(this.admin, addr, q.topic, q.queueId, Math.max(0, q.consumerOffset), 1);
              if (r.records[0]) ageSeconds = Math.max(0, Math.round((now - r.records[0].storeTimestamp) / 1000));
            } catch {
              // age unknown: 0
            }
          }
          return { topic: q.topic, brokerName: q.brokerName, queueId: q.queueId, brokerOffset: q.brokerOffset, consumerOffset: q.consumerOffset, lag, ageSeconds, lastTimestamp: q.lastTimestamp };
        }),
    );
    return { group, consumeTps: p.consumeTps, rows };
  }

  async group(group: string): Promise<Record<string, unknown>> {
    const lag = await this.lag(group);
    let connection: unknown = null;
    try {
      connection = await this.admin.consumerConnection(group);
    } catch {
      connection = null;
    }
    return { ...lag, connection };
  }

  async resetOffset(group: string, topic: string, timestamp: number): Promise<Record<string, unknown>> {
    if (!Number.isFinite(timestamp) || timestamp < 0) throw new MqError('INVALID_ARGUMENT', 'timestamp must be epoch milliseconds');
    if (!topic) throw new MqError('INVALID_ARGUMENT', 'topic is required');
    const out: Array<{ broker: string; online: boolean; queues: number }> = [];
    for (const m of await this.admin.topicMasters(topic)) {
      const r = await this.admin.resetOffset(m.addr, topic, group, timestamp, true);
      out.push({ broker: m.brokerName, online: r.online, queues: r.offsets.length });
    }
    return { group, topic, timestamp, brokers: out };
  }

  async deleteGroup(group: string): Promise<Record<string, unknown>> {
    const masters = await this.admin.masters();
    for (const m of masters) await this.admin.deleteSubscriptionGroup(m.addr, group);
    return { group, deleted: true, brokers: masters.map((m) => m.addr) };
  }

  // ---- messages ----

  async byId(msgId: string, topic?: string): Promise<MessageView[]> {
    return (await queryById(this.admin, msgId, topic || undefined)).map((f: FoundMessage) => messageView(f.record, f.brokerName));
  }

  async byKey(topic: string, key: string): Promise<MessageView[]> {
    return (await queryByKey(this.admin, topic, key)).map((f) => messageView(f.record, f.brokerName));
  }

  async byTime(topic: string, begin: number, end: number, limit = 2000): Promise<MessageView[]> {
    if (!(end > begin)) throw new MqError('INVALID_ARGUMENT', 'end must be after begin');
    return (await messagesBetween(this.admin, topic, begin, end, Math.min(2000, Math.max(1, limit)))).map((f) => messageView(f.record, f.brokerName));
  }

  // ---- DLQ ----

  /** Dead letters of a group, oldest first, with origin topic and attempt count. */
  async dlq(group: string, limit = 500): Promise<Array<MessageView & { originTopic: string; attempts: number; originMsgId: string }>> {
    const topic = `%DLQ%${group}`;
    let masters: Array<{ brokerName: string; addr: string }>;
    try {
      masters = await this.admin.topicMasters(topic);
    } catch (err) {
      if (MqError.is(err, 'TOPIC_NOT_FOUND')) return [];
      throw err;
    }
    const out: Array<MessageView & { originTopic: string; attempts: number; originMsgId: string }> = [];
    for (const m of masters) {
      for (const q of await this.admin.topicStats(m.addr, topic)) {
        let from = q.minOffset;
        while (from < q.maxOffset && out.length < limit) {
          const r = await pullAt(this.admin, m.addr, topic, q.queueId, from, 32);
          if (r.records.length === 0) break;
          for (const rec of r.records) {
            const v = messageView(rec, m.brokerName);
            out.push({ ...v, originTopic: rec.properties[PROP.RETRY_TOPIC] ?? rec.properties[PROP.REAL_TOPIC] ?? '', attempts: rec.reconsumeTimes + 1, originMsgId: rec.properties[PROP.ORIGIN_MESSAGE_ID] ?? '' });
          }
          from = r.next > from ? r.next : from + r.records.length;
        }
      }
    }
    return out.sort((a, b) => a.storeTimestamp - b.storeTimestamp);
  }

  /** Sends dead letters (by msgId) back to their origin topic as new messages (body, tags, keys and user properties kept). */
  async resend(group: string, msgIds: string[]): Promise<Array<{ msgId: string; ok: boolean; newMsgId?: string; topic?: string; error?: string }>> {
    if (!Array.isArray(msgIds) || msgIds.length === 0) throw new MqError('INVALID_ARGUMENT', 'msgIds: give at least one message id');
    const dead = await this.dlq(group, 100000);
    const out: Array<{ msgId: string; ok: boolean; newMsgId?: string; topic?: string; error?: string }> = [];
    for (const id of msgIds) {
      const d = dead.find((x) => x.msgId === id || x.offsetMsgId === id);
      if (!d) {
        out.push({ msgId: id, ok: false, error: `no dead letter ${id} in %DLQ%${group}` });
        continue;
      }
      if (!d.originTopic) {
        out.push({ msgId: id, ok: false, error: 'the dead letter names no origin topic' });
        continue;
      }
      const properties: Record<string, string> = {};
      for (const [k, v] of Object.entries(d.properties)) if (!NOT_COPIED.has(k as never) && !k.startsWith('__')) properties[k] = v;
      try {
        const [res] = await (await this.producerClient()).producer.send(d.originTopic, [
          { body: Buffer.from(d.body, 'base64'), tags: d.tags ?? undefined, keys: d.keys ? d.keys.split(' ').filter(Boolean) : undefined, properties },
        ]);
        if (res.ok) out.push({ msgId: id, ok: true, newMsgId: res.uniqId, topic: d.originTopic });
        else out.push({ msgId: id, ok: false, error: res.error.message });
      } catch (err) {
        out.push({ msgId: id, ok: false, error: (err as Error).message });
      }
    }
    return out;
  }

  private async producerClient(): Promise<MQClient> {
    if (!this.client) {
      const c = new MQClient({ namesrvAddr: this.namesrvAddr, instanceName: `console-${process.pid}`, producerGroup: 'MQ_CONSOLE_PRODUCER' });
      await c.start();
      this.client = c;
    }
    return this.client;
  }
}
