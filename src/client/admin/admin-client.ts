/**
 * AdminClient: what an operator's tools ask of a cluster (RocketMQ's DefaultMQAdminExt), over plain remoting calls:
 * name-server tables (cluster, topics, routes, write permission), broker runtime info and config, topic and consume
 * statistics, subscription groups, consumer connections, reset offset by time, broker statistics, offsets by time.
 * Used by `mq admin` (src/cli/admin). Every method rejects with an MqError naming the peer and the response code.
 */
import { MqError, parseProperties } from '../../common';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../remoting';
import type { RequestSigner } from '../../remoting';
import { mqRows, parseAdminJson } from '../../remoting/body/admin-bodies';
import type { MqKey, OffsetWrapper, TopicOffset } from '../../remoting/body/admin-bodies';
import { encodeCreateTopicHeader } from '../../remoting/header/create-topic';
import type { CreateTopicRequestHeader } from '../../remoting/header/create-topic';
import { responseError, transportError } from '../errors';
import { MASTER_ID, parseClusterInfo, parseTopicRouteData } from '../route/topic-route';
import type { BrokerData, ClusterInfo, TopicRouteData } from '../route/topic-route';

export interface AdminClientOptions {
  /** Name servers, `host:port;host:port`. */
  namesrvAddr: string;
  /** Per call, ms. */
  timeoutMs?: number;
  /** Signs every request: the cluster secret (admin codes of a cluster with clusterSecret) and/or an ACL account. */
  signer?: RequestSigner;
}

/** One queue of a topic (topicStatus). */
export interface TopicQueueStatus extends MqKey, TopicOffset {}

/** One queue of a group's progress (consumerProgress). */
export interface ConsumeQueueProgress extends MqKey, OffsetWrapper {
  diff: number;
}

/** GET_CONSUMER_CONNECTION_LIST answer. */
export interface ConsumerConnection {
  connectionSet: Array<{ clientAddr: string; clientId: string; language: string; version: number }>;
  consumeFromWhere?: string;
  consumeType?: string;
  messageModel?: string;
  subscriptionTable?: Record<string, { topic: string; subString: string; subVersion?: number }>;
}

/** VIEW_BROKER_STATS_DATA answer. */
export interface BrokerStatsData {
  statsMinute: { sum: number; tps: number; avgpt: number };
  statsHour: { sum: number; tps: number; avgpt: number };
  statsDay: { sum: number; tps: number; avgpt: number };
}

/** A broker of the cluster table. */
export interface BrokerRef {
  cluster: string;
  brokerName: string;
  brokerId: number;
  addr: string;
}

const text = (res: RemotingCommand): string => (res.body ? res.body.toString('utf8') : '');

export class AdminClient {
  readonly remoting: RemotingClient;
  private readonly namesrvs: string[];
  private readonly timeoutMs: number;

  constructor(opts: AdminClientOptions) {
    this.namesrvs = opts.namesrvAddr
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    if (this.namesrvs.length === 0) {
      throw new MqError('INVALID_ARGUMENT', 'no name server: give -n host:port[;host:port] or set NAMESRV_ADDR');
    }
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.remoting = new RemotingClient({ connectTimeoutMs: Math.min(3000, this.timeoutMs), defaultTimeoutMs: this.timeoutMs, signer: opts.signer });
  }

  close(): Promise<void> {
    return this.remoting.close();
  }

  /** The name servers in use. */
  nameServers(): string[] {
    return [...this.namesrvs];
  }

  /** Sends to `addr`, and returns the answer when its code is in `ok`. */
  async call(addr: string, make: () => RemotingCommand, ok: readonly number[] = [ResponseCode.SUCCESS], timeoutMs = this.timeoutMs): Promise<RemotingCommand> {
    let res: RemotingCommand;
    try {
      res = await this.remoting.invokeSync(addr, make(), timeoutMs);
    } catch (err) {
      throw transportError('admin', addr, err);
    }
    if (!ok.includes(res.code)) throw responseError('admin', addr, res);
    return res;
  }

  /** Sends to the first name server that answers (any response counts as an answer). */
  async callNamesrv(make: () => RemotingCommand, ok: readonly number[] = [ResponseCode.SUCCESS]): Promise<RemotingCommand> {
    let last: unknown;
    for (const addr of this.namesrvs) {
      try {
        return await this.call(addr, make, ok);
      } catch (err) {
        last = err;
        // A response code error is the cluster's answer: do not ask the next name server.
        if (MqError.is(err) && typeof err.details.responseCode === 'number') throw err;
      }
    }
    throw last instanceof Error ? last : new MqError('UNAVAILABLE', `no name server answered (${this.namesrvs.join(';')})`);
  }

  // ---- name server ----

