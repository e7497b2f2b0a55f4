/**
 * Message look-ups and counts for operators (mqadmin's queryMsgById/ByKey/ByUniqueKey/ByOffset, printMsg), and
 * topicCount: how many messages a topic received between two times, exact and restart-proof, from the consume
 * queues' store times — per queue, the first offset stored at or after `end` minus the first at or after `begin`
 * (SEARCH_OFFSET_BY_TIMESTAMP with boundaryType=lower on every master).
 */
import { MqError } from '../../common';
import { PROP, decodeOffsetMsgId, decodeRecords } from '../../common/message';
import type { MessageRecord } from '../../common/message';
import { RemotingCommand, RequestCode, ResponseCode } from '../../remoting';
import { PullSysFlag } from '../../remoting/header/pull-message';
import { encodeQueryMessageHeader } from '../../remoting/header/query-message';
import type { AdminClient } from './admin-client';

/** The most messages one key query returns per broker (the broker's maxMsgsNumBatch). */
const QUERY_MAX = 64;

/** A message as the commands print it. */
export interface FoundMessage {
  record: MessageRecord;
  brokerName: string;
}

/** QUERY_MESSAGE on every master of the topic; `unique` selects UNIQ_KEY look-ups. */
export async function queryByKey(
  admin: AdminClient,
  topic: string,
  key: string,
  opts: { begin?: number; end?: number; unique?: boolean; maxNum?: number } = {},
): Promise<FoundMessage[]> {
  const masters = await admin.topicMasters(topic);
  const out: FoundMessage[] = [];
  for (const m of masters) {
    const res = await admin.call(
      m.addr,
      () =>
        RemotingCommand.createRequest(
          RequestCode.QUERY_MESSAGE,
          encodeQueryMessageHeader({
            topic,
            key,
            maxNum: opts.maxNum ?? QUERY_MAX,
            beginTimestamp: opts.begin ?? 0,
            endTimestamp: opts.end ?? Number.MAX_SAFE_INTEGER,
            uniqueKeyQuery: opts.unique ?? false,
          }),
        ),
      [ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND],
    );
    if (res.code !== ResponseCode.SUCCESS || !res.body) continue;
    for (const record of decodeRecords(res.body)) {
      if (record.topic !== topic) continue;
      const matches = opts.unique
        ? record.properties[PROP.UNIQ_KEY] === key
        : (record.properties[PROP.KEYS] ?? '').split(' ').includes(key);
      if (matches) out.push({ record, brokerName: m.brokerName });
    }
  }
  return out.sort((a, b) => a.record.storeTimestamp - b.record.storeTimestamp);
}

/** VIEW_MESSAGE_BY_ID: an offset msgId names the broker and the commit-log offset. */
export async function viewById(admin: AdminClient, msgId: string): Promise<MessageRecord> {
  const { host, physicalOffset } = decodeOffsetMsgId(msgId);
  const addr = `${host.ip}:${host.port}`;
  const res = await admin.call(addr, () => RemotingCommand.createRequest(RequestCode.VIEW_MESSAGE_BY_ID, { offset: physicalOffset }));
  const recs = res.body ? decodeRecords(res.body) : [];
  if (recs.length === 0) throw new MqError('NOT_FOUND', `no message at offset ${physicalOffset} on ${addr}`);
  return recs[0];
}

/**
 * queryMsgById: an offset msgId is looked up on its broker; any other id (a client UNIQ_KEY, what producers print)
 * is looked up by unique key in `topic` (required then), as mqadmin does.
 */
export async function queryById(admin: AdminClient, msgId: string, topic?: string): Promise<FoundMessage[]> {
  let offsetErr: unknown;
  try {
    const record = await viewById(admin, msgId);
    return [{ record, brokerName: '' }];
  } catch (err) {
    offsetErr = err;
  }
  if (!topic) throw offsetErr;
  return queryByKey(admin, topic, msgId, { unique: true });
}

/** PULL_MESSAGE of up to `max` messages from a queue offset (no offset committed, no hold). */
export async function pullAt(admin: AdminClient, addr: string, topic: string, queueId: number, offset: number, max = 32): Promise<{ records: MessageRecord[]; next: number }> {
  const res = await admin.call(
    addr,
    () =>
      RemotingCommand.createRequest(RequestCode.PULL_MESSAGE, {
        consumerGroup: 'TOOLS_CONSUMER',
        topic,
        queueId,
        queueOffset: offset,
        maxMsgNums: max,
        // The subscription travels in the request (no heartbeat from this tool); nothing is committed or held.
        sysFlag: PullSysFlag.SUBSCRIPTION,
        commitOffset: 0,
        suspendTimeoutMillis: 0,
        subscription: '*',
        subVersion: 0,
        expressionType: 'TAG',
      }),
    [ResponseCode.SUCCESS, ResponseCode.PULL_NOT_FOUND, ResponseCode.PULL_RETRY_IMMEDIATELY, ResponseCode.PULL_OFFSET_MOVED],
  );
  const next = Number(res.extFields?.nextBeginOffset ?? offset);
  return { records: res.code === ResponseCode.SUCCESS && res.body ? decodeRecords(res.body) : [], next };
}

