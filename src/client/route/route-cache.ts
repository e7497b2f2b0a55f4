/**
 * The client's view of the cluster: topic routes fetched from the name servers (GET_ROUTEINFO_BY_TOPIC, ref §2.3.1,
 * §3.2), refreshed every `pollNameServerInterval` (ref §7.5) and after errors, plus calls that go to "a name
 * server" (cluster info). Name servers are tried in turn, starting with the last one that answered.
 *
 * Blue/green: when the address provider reports new name servers, every cached route is fetched again from them
 * at once. A route learned from the old name servers that the new ones cannot confirm is dropped at that refresh,
 * so the client stops sending to the old cluster.
 */
import { EventEmitter } from 'events';
import type { Logger } from 'pino';
import { MqError } from '../../common';
import { RemotingCommand, RequestCode, ResponseCode } from '../../remoting';
import type { RemotingClient } from '../../remoting';
import { encodeGetRouteInfoRequestHeader } from '../../remoting';
import type { NameServerAddressProvider } from '../address/address-provider';
import type { ClientMetrics } from '../client-metrics';
import { responseError, transportError } from '../errors';
import type { ClientOp } from '../errors';
import { parseClusterInfo, parseTopicRouteData, publishQueues, subscribeQueues } from './topic-route';
import type { BrokerData, ClusterInfo, MessageQueue, TopicRouteData } from './topic-route';

/** A cached topic route with its derived queue lists. */
export interface TopicRoute {
  topic: string;
  data: TopicRouteData;
  /** Writable queues of broker sets that have a master, sorted (ref §3.2). */
  publishQueues: MessageQueue[];
  /** Readable queues of every broker set, sorted. */
  subscribeQueues: MessageQueue[];
  /** brokerName → BrokerData. */
  brokers: Map<string, BrokerData>;
  /** When it was fetched (epoch ms). */
  updatedAt: number;
  /** The name-server generation it came from (bumped on every address change). */
  generation: number;
}

export interface RouteCacheOptions {
  /** Refresh period of every cached route, in ms. */
  pollNameServerInterval: number;
  /** Timeout of one name-server call, in ms. */
  mqClientApiTimeout: number;
  /** Shortest gap between two error-triggered refreshes of one topic, in ms. */
  minErrorRefreshGapMs?: number;
}

export interface RouteCacheDeps {
  remoting: RemotingClient;
  addresses: NameServerAddressProvider;
  logger: Logger;
  metrics?: ClientMetrics;
}

/** Builds the cached form of a route. */
export function toTopicRoute(topic: string, data: TopicRouteData, generation: number, now = Date.now()): TopicRoute {
  return {
    topic,
    data,
    publishQueues: publishQueues(topic, data),
    subscribeQueues: subscribeQueues(topic, data),
    brokers: new Map(data.brokerDatas.map((b) => [b.brokerName, b])),
    updatedAt: now,
    generation,
  };
}

export class RouteCache extends EventEmitter {
  private readonly routes = new Map<string, TopicRoute>();
  private readonly inflight = new Map<string, Promise<TopicRoute>>();
  private readonly lastErrorRefresh = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Index into the address list of the name server that answered last. */
  private nsIndex = 0;
  private generation = 0;
  private readonly onAddressChange: (next: string[], previous: string[]) => void;

  constructor(
    private readonly opts: RouteCacheOptions,
    private readonly deps: RouteCacheDeps,
  ) {
    super();
    this.onAddressChange = (next, previous) => {
      this.generation++;
      this.nsIndex = 0;
      // Connections to name servers that left the list are of no further use.
      for (const a of previous) if (!next.includes(a)) this.deps.remoting.closeChannel(a);
      this.deps.logger.info({ next, previous }, 'name servers changed; refreshing every route from the new ones');
      void this.refreshAll();
    };
  }

  /** Starts the refresh timer and follows address changes. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.addresses.on('change', this.onAddressChange);
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.deps.addresses.off('change', this.onAddressChange);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The cached route of `topic`, or undefined. */
  cached(topic: string): TopicRoute | undefined {
    return this.routes.get(topic);
  }

  /** Every cached route. */
  all(): TopicRoute[] {
    return [...this.routes.values()];
  }

  /** The cached route, fetched first when absent. Rejects TOPIC_NOT_FOUND, UNAVAILABLE, TIMEOUT, ... */
  async get(topic: string): Promise<TopicRoute> {
    return this.routes.get(topic) ?? this.refresh(topic);
  }

  /** Fetches the route now (one fetch per topic at a time) and caches it. */
  refresh(topic: string): Promise<TopicRoute> {
    const running = this.inflight.get(topic);
    if (running) return running;
    const p = this.fetch(topic).finally(() => this.inflight.delete(topic));
    this.inflight.set(topic, p);
    return p;
  }

  /**
   * Refreshes in the background after a send or pull error, at most once per `minErrorRefreshGapMs` per topic.
   * Never rejects.
   */
  refreshSoon(topic: string): void {
    const now = Date.now();
    const gap = this.opts.minErrorRefreshGapMs ?? 1000;
    if (now - (this.lastErrorRefresh.get(topic) ?? 0) < gap) return;
    this.lastErrorRefresh.set(topic, now);
    this.refresh(topic).catch((err: unknown) =>
      this.deps.logger.debug({ err, topic }, 'route refresh after an error failed'),
    );
  }