  async clusterInfo(): Promise<ClusterInfo> {
    return parseClusterInfo((await this.callNamesrv(() => RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO))).body);
  }

  /** Every broker of the cluster table, by cluster, broker name and id. */
  async brokers(cluster?: string): Promise<BrokerRef[]> {
    const info = await this.clusterInfo();
    const out: BrokerRef[] = [];
    for (const [c, names] of Object.entries(info.clusterAddrTable)) {
      if (cluster !== undefined && c !== cluster) continue;
      for (const name of [...names].sort()) {
        const bd = info.brokerAddrTable[name];
        for (const [id, addr] of Object.entries(bd?.brokerAddrs ?? {})) out.push({ cluster: c, brokerName: name, brokerId: Number(id), addr });
      }
    }
    if (cluster !== undefined && out.length === 0) {
      throw new MqError('NOT_FOUND', `cluster ${cluster} is not known to the name servers`, { details: { clusters: Object.keys(info.clusterAddrTable) } });
    }
    return out.sort((a, b) => a.cluster.localeCompare(b.cluster) || a.brokerName.localeCompare(b.brokerName) || a.brokerId - b.brokerId);
  }

  /** Master addresses of a cluster (or of every cluster). */
  async masters(cluster?: string): Promise<BrokerRef[]> {
    return (await this.brokers(cluster)).filter((b) => b.brokerId === MASTER_ID);
  }

  async topicList(): Promise<string[]> {
    const res = await this.callNamesrv(() => RemotingCommand.createRequest(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER));
    const body = parseAdminJson(text(res) || '{}') as { topicList?: string[] };
    return [...(body.topicList ?? [])].sort();
  }

  async topicRoute(topic: string): Promise<TopicRouteData> {
    const res = await this.callNamesrv(() => RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }));
    return parseTopicRouteData(res.body);
  }

  /** Masters in a topic's route, by broker name. */
  async topicMasters(topic: string): Promise<Array<{ brokerName: string; addr: string }>> {
    const route = await this.topicRoute(topic);
    return route.brokerDatas
      .map((b: BrokerData) => ({ brokerName: b.brokerName, addr: b.brokerAddrs[MASTER_ID] }))
      .filter((b): b is { brokerName: string; addr: string } => typeof b.addr === 'string')
      .sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  }

  /** WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER on every name server: topics changed per name server. */
  async writePerm(brokerName: string, op: 'wipe' | 'add'): Promise<Array<{ namesrv: string; count: number }>> {
    const code = op === 'wipe' ? RequestCode.WIPE_WRITE_PERM_OF_BROKER : RequestCode.ADD_WRITE_PERM_OF_BROKER;
    const out: Array<{ namesrv: string; count: number }> = [];
    for (const ns of this.namesrvs) {
      const res = await this.call(ns, () => RemotingCommand.createRequest(code, { brokerName }));
      const n = Number(res.extFields?.[op === 'wipe' ? 'wipeTopicCount' : 'addTopicCount'] ?? 0);
      out.push({ namesrv: ns, count: n });
    }
    return out;
  }

  /** DELETE_TOPIC_IN_NAMESRV on every name server. */
  async deleteTopicInNamesrv(topic: string, clusterName?: string): Promise<void> {
    for (const ns of this.namesrvs) {
      await this.call(ns, () => RemotingCommand.createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic, clusterName }));
    }
  }

  // ---- broker ----

  async createTopic(addr: string, h: CreateTopicRequestHeader): Promise<void> {
    await this.call(addr, () => RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, encodeCreateTopicHeader(h)), undefined, 15000);
  }

  async deleteTopicInBroker(addr: string, topic: string): Promise<void> {
    await this.call(addr, () => RemotingCommand.createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { topic }));
  }

  async runtimeInfo(addr: string): Promise<Record<string, string>> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
    return ((parseAdminJson(text(res) || '{}') as { table?: Record<string, string> }).table ?? {});
  }

  async brokerConfig(addr: string): Promise<Record<string, string>> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.GET_BROKER_CONFIG));
    return parseProperties(text(res));
  }

  async updateBrokerConfig(addr: string, props: Record<string, string>): Promise<void> {
    const body = Buffer.from(Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', 'utf8');
    await this.call(addr, () => RemotingCommand.createRequest(RequestCode.UPDATE_BROKER_CONFIG, undefined, body));
  }

  async topicStats(addr: string, topic: string): Promise<TopicQueueStatus[]> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.GET_TOPIC_STATS_INFO, { topic }));
    const body = parseAdminJson(text(res)) as { offsetTable?: unknown };
    return mqRows<TopicOffset>(body.offsetTable).map(([k, v]) => ({ ...k, minOffset: v.minOffset, maxOffset: v.maxOffset, lastUpdateTimestamp: v.lastUpdateTimestamp }));
  }

  /** GET_CONSUME_STATS on one broker. */
  async consumeStats(addr: string, group: string, topic?: string): Promise<{ consumeTps: number; queues: ConsumeQueueProgress[] }> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.GET_CONSUME_STATS, { consumerGroup: group, topic }));
    const body = parseAdminJson(text(res)) as { consumeTps?: number; offsetTable?: unknown };
    const queues = mqRows<OffsetWrapper>(body.offsetTable).map(([k, v]) => ({
      ...k,
      brokerOffset: v.brokerOffset,
      consumerOffset: v.consumerOffset,
      lastTimestamp: v.lastTimestamp,
      diff: v.brokerOffset - v.consumerOffset,
    }));
    return { consumeTps: Number(body.consumeTps ?? 0), queues };
  }

  /** A group's progress on every master of the cluster(s) (RocketMQ asks the brokers of %RETRY%<group>). */
  async groupProgress(group: string): Promise<{ consumeTps: number; queues: ConsumeQueueProgress[] }> {
    let brokers: Array<{ addr: string }>;
    try {
      brokers = await this.topicMasters(`%RETRY%${group}`);
    } catch (err) {
      if (!MqError.is(err, 'TOPIC_NOT_FOUND')) throw err;
      brokers = await this.masters();
    }
    let consumeTps = 0;
    const queues: ConsumeQueueProgress[] = [];
    for (const b of brokers) {
      const r = await this.consumeStats(b.addr, group);
      consumeTps += r.consumeTps;
      queues.push(...r.queues);
    }
    queues.sort((a, b) => a.topic.localeCompare(b.topic) || a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
    return { consumeTps, queues };
  }

  /** Live clients of a group, from the first master that knows it online. */
  async consumerConnection(group: string): Promise<ConsumerConnection> {
    let last: unknown;
    const brokers = await this.masters();
    for (const b of brokers) {
      try {
        const res = await this.call(b.addr, () => RemotingCommand.createRequest(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: group }));
        return parseAdminJson(text(res)) as ConsumerConnection;
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new MqError('NOT_FOUND', `the consumer group[${group}] not online`);
  }

  /** QUERY_TOPIC_CONSUME_BY_WHO: groups that consume `topic` on one broker. */
  async topicConsumers(addr: string, topic: string): Promise<string[]> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { topic }));
    return ((parseAdminJson(text(res) || '{}') as { groupList?: string[] }).groupList ?? []).sort();
  }

  async subscriptionGroups(addr: string): Promise<Record<string, Record<string, unknown>>> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG));
    return ((parseAdminJson(text(res)) as { subscriptionGroupTable?: Record<string, Record<string, unknown>> }).subscriptionGroupTable ?? {});
  }

  async updateSubscriptionGroup(addr: string, config: Record<string, unknown>): Promise<void> {
    await this.call(addr, () =>
      RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from(JSON.stringify(config), 'utf8')),
    );
  }

  async deleteSubscriptionGroup(addr: string, groupName: string, removeOffset = true): Promise<void> {
    await this.call(addr, () => RemotingCommand.createRequest(RequestCode.DELETE_SUBSCRIPTIONGROUP, { groupName, removeOffset }));
  }

  /**
   * INVOKE_BROKER_TO_RESET_OFFSET on one broker: the new offset per queue and whether a client was online to be told.
   */
  async resetOffset(addr: string, topic: string, group: string, timestamp: number, isForce: boolean): Promise<{ online: boolean; offsets: Array<[MqKey, number]> }> {
    const res = await this.call(
      addr,
      () => RemotingCommand.createRequest(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic, group, timestamp, isForce }),
      [ResponseCode.SUCCESS, ResponseCode.CONSUMER_NOT_ONLINE],
    );
    const offsets = res.body ? mqRows<number>((parseAdminJson(text(res)) as { offsetTable?: unknown }).offsetTable) : [];
    return { online: res.code === ResponseCode.SUCCESS, offsets };
  }

  async brokerStats(addr: string, statsName: string, statsKey: string): Promise<BrokerStatsData | undefined> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.VIEW_BROKER_STATS_DATA, { statsName, statsKey }), [
      ResponseCode.SUCCESS,
      ResponseCode.SYSTEM_ERROR,
    ]);
    if (res.code !== ResponseCode.SUCCESS) return undefined;
    return parseAdminJson(text(res)) as BrokerStatsData;
  }

  /**
   * Offset of a queue for a store time. `lower`: the first message stored at or after `timestamp` (exact; what
   * counting needs). Without it: RocketMQ's nearest-message answer.
   */
  async searchOffset(addr: string, topic: string, queueId: number, timestamp: number, boundaryType?: 'lower'): Promise<number> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { topic, queueId, timestamp, boundaryType }));
    return Number(res.extFields?.offset ?? 0);
  }

  async maxOffset(addr: string, topic: string, queueId: number): Promise<number> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.GET_MAX_OFFSET, { topic, queueId }));
    return Number(res.extFields?.offset ?? 0);
  }

  async minOffset(addr: string, topic: string, queueId: number): Promise<number> {
    const res = await this.call(addr, () => RemotingCommand.createRequest(RequestCode.GET_MIN_OFFSET, { topic, queueId }));
    return Number(res.extFields?.offset ?? 0);
  }

  async updateConsumerOffset(addr: string, group: string, topic: string, queueId: number, commitOffset: number): Promise<void> {
    await this.call(addr, () => RemotingCommand.createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId, commitOffset }));
  }
}
