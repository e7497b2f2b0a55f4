/**
 * MQClient: the composition root of our RocketMQ client (start/shutdown). It owns one RemotingClient, the
 * name-server address provider, the route cache, the producer, the puller, offset/admin helpers and the
 * heartbeat service, and exposes them as one API for the gateway.
 */
import pino from 'pino';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { parseFastJson } from '../common/fastjson';
import { RemotingClient, RemotingCommand, RequestCode } from '../remoting';
import type { NameServerAddressProvider } from './address/address-provider';
import { createAddressProvider } from './address/create-address-provider';
import { AdminApi } from './admin/admin';
import { serverRequestHandler } from './admin/server-requests';
import type { AdminEventListener } from './admin/server-requests';
import type { CreateTopicRequest } from './admin/admin';
import { BrokerInvoker } from './broker-invoker';
import { clientMetrics } from './client-metrics';
import type { ClientMetrics } from './client-metrics';
import { OffsetApi } from './consumer/offsets';
import type { OffsetAnswer, OffsetQueryOptions, QueueRef } from './consumer/offsets';
import { Puller } from './consumer/puller';
import type { PullRequest, PullResult } from './consumer/puller';
import { consumerSendMsgBack } from './consumer/send-back';
import type { SendBackRequest } from './consumer/send-back';
import { HeartbeatService, buildClientId } from './heartbeat';
import type { ConsumerGroupInfo } from './heartbeat';
import { resolveClientOptions } from './options';
import type { ClientOptions, ClientOptionsInput } from './options';
import { Producer } from './producer/producer';
import type { ProducerMessage, SendOptions, SendResult } from './producer/send-types';
import { RouteCache } from './route/route-cache';
import type { TopicRoute } from './route/route-cache';
import type { ClusterInfo, MessageQueue } from './route/topic-route';

export interface MQClientDeps {
  /** Parent logger; the client logs as `component=client`. Default: silent. */
  logger?: Logger;
  /** Registry for the remoting and client metrics (src/metrics/names.ts). */
  registry?: Registry;
  /** Overrides the address source chosen from the options (tests, embedding). */
  addressProvider?: NameServerAddressProvider;
}

type State = 'new' | 'starting' | 'running' | 'stopped';

export class MQClient {
  readonly options: ClientOptions;
  /** `clientIP@instanceName` as sent in heartbeats. */
  readonly clientId: string;
  readonly routes: RouteCache;
  readonly producer: Producer;
  readonly puller: Puller;
  readonly offsets: OffsetApi;
  readonly admin: AdminApi;
  readonly heartbeat: HeartbeatService;
  /** Send, pull and route counters (exported when a registry was given). */
  readonly metrics: ClientMetrics;
  private readonly remoting: RemotingClient;
  private readonly addresses: NameServerAddressProvider;
  private readonly broker: BrokerInvoker;
  private readonly log: Logger;
  private state: State = 'new';
  private readonly adminListeners = new Set<AdminEventListener>();