  /** Refreshes every cached route; resolves when all are done. Never rejects. */
  async refreshAll(): Promise<void> {
    const before = this.brokerAddresses();
    await Promise.all(
      [...this.routes.keys()].map((t) =>
        this.refresh(t).catch((err: unknown) => this.deps.logger.debug({ err, topic: t }, 'route refresh failed')),
      ),
    );
    // Close connections to brokers that no route mentions any more (e.g. the old cluster after blue/green).
    const after = new Set(this.brokerAddresses().map((b) => b.addr));
    for (const b of before) if (!after.has(b.addr)) this.deps.remoting.closeChannel(b.addr);
  }

  /** Every broker address in the cached routes, with its set name and id (for heartbeats). */
  brokerAddresses(): Array<{ brokerName: string; brokerId: number; addr: string; cluster: string }> {
    const seen = new Map<string, { brokerName: string; brokerId: number; addr: string; cluster: string }>();
    for (const r of this.routes.values()) {
      for (const b of r.data.brokerDatas) {
        for (const [id, addr] of Object.entries(b.brokerAddrs)) {
          seen.set(addr, { brokerName: b.brokerName, brokerId: Number(id), addr, cluster: b.cluster });
        }
      }
    }
    return [...seen.values()];
  }

  /** The BrokerData of a broker set from any cached route (the freshest one wins). */
  findBroker(brokerName: string): BrokerData | undefined {
    let best: TopicRoute | undefined;
    for (const r of this.routes.values()) {
      if (r.brokers.has(brokerName) && (!best || r.updatedAt > best.updatedAt)) best = r;
    }
    return best?.brokers.get(brokerName);
  }

  /** GET_BROKER_CLUSTER_INFO from a name server (ref §3.4). */
  async clusterInfo(): Promise<ClusterInfo> {
    const { res, addr } = await this.invokeNameServer(
      'clusterInfo',
      () => RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO),
    );
    if (res.code !== ResponseCode.SUCCESS) throw responseError('clusterInfo', `name server ${addr}`, res);
    return parseClusterInfo(res.body);
  }

  /**
   * Sends a request to the name servers in turn until one answers (any response code counts as an answer).
   * @param make builds a fresh request per attempt (each needs its own opaque).
   */
  async invokeNameServer(op: ClientOp, make: () => RemotingCommand): Promise<{ res: RemotingCommand; addr: string }> {
    const list = this.deps.addresses.current();
    if (list.length === 0) {
      throw new MqError(
        'UNAVAILABLE',
        `${op}: no name-server address known yet from ${this.deps.addresses.describe()} (check namesrvAddr / namesrvDomain / namesrvAddrServerUrl)`,
      );
    }
    const errors: string[] = [];
    let last: MqError | undefined;
    for (let i = 0; i < list.length; i++) {
      const idx = (this.nsIndex + i) % list.length;
      const addr = list[idx];
      try {
        const res = await this.deps.remoting.invokeSync(addr, make(), this.opts.mqClientApiTimeout);
        this.nsIndex = idx;
        return { res, addr };
      } catch (err) {
        last = transportError(op, `name server ${addr}`, err);
        errors.push(`${addr}: ${last.code}`);
      }
    }
    throw new MqError(
      last?.code === 'TIMEOUT' ? 'TIMEOUT' : 'UNAVAILABLE',
      `${op}: no name server answered (${errors.join(', ')}); last error: ${last?.message ?? '?'}`,
      { cause: last, details: { nameServers: list } },
    );
  }

  private async fetch(topic: string): Promise<TopicRoute> {
    const generation = this.generation;
    try {
      const { res, addr } = await this.invokeNameServer('route', () =>
        RemotingCommand.createRequest(
          RequestCode.GET_ROUTEINFO_BY_TOPIC,
          encodeGetRouteInfoRequestHeader({ topic, acceptStandardJsonOnly: true }),
        ),
      );
      this.deps.metrics?.routeRefreshes.inc({
        outcome: res.code === ResponseCode.SUCCESS ? 'ok' : res.code === ResponseCode.TOPIC_NOT_EXIST ? 'not_found' : 'error',
      });
      if (res.code === ResponseCode.TOPIC_NOT_EXIST) {
        // The topic is gone (or never existed on this cluster): forget it so nothing is sent to stale brokers.
        this.routes.delete(topic);
        throw responseError('route', `name server ${addr}`, res, { topic });
      }
      if (res.code !== ResponseCode.SUCCESS) throw responseError('route', `name server ${addr}`, res, { topic });
      const route = toTopicRoute(topic, parseTopicRouteData(res.body), generation);
      const old = this.routes.get(topic);
      this.routes.set(topic, route);
      if (!old || JSON.stringify(old.data) !== JSON.stringify(route.data)) {
        this.deps.logger.debug({ topic, route: route.data }, 'topic route changed');
        this.emit('routeChanged', topic, route, old);
      }
      return route;
    } catch (err) {
      const old = this.routes.get(topic);
      // A route learned from name servers we no longer use must not outlive a failed refresh (blue/green).
      if (old && old.generation < this.generation) {
        this.routes.delete(topic);
        this.deps.logger.info({ topic }, 'dropped a route from the previous name servers');
      }
      throw err;
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.refreshAll().then(() => this.schedule());
    }, this.opts.pollNameServerInterval);
    this.timer.unref();
  }
}
