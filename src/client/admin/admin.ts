/**
 * Admin helpers: cluster info (GET_BROKER_CLUSTER_INFO, ref §3.4), topic routes, and topic creation on every
 * master of a cluster (UPDATE_AND_CREATE_TOPIC goes to brokers, not name servers, ref §2.3.1; each broker then
 * re-registers the topic with the name servers).
 */
import { MqError } from '../../common';
import { RemotingCommand, RequestCode } from '../../remoting';
import { encodeCreateTopicHeader } from '../../remoting/header/create-topic';
import type { BrokerInvoker } from '../broker-invoker';
import { pickBroker } from '../broker-invoker';
import type { RouteCache, TopicRoute } from '../route/route-cache';
import { Perm } from '../route/topic-route';
import type { ClusterInfo } from '../route/topic-route';
import { validateTopic } from '../producer/prepare';

export interface CreateTopicRequest {
  topic: string;
  /** Cluster whose masters get the topic. */
  clusterName: string;
  /** Queues per broker set; default 4. */
  writeQueueNums?: number;
  /** Default: writeQueueNums. */
  readQueueNums?: number;
  /** PermName bits; default 6 (read + write). */
  perm?: number;
  /** `SINGLE_TAG` (default) or `MULTI_TAG`. */
  topicFilterType?: 'SINGLE_TAG' | 'MULTI_TAG';
  order?: boolean;
}

export class AdminApi {
  constructor(
    private readonly routes: RouteCache,
    private readonly broker: BrokerInvoker,
    private readonly createTopicKey: string,
  ) {}

  getClusterInfo(): Promise<ClusterInfo> {
    return this.routes.clusterInfo();
  }

  /** The route of `topic`, fetched from the name servers now (TOPIC_NOT_FOUND when it has none). */
  getRoute(topic: string): Promise<TopicRoute> {
    return this.routes.refresh(topic);
  }

  /**
   * Creates or updates `topic` on every master of `clusterName`. Resolves with the broker set names that accepted
   * it; rejects when the cluster is unknown or a master refused (the message names each failure).
   */
  async createTopic(req: CreateTopicRequest): Promise<string[]> {
    validateTopic(req.topic);
    const info = await this.routes.clusterInfo();
    const names = info.clusterAddrTable[req.clusterName];
    if (!names || names.length === 0) {
      throw new MqError('NOT_FOUND', `createTopic ${req.topic}: cluster ${req.clusterName} is not known to the name servers`, {
        details: { clusters: Object.keys(info.clusterAddrTable) },
      });
    }
    const write = req.writeQueueNums ?? 4;
    const header = encodeCreateTopicHeader({
      topic: req.topic,
      defaultTopic: this.createTopicKey,
      readQueueNums: req.readQueueNums ?? write,
      writeQueueNums: write,
      perm: req.perm ?? Perm.READ | Perm.WRITE,
      topicFilterType: req.topicFilterType ?? 'SINGLE_TAG',
      topicSysFlag: 0,
      order: req.order ?? false,
    });
    const failures: string[] = [];
    const done: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        const bd = info.brokerAddrTable[name];
        const target = bd && pickBroker(bd, 'master');
        if (!target) {
          failures.push(`${name}: no master`);
          return;
        }
        try {
          await this.broker.callAddr('createTopic', target, () =>
            RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, header),
          );
          done.push(name);
        } catch (err) {
          failures.push(`${name}: ${(err as Error).message}`);
        }
      }),
    );
    if (failures.length > 0) {
      throw new MqError('UNAVAILABLE', `createTopic ${req.topic} on cluster ${req.clusterName}: ${failures.join('; ')}`, {
        details: { created: done.sort() },
      });
    }
    return done.sort();
  }
}
