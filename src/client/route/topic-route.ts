/**
 * TopicRouteData and ClusterInfo bodies (ref §3.2, §3.4) and the queue lists built from them.
 *
 * Grammar (fastjson; bare integer keys accepted, missing fields tolerated):
 *   TopicRouteData := { "brokerDatas": [BrokerData], "queueDatas": [QueueData], "orderTopicConf"?: string,
 *                       "filterServerTable"?: {...} }
 *   BrokerData     := { "cluster": string, "brokerName": string, "brokerAddrs": { <brokerId>: "ip:port", ... } }
 *   QueueData      := { "brokerName": string, "readQueueNums": int, "writeQueueNums": int, "perm": int,
 *                       ("topicSysFlag" | "topicSynFlag"): int }
 *   ClusterInfo    := { "brokerAddrTable": { <brokerName>: BrokerData }, "clusterAddrTable": { <cluster>: [name] } }
 * Pure: no I/O.
 */
import { MqError } from '../../common';
import { parseFastJson } from '../../common/fastjson';

/** PermName bits (ref §3.2). */
export const Perm = { INHERIT: 0x1, WRITE: 0x2, READ: 0x4, PRIORITY: 0x8 } as const;

/** The master's broker id; slaves are > 0 (ref §8.1). */
export const MASTER_ID = 0;

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId → `ip:port`; 0 is the master. */
  brokerAddrs: Record<number, string>;
}

export interface TopicRouteData {
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  orderTopicConf?: string;
}

/** One queue of a topic on one broker set. */
export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

export interface ClusterInfo {
  /** brokerName → its BrokerData. */
  brokerAddrTable: Record<string, BrokerData>;
  /** cluster name → broker names. */
  clusterAddrTable: Record<string, string[]>;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown, fallback = 0): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return fallback;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function parseBody(body: Buffer | string | undefined, what: string): Json {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : (body ?? '');
  let parsed: unknown;
  try {
    parsed = parseFastJson(text);
  } catch (err) {
    throw new MqError('PROTOCOL', `${what}: body is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(parsed)) throw new MqError('PROTOCOL', `${what}: body is not a JSON object`);
  return parsed;
}

function parseBrokerData(v: unknown): BrokerData | undefined {
  if (!isObject(v)) return undefined;
  const addrs: Record<number, string> = {};
  if (isObject(v.brokerAddrs)) {
    for (const [id, addr] of Object.entries(v.brokerAddrs)) {
      const n = Number(id);
      if (Number.isInteger(n) && typeof addr === 'string' && addr !== '') addrs[n] = addr;
    }
  }
  return { cluster: str(v.cluster), brokerName: str(v.brokerName), brokerAddrs: addrs };
}

/** Parses a GET_ROUTEINFO_BY_TOPIC body (standard JSON or fastjson with bare integer keys). */
export function parseTopicRouteData(body: Buffer | string | undefined): TopicRouteData {
  const o = parseBody(body, 'topic route');
  const queueDatas: QueueData[] = [];
  for (const q of Array.isArray(o.queueDatas) ? o.queueDatas : []) {
    if (!isObject(q)) continue;
    queueDatas.push({
      brokerName: str(q.brokerName),
      readQueueNums: num(q.readQueueNums),
      writeQueueNums: num(q.writeQueueNums),
      perm: num(q.perm),
      // Spelled topicSynFlag up to 4.8.0 (ref §3.2).
      topicSysFlag: num(q.topicSysFlag ?? q.topicSynFlag),
    });
  }
  const brokerDatas: BrokerData[] = [];
  for (const b of Array.isArray(o.brokerDatas) ? o.brokerDatas : []) {
    const bd = parseBrokerData(b);
    if (bd) brokerDatas.push(bd);
  }
  const route: TopicRouteData = { queueDatas, brokerDatas };
  if (typeof o.orderTopicConf === 'string' && o.orderTopicConf !== '') route.orderTopicConf = o.orderTopicConf;
  return route;
}

/** Parses a GET_BROKER_CLUSTER_INFO body (always fastjson with bare keys, ref §3.4). */
export function parseClusterInfo(body: Buffer | string | undefined): ClusterInfo {
  const o = parseBody(body, 'cluster info');
  const brokerAddrTable: Record<string, BrokerData> = {};
  if (isObject(o.brokerAddrTable)) {
    for (const [name, b] of Object.entries(o.brokerAddrTable)) {
      const bd = parseBrokerData(b);
      if (bd) brokerAddrTable[name] = { ...bd, brokerName: bd.brokerName || name };
    }
  }
  const clusterAddrTable: Record<string, string[]> = {};
  if (isObject(o.clusterAddrTable)) {
    for (const [cluster, names] of Object.entries(o.clusterAddrTable)) {
      clusterAddrTable[cluster] = Array.isArray(names) ? names.map(str).filter((n) => n !== '').sort() : [];
    }
  }
  return { brokerAddrTable, clusterAddrTable };
}

function byBrokerName(a: { brokerName: string }, b: { brokerName: string }): number {
  return a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0;
}

/**
 * Producer queues (ref §3.2 `topicRouteData2TopicPublishInfo`): for each writable QueueData whose BrokerData has
 * a master (id 0), `writeQueueNums` queues 0..n-1. `orderTopicConf` (`broker:num;...`) replaces it when set.
 * The list is sorted by broker name, then queue id, so that hashing over it is stable.
 * @param maxQueuesPerBroker caps each broker's count (used with the TBW102 template route, ref §5.12).
 */
export function publishQueues(topic: string, route: TopicRouteData, maxQueuesPerBroker = Infinity): MessageQueue[] {
  const out: MessageQueue[] = [];
  if (route.orderTopicConf) {
    for (const part of route.orderTopicConf.split(';')) {
      const [brokerName, n] = part.split(':');
      const count = Math.min(num(n), maxQueuesPerBroker);
      for (let q = 0; q < count; q++) out.push({ topic, brokerName, queueId: q });
    }
    return out.sort((a, b) => byBrokerName(a, b) || a.queueId - b.queueId);
  }
  const masters = new Set(
    route.brokerDatas.filter((b) => b.brokerAddrs[MASTER_ID] !== undefined).map((b) => b.brokerName),
  );
  for (const qd of [...route.queueDatas].sort(byBrokerName)) {
    if ((qd.perm & Perm.WRITE) === 0 || !masters.has(qd.brokerName)) continue;
    const count = Math.min(qd.writeQueueNums, maxQueuesPerBroker);
    for (let q = 0; q < count; q++) out.push({ topic, brokerName: qd.brokerName, queueId: q });
  }
  return out;
}

/**
 * Consumer queues (ref §3.2 `topicRouteData2TopicSubscribeInfo`): `readQueueNums` queues of every readable
 * QueueData, master present or not (a slave keeps serving reads, ref §8.5).
 */
export function subscribeQueues(topic: string, route: TopicRouteData): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const qd of [...route.queueDatas].sort(byBrokerName)) {
    if ((qd.perm & Perm.READ) === 0) continue;
    for (let q = 0; q < qd.readQueueNums; q++) out.push({ topic, brokerName: qd.brokerName, queueId: q });
  }
  return out;
}