/** The master address of a broker set in a topic's route. */
export async function masterOf(admin: AdminClient, topic: string, brokerName: string): Promise<string> {
  const m = (await admin.topicMasters(topic)).find((b) => b.brokerName === brokerName);
  if (!m) throw new MqError('NOT_FOUND', `broker set ${brokerName} has no master in the route of ${topic}`);
  return m.addr;
}

/** Every message of a topic stored in [begin, end), in store order per queue; `onProgress` per queue. */
export async function messagesBetween(
  admin: AdminClient,
  topic: string,
  begin: number,
  end: number,
  limit: number,
  onProgress?: (done: number, total: number) => void,
): Promise<FoundMessage[]> {
  const masters = await admin.topicMasters(topic);
  const route = await admin.topicRoute(topic);
  const out: FoundMessage[] = [];
  const queues = masters.flatMap((m) => {
    const qd = route.queueDatas.find((q) => q.brokerName === m.brokerName);
    return Array.from({ length: qd?.readQueueNums ?? 0 }, (_, q) => ({ ...m, queueId: q }));
  });
  let done = 0;
  for (const q of queues) {
    let from = await admin.searchOffset(q.addr, topic, q.queueId, begin, 'lower');
    const to = await admin.searchOffset(q.addr, topic, q.queueId, end, 'lower');
    while (from < to && out.length < limit) {
      const r = await pullAt(admin, q.addr, topic, q.queueId, from, Math.min(32, to - from));
      if (r.records.length === 0) break;
      for (const record of r.records) if (record.queueOffset < to && out.length < limit) out.push({ record, brokerName: q.brokerName });
      from = r.next > from ? r.next : from + r.records.length;
    }
    onProgress?.(++done, queues.length);
  }
  return out;
}

/** Messages of `topic` stored in [begin, end) per master and queue, and their sum. */
export async function countBetween(
  admin: AdminClient,
  topic: string,
  begin: number,
  end: number,
): Promise<{ total: number; queues: Array<{ brokerName: string; queueId: number; count: number }> }> {
  const masters = await admin.topicMasters(topic);
  const route = await admin.topicRoute(topic);
  const queues: Array<{ brokerName: string; queueId: number; count: number }> = [];
  let total = 0;
  for (const m of masters) {
    const qd = route.queueDatas.find((q) => q.brokerName === m.brokerName);
    const n = Math.max(qd?.readQueueNums ?? 0, qd?.writeQueueNums ?? 0);
    for (let q = 0; q < n; q++) {
      const a = await admin.searchOffset(m.addr, topic, q, begin, 'lower');
      const b = await admin.searchOffset(m.addr, topic, q, end, 'lower');
      const count = Math.max(0, b - a);
      queues.push({ brokerName: m.brokerName, queueId: q, count });
      total += count;
    }
  }
  return { total, queues };
}

/**
 * Messages of `topic` between consecutive `boundaries` (sorted times): one offset look-up per queue and boundary,
 * so a growth curve of n intervals costs n + 1 look-ups per queue. `onProgress` after each boundary.
 */
export async function countSeries(
  admin: AdminClient,
  topic: string,
  boundaries: readonly number[],
  onProgress?: (done: number, total: number) => void,
): Promise<number[]> {
  const masters = await admin.topicMasters(topic);
  const route = await admin.topicRoute(topic);
  const queues = masters.flatMap((m) => {
    const qd = route.queueDatas.find((q) => q.brokerName === m.brokerName);
    const n = Math.max(qd?.readQueueNums ?? 0, qd?.writeQueueNums ?? 0);
    return Array.from({ length: n }, (_, q) => ({ addr: m.addr, queueId: q }));
  });
  const counts = new Array<number>(Math.max(0, boundaries.length - 1)).fill(0);
  let prev: number[] | undefined;
  for (const [i, t] of boundaries.entries()) {
    const offs = await Promise.all(queues.map((q) => admin.searchOffset(q.addr, topic, q.queueId, t, 'lower')));
    if (prev) counts[i - 1] = offs.reduce((s, o, j) => s + Math.max(0, o - prev![j]), 0);
    prev = offs;
    onProgress?.(i + 1, boundaries.length);
  }
  return counts;
}