  /** @throws MqError('INVALID_OPTION') for unknown or bad options, or when no name-server source is set. */
  constructor(options: ClientOptionsInput | Record<string, unknown> = {}, deps: MQClientDeps = {}) {
    this.options = resolveClientOptions(options as Record<string, unknown>);
    const o = this.options;
    this.log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'client' });
    this.clientId = buildClientId(o.clientIP, o.instanceName, o.unitName);
    this.metrics = clientMetrics(deps.registry);
    this.remoting = new RemotingClient({
      connectTimeoutMs: o.connectTimeoutMs,
      defaultTimeoutMs: o.mqClientApiTimeout,
      frameMaxLength: o.frameMaxLength,
      logger: this.log,
      registry: deps.registry,
      // An ACL account signs every request (AccessKey + Signature), as RocketMQ's AclClientRPCHook does.
      signer: o.aclAccessKey !== '' ? { accessKey: o.aclAccessKey, secretKey: o.aclSecretKey } : undefined,
    });
    // Broker-initiated requests (ref §2.1): reset offset / group deleted become admin events (onAdminEvent);
    // NOTIFY_CONSUMER_IDS_CHANGED needs nothing (no rebalancing); others get REQUEST_CODE_NOT_SUPPORTED.
    this.remoting.onRequest(serverRequestHandler(this.adminListeners, this.log.child({ part: 'server-requests' })));
    this.addresses = deps.addressProvider ?? createAddressProvider(o, this.log);
    this.routes = new RouteCache(
      { pollNameServerInterval: o.pollNameServerInterval, mqClientApiTimeout: o.mqClientApiTimeout },
      {
        remoting: this.remoting,
        addresses: this.addresses,
        logger: this.log.child({ part: 'routes' }),
        metrics: this.metrics,
      },
    );
    this.broker = new BrokerInvoker({ remoting: this.remoting, routes: this.routes }, o.mqClientApiTimeout);
    this.producer = new Producer(
      {
        producerGroup: o.producerGroup,
        createTopicKey: o.createTopicKey,
        defaultTopicQueueNums: o.defaultTopicQueueNums,
        sendMsgTimeout: o.sendMsgTimeout,
        retryTimesWhenSendFailed: o.retryTimesWhenSendFailed,
        faultAvoidanceMs: o.faultAvoidanceMs,
        busyRetryAfterMs: o.busyRetryAfterMs,
        maxMessageSize: o.maxMessageSize,
        autoCreateTopic: o.autoCreateTopic,
      },
      { remoting: this.remoting, routes: this.routes, logger: this.log.child({ part: 'producer' }), metrics: this.metrics },
    );
    this.puller = new Puller(
      { pullTimeoutMs: o.pullTimeoutMs },
      { remoting: this.remoting, routes: this.routes, logger: this.log.child({ part: 'puller' }), metrics: this.metrics },
    );
    this.offsets = new OffsetApi(this.broker);
    this.admin = new AdminApi(this.routes, this.broker, o.createTopicKey);
    this.heartbeat = new HeartbeatService(
      {
        clientId: this.clientId,
        producerGroup: o.producerGroup,
        intervalMs: o.heartbeatBrokerInterval,
        timeoutMs: o.mqClientApiTimeout,
      },
      { remoting: this.remoting, routes: this.routes, logger: this.log.child({ part: 'heartbeat' }) },
    );
  }

  /** Looks up the name servers once (failures are logged and retried by the timers) and starts the timers. */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    await this.addresses.start();
    this.routes.start();
    this.heartbeat.start();
    this.state = 'running';
    this.log.info({ clientId: this.clientId, nameServers: this.addresses.current(), source: this.addresses.describe() }, 'client started');
  }

  /** Stops the timers and closes every connection. */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.heartbeat.stop();
    // Tell brokers we are gone (bounded), so their consumer lists are right at once.
    if (wasRunning) await this.heartbeat.unregisterAll(Math.min(1000, this.options.mqClientApiTimeout));
    this.routes.stop();
    this.addresses.stop();
    await this.remoting.close();
    this.log.info({ clientId: this.clientId }, 'client stopped');
  }

  /** The name-server addresses in use. */
  nameServers(): string[] {
    return this.addresses.current();
  }

  /** Sends messages to one topic; one result per message, in order (see {@link Producer.send}). */
  send(topic: string, messages: readonly ProducerMessage[], options?: SendOptions): Promise<SendResult[]> {
    return this.producer.send(topic, messages, options);
  }

  /** Pulls from one queue (see {@link Puller.pull}). */
  pull(req: PullRequest): Promise<PullResult> {
    return this.puller.pull(req);
  }

  /** Readable queues of a topic (route fetched when not cached). */
  async subscribeQueues(topic: string): Promise<MessageQueue[]> {
    return (await this.routes.get(topic)).subscribeQueues;
  }

  /** Writable queues of a topic on broker sets with a master. */
  async publishQueues(topic: string): Promise<MessageQueue[]> {
    return (await this.routes.get(topic)).publishQueues;
  }

  getMaxOffset(q: QueueRef): Promise<number> {
    return this.offsets.getMaxOffset(q);
  }

  getMinOffset(q: QueueRef): Promise<number> {
    return this.offsets.getMinOffset(q);
  }

  searchOffsetByTimestamp(q: QueueRef, timestamp: number): Promise<number> {
    return this.offsets.searchOffsetByTimestamp(q, timestamp);
  }

  /** GET_MAX_OFFSET with the log identity and the answering broker id (see {@link OffsetApi}). */
  getMaxOffsetAnswer(q: QueueRef, o?: OffsetQueryOptions): Promise<OffsetAnswer> {
    return this.offsets.getMaxOffsetAnswer(q, o);
  }

  /** GET_MIN_OFFSET with the log identity and the answering broker id; `mode: 'master'` asks brokerId 0 only. */
  getMinOffsetAnswer(q: QueueRef, o?: OffsetQueryOptions): Promise<OffsetAnswer> {
    return this.offsets.getMinOffsetAnswer(q, o);
  }

  /** SEARCH_OFFSET_BY_TIMESTAMP with the log identity and the answering broker id. */
  searchOffsetByTimestampAnswer(q: QueueRef, timestamp: number, o?: OffsetQueryOptions): Promise<OffsetAnswer> {
    return this.offsets.searchOffsetByTimestampAnswer(q, timestamp, o);
  }

  /** QUERY_CONSUMER_OFFSET with the log identity and the answering broker id (offset -1: none stored). */
  queryConsumerOffsetAnswer(group: string, q: QueueRef, o?: OffsetQueryOptions): Promise<OffsetAnswer> {
    return this.offsets.queryConsumerOffsetAnswer(group, q, o);
  }

  getEarliestMsgStoreTime(q: QueueRef): Promise<number> {
    return this.offsets.getEarliestMsgStoreTime(q);
  }

  /** The group's offset stored on the broker, or -1 when none. */
  queryConsumerOffset(group: string, q: QueueRef): Promise<number> {
    return this.offsets.queryConsumerOffset(group, q);
  }

  updateConsumerOffset(group: string, q: QueueRef, offset: number): Promise<void> {
    return this.offsets.updateConsumerOffset(group, q, offset);
  }

  /** CONSUMER_SEND_MSG_BACK to the broker set that stores the message. */
  consumerSendMsgBack(req: SendBackRequest): Promise<void> {
    return consumerSendMsgBack(this.broker, req, this.options.mqClientApiTimeout);
  }

  /**
   * GET_ALL_DELAY_OFFSET of a broker set's master: how far its schedule service delivered each delay level
   * (level → next offset of SCHEDULE_TOPIC_XXXX queue level - 1). `topic` is one whose route names the set.
   */
  async delayOffsets(topic: string, brokerName: string): Promise<Record<number, number>> {
    const { res } = await this.broker.call('admin', topic, brokerName, 'master', () => RemotingCommand.createRequest(RequestCode.GET_ALL_DELAY_OFFSET));
    const text = res.body ? res.body.toString('utf8') : '';
    const parsed = (text === '' ? {} : parseFastJson(text)) as { offsetTable?: Record<string, unknown> };
    const out: Record<number, number> = {};
    for (const [level, off] of Object.entries(parsed.offsetTable ?? {})) {
      const n = Number(off);
      if (Number.isInteger(Number(level)) && Number.isFinite(n)) out[Number(level)] = n;
    }
    return out;
  }

  /** Makes heartbeats announce a consumer group (and its subscriptions) to every broker. */
  registerConsumerGroup(info: ConsumerGroupInfo): void {
    this.heartbeat.registerConsumerGroup(info);
  }

  unregisterConsumerGroup(group: string): void {
    this.heartbeat.unregisterConsumerGroup(group);
  }

  /**
   * Calls `listener` when a broker resets a group's offsets (mqadmin resetOffsetByTime) or deletes a group this
   * client heartbeats. Returns a function that removes the listener.
   */
  onAdminEvent(listener: AdminEventListener): () => void {
    this.adminListeners.add(listener);
    return () => this.adminListeners.delete(listener);
  }

  /** Sends a heartbeat now; resolves with the broker addresses that accepted it. */
  sendHeartbeat(): Promise<string[]> {
    return this.heartbeat.sendNow();
  }

  createTopic(req: CreateTopicRequest): Promise<string[]> {
    return this.admin.createTopic(req);
  }

  getClusterInfo(): Promise<ClusterInfo> {
    return this.admin.getClusterInfo();
  }

  /** The route of a topic, fetched now. */
  getRoute(topic: string): Promise<TopicRoute> {
    return this.admin.getRoute(topic);
  }
}
