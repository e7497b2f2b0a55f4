/**
 * GatewayController: the gateway's composition root (start/shutdown). It owns our RocketMQ client, the
 * consumer-group coordinator (memory or Redis), the send and get handlers, the offset committer and the Thrift
 * listener, and wraps every call with metrics and the one error mapping (errors.ts).
 */
import pino from 'pino';
import { MqError, sleep } from '../common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MQClient, MutableAddressProvider, createAddressProvider, resolveClientOptions } from '../client';
import type { NameServerAddressProvider } from '../client';
import { MemoryCoordinator, RedisCoordinator } from '../coord';
import type { Coordinator } from '../coord';
import { wireAdminEvents } from './admin-events';
import { Authorizer } from './auth';
import { errorCodeName, toGatewayError } from './errors';
import { GetHandler } from './get-handler';
import { GroupReader } from './group-reader';
import { GenerationManager } from './generations';
import { GatewayMetrics, TOPIC_INVALID, TOPIC_OTHER } from './metrics';
import { ReplyBudget } from './reply-budget';
import { checkRedisEviction } from './redis-policy';
import { OffsetCommitter } from './offset-committer';
import { clientOptionsOf, redisOptionsOf, resolveGatewayOptions } from './options';
import type { GatewayOptions } from './options';
import { SendHandler } from './send-handler';
import { ReceiptSigner } from './signed-receipt';
import { ThriftServer } from './thrift-server';
import type { CallContext, GatewayHandler, RefusalReason, ServerTls } from './thrift-server';
import { T } from './thrift-api';

/** What the embedding code (the CLI, `mq dev`, tests) hands to the gateway; only the CLI reads files. */
export interface GatewayDeps {
  logger?: Logger;
  registry?: Registry;
  /** Contents of the tokens file (the CLI reads authTokensFile); absent = auth off. */
  authTokensText?: string;
  /** PEM contents of tlsCertFile / tlsKeyFile (and tlsCaFile for mutual TLS), read by the CLI; absent = plain TCP. */
  tls?: ServerTls;
  /** Contents of redisPasswordFile (read by the CLI): the Redis password, used instead of one in redisUrl. */
  redisPassword?: string;
  /** A coordinator to use instead of the one the options name (tests). */
  coord?: Coordinator;
  /** Overrides the name-server address source (tests, embedding). */
  addressProvider?: NameServerAddressProvider;
}

/** Metric code of each frame or connection refusal of the Thrift server. */
const REFUSAL_CODES: Record<RefusalReason, string> = {
  too_large: 'PAYLOAD_TOO_LARGE',
  busy: 'BUSY',
  malformed: 'MALFORMED',
  invalid: 'INVALID_ARGUMENT',
  timeout: 'FRAME_TIMEOUT',
  connections: 'CONNECTION_LIMIT',
  idle: 'IDLE_CLOSED',
};

/** Lifecycle; start() and shutdown() move it forward only. */
type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** One result of the gateway's health checks (see health()). */
export interface GatewayHealthCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

/** How long one health probe may take, and how long its answer is reused (a scrape flood asks once a second). */
const HEALTH_PROBE_MS = 2000;
const HEALTH_CACHE_MS = 1000;

export class GatewayController {
  /** The resolved options (gateway, client and Redis keys). */
  readonly options: GatewayOptions;
  /** Our RocketMQ client: routes, producer, puller, offsets. Started by start(). */
  readonly client: MQClient;
  readonly metrics: GatewayMetrics;
  /** Tokens and grants; disabled when no tokens file was given. */
  readonly auth: Authorizer;
  private readonly log: Logger;
  private coord: Coordinator | undefined;
  private server: ThriftServer | undefined;
  /** Cluster generations (blue/green): one client, reader and offset writer per cluster the name servers pointed at. */
  private gens: GenerationManager | undefined;
  /** The name-server source the generations follow. */
  private readonly source: NameServerAddressProvider;
  private readonly firstProvider = new MutableAddressProvider([]);
  private state: State = 'new';
  private port = -1;
  /** send calls being served: shutdown lets them finish (bounded) so that their callers learn the outcome. */
  private pendingSends = 0;
  /** Message bytes gets are assembling (maxInflightReplyBytes). */
  readonly replyBudget: ReplyBudget;
  private healthCache: { at: number; checks: Promise<GatewayHealthCheck[]> } | undefined;

  /** @throws MqError('INVALID_OPTION') for bad options or a bad tokens file. */
  constructor(
    input: Record<string, unknown> | GatewayOptions,
    private readonly deps: GatewayDeps = {},
  ) {
    this.options = resolveGatewayOptions(input as Record<string, unknown>);
    this.log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'gateway' });
    this.metrics = new GatewayMetrics(deps.registry);
    this.replyBudget = new ReplyBudget(this.options.maxInflightReplyBytes);
    this.auth = deps.authTokensText !== undefined ? Authorizer.parse(deps.authTokensText) : Authorizer.disabled();
    const clientOptions = clientOptionsOf(this.options);
    this.source = deps.addressProvider ?? createAddressProvider(resolveClientOptions(clientOptions), (deps.logger ?? this.log).child({ component: 'client' }));
    // The first generation's client; later generations (another cluster behind the name servers) get their own.
    this.client = new MQClient(clientOptions, { logger: deps.logger, registry: deps.registry, addressProvider: this.firstProvider });
    // Topic labels only for topics the cluster routes (bounded by the cluster, not by callers).
    this.metrics.setKnownTopics((topic) => this.activeClient.routes.cached(topic) !== undefined);
  }

  /** The Redis options, with the password of redisPasswordFile when one was given. */
  private redisOptions(): Record<string, unknown> {
    const r = redisOptionsOf(this.options);
    if (this.deps.redisPassword !== undefined) {
      const url = new URL(String(r.redisUrl));
      url.password = encodeURIComponent(this.deps.redisPassword);
      r.redisUrl = url.toString();
    }
    return r;
  }

  /** True between a successful start() and shutdown(). */
  get running(): boolean {
    return this.state === 'running';
  }

  /** The client of the newest generation (sends go there). */
  get activeClient(): MQClient {
    return this.gens?.newest.client ?? this.client;
  }

  /** Generations and each group's drain progress (the `/status` endpoint). */
  status(): Record<string, unknown> {
    return { state: this.state, listenPort: this.port, ...(this.gens?.status() ?? { generations: [] }) };
  }

  /** The coordinator in use (after start). */
  get coordinator(): Coordinator | undefined {
    return this.coord;
  }

  /** Connects to coord and the name servers, then opens the Thrift port; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.state !== 'new') throw new Error(`gateway: start() called in state ${this.state}`);
    this.state = 'starting';
    const o = this.options;
    try {
      // Coord first: a Redis that cannot be reached fails the start (the operator sees it at once).
      this.coord =
        this.deps.coord ??
        (o.coord === 'redis' ? await this.connectRedis() : new MemoryCoordinator({ groupStateTtlMs: o.groupStateTtlMs }));
      // Replicas verify each other's receipts with the shared receiptSecret.
      const signer = new ReceiptSigner(o.receiptSecret);
      const coord = this.coord;
      const clientOptions = clientOptionsOf(o);
      const gensRef = (): GenerationManager => {
        if (!this.gens) throw new MqError('UNAVAILABLE', 'gateway: generations not started');
        return this.gens;
      };
      this.gens = new GenerationManager({
        source: this.source,
        coord,
        first: { client: this.client, provider: this.firstProvider },
        sendGraceMs: o.sendTimeoutMs + 1000,
        newClient: (provider) => new MQClient(clientOptions, { logger: this.deps.logger, registry: this.deps.registry, addressProvider: provider }),
        logger: this.log.child({ part: 'generations' }),
        registry: this.deps.registry,
        build: (g, gcoord) => {
          const reader = new GroupReader(
            {
              maxReconsumeTimes: o.maxReconsumeTimes,
              reclaimCheckIntervalMs: o.reclaimCheckIntervalMs,
              pullTimeoutMs: o.pullTimeoutMs,
              // One gateway without shared state: auto-acked messages are committed to the broker as the reply leaves.
              commitAutoAck: coord.kind === 'memory',
            },
            {
              client: g.client,
              coord: gcoord,
              logger: this.log.child({ part: 'reader', generation: g.id }),
              onExpired: (group, topic, n) => this.metrics.messagesExpired.inc({ group, topic: this.metrics.topicLabel(topic) }, n),
              sendToDlq: (group, topic, messages) => gensRef().sendToNewestDlq(g, group, topic, messages, o.maxReconsumeTimes),
            },
          );
          // Operator resets reach the client of the cluster they were made on (mqadmin resetOffsetByTime) and apply
          // to that generation's keys, then by time to the other open generations; group deletions remove every key.
          const unwire = wireAdminEvents(g.client, gcoord, this.log.child({ part: 'admin-events', generation: g.id }), (e) => {
            if (e.type === 'resetOffsets') void gensRef().applyReset(g, e.group, e.topic, e.timestamp);
          });
          const committer = new OffsetCommitter(o.offsetFlushIntervalMs, {
            client: g.client,
            coord: gcoord,
            metrics: this.metrics,
            logger: this.log.child({ part: 'offsets', generation: g.id }),
            logIdOf: (q) => reader.cursors.logId(q),
          });
          committer.start();
          return {
            reader,
            flush: () => committer.flush(),
            close: async () => {
              unwire();
              await committer.stop().catch((err: unknown) => this.log.warn({ err, generation: g.id }, 'last offset flush failed'));
              await g.client.shutdown().catch((err: unknown) => this.log.warn({ err, generation: g.id }, 'closing the client failed'));
            },
          };
        },
      });
      await this.gens.start();
      const gens = this.gens;
      const metrics = this.metrics;
      const auth = this.auth;
      const log = this.log;
      // Sends go to the newest generation's client, read at each call.
      const sender = new SendHandler(
        { maxMessageSize: o.maxMessageSize, maxBatchMessages: o.maxBatchMessages, sendTimeoutMs: o.sendTimeoutMs, busyRetryAfterMs: o.busyRetryAfterMs },
        {
          get client() {
            return gens.sendClient();
          },
          auth,
          metrics,
          logger: log,
        },
      );
      const getter = new GetHandler(
        { maxWaitMs: o.maxWaitMs, getMaxResponseBytes: o.getMaxResponseBytes },
        { reader: { read: (r) => gens.read(r) }, coord: this.coord, auth: this.auth, signer, metrics: this.metrics, logger: this.log },
      );
      // The generated processor calls these with one argument; every failure leaves through serve() as GatewayError.
      const handler: GatewayHandler = {
        send: (req: T.SendRequest, call?: CallContext) =>
          this.serve('send', req, () => SendHandler.topicLabel(req), () => sender.send(this.withCertificate(req, call))),
        get: (req: T.GetRequest, call?: CallContext) =>
          this.serve('get', req, () => req?.topic ?? undefined, () => {
            // Bodies count against maxInflightReplyBytes until the reply has been written.
            const reply = this.replyBudget.open();
            if (call) call.onReplied(reply.release);
            const p = getter.get(this.withCertificate(req, call), reply);
            if (!call) void p.then(reply.release, reply.release);
            return p;
          }),
      };
      this.server = new ThriftServer(
        {
          port: o.listenPort,
          host: o.listenHost,
          maxFrameBytes: o.maxMessageSize + o.frameHeadroomBytes,
          maxInflightBytes: o.maxInflightBytes,
          maxInflightBytesPerConnection: o.maxInflightBytesPerConnection,
          busyRetryAfterMs: o.busyRetryAfterMs,
          frameReadTimeoutMs: o.frameReadTimeoutMs,
          frameMinBytesPerSecond: o.frameMinBytesPerSecond,
          maxConnections: o.maxConnections,
          maxConnectionsPerAddress: o.maxConnectionsPerAddress,
          connectionIdleTimeoutMs: o.connectionIdleTimeoutMs,
          decodeLimits: { maxBatchMessages: o.maxBatchMessages },
          tls: this.deps.tls,
        },
        handler,
        {
          logger: this.log.child({ part: 'thrift' }),
          events: {
            onInflight: (bytes) => this.metrics.inflightBytes.set(bytes),
            onRefused: (reason) => this.metrics.errors.inc({ method: 'frame', topic: TOPIC_INVALID, code: REFUSAL_CODES[reason] }),
          },
        },
      );
      this.port = await this.server.start();
    } catch (err) {
      // Undo whatever did start (listener, client, coord) before reporting the failure.
      this.state = 'running';
      await this.shutdown();
      throw err;
    }
    this.state = 'running';
    this.log.info(
      { listenPort: this.port, coord: this.coord.kind, auth: this.auth.enabled, tls: this.deps.tls !== undefined, mtls: this.deps.tls?.ca !== undefined },
      'gateway started',
    );
    return this.port;
  }

  /** Closes the Thrift port, writes committed offsets to the brokers once more, then closes coord and the client. */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping' || this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    // Drain: no new connections; sends in progress get up to 5 s to answer (long-poll gets are not waited for).
    this.server?.stopAccepting();
    for (let i = 0; i < 100 && this.pendingSends > 0; i++) await sleep(50);
    await this.server?.close().catch((err: unknown) => this.log.warn({ err }, 'closing the Thrift port failed'));
    // Each generation writes its committed offsets once more, then closes its client.
    await this.gens?.stop().catch((err: unknown) => this.log.warn({ err }, 'closing the generations failed'));
    await this.coord?.close().catch((err: unknown) => this.log.warn({ err }, 'closing coord failed'));
    await this.client.shutdown().catch((err: unknown) => this.log.warn({ err }, 'closing the client failed'));
    this.state = 'stopped';
    this.log.info('gateway stopped');
  }

  /**
   * For /healthz: the gateway is healthy when it runs, at least one name server answers, at least one broker set has
   * a master (writable), and (coord=redis) Redis answers. Each failed dependency is named in `checks`.
   */
  async health(): Promise<{ ok: boolean; checks: GatewayHealthCheck[]; listenPort: number; coord: string; inflightBytes: number; inflightReplyBytes: number; connections: number }> {
    const running: GatewayHealthCheck = { name: 'gateway', ok: this.state === 'running', detail: `state ${this.state}` };
    let checks: GatewayHealthCheck[] = [];
    if (this.state === 'running') {
      const now = Date.now();
      if (!this.healthCache || now - this.healthCache.at >= HEALTH_CACHE_MS) this.healthCache = { at: now, checks: this.probe() };
      checks = await this.healthCache.checks;
    }
    const all = [running, ...checks];
    return {
      ok: all.every((c) => c.ok),
      checks: all,
      listenPort: this.port,
      coord: this.coord?.kind ?? 'none',
      inflightBytes: this.server?.inflightBytes() ?? 0,
      inflightReplyBytes: this.replyBudget.reserved,
      connections: this.server?.connectionCount() ?? 0,
    };
  }

  /** Asks the dependencies now (each bounded by HEALTH_PROBE_MS). */
  private async probe(): Promise<GatewayHealthCheck[]> {
    const bounded = <R>(p: Promise<R>): Promise<R> => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        p,
        new Promise<R>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_PROBE_MS} ms`)), HEALTH_PROBE_MS);
        }),
      ]).finally(() => clearTimeout(timer));
    };
    const client = this.activeClient;
    const cluster = bounded(client.getClusterInfo());
    const out: GatewayHealthCheck[] = [];
    try {
      const info = await cluster;
      out.push({ name: 'nameServers', ok: true, detail: client.nameServers().join(';') });
      const masters = Object.entries(info.brokerAddrTable ?? {})
        .filter(([, b]) => (b as { brokerAddrs?: Record<string, string> }).brokerAddrs?.['0'] !== undefined)
        .map(([name]) => name);
      out.push(
        masters.length > 0
          ? { name: 'writableBrokerSet', ok: true, detail: masters.join(',') }
          : { name: 'writableBrokerSet', ok: false, detail: 'no broker set with a master is registered with the name servers' },
      );
    } catch (err) {
      out.push({ name: 'nameServers', ok: false, detail: `${client.nameServers().join(';') || 'no address'}: ${(err as Error).message}` });
      out.push({ name: 'writableBrokerSet', ok: false, detail: 'unknown: no name server answered' });
    }
    if (this.coord?.kind === 'redis') {
      try {
        await bounded(this.coord.groups());
        out.push({ name: 'redis', ok: true });
      } catch (err) {
        out.push({ name: 'redis', ok: false, detail: (err as Error).message });
      }
    }
    return out;
  }

  /** Replaces the tokens (SIGHUP or a changed authTokensFile); throws INVALID_OPTION for a bad file (the old stay). */
  reloadAuth(text: string): void {
    this.auth.replaceWith(Authorizer.parse(text));
    this.log.info({ principals: this.auth.size }, 'auth tokens reloaded');
  }

  /** Replaces the TLS certificate, key and CA for new connections (SIGHUP or changed files). */
  reloadTls(material: ServerTls): void {
    this.server?.reloadTls(material);
    this.log.info('TLS material reloaded');
  }

  /** Writes committed offsets to the brokers now (tests, admin). */
  flushOffsets(): Promise<void> {
    return this.gens?.flush() ?? Promise.resolve();
  }

  /** With mutual TLS, a call without a token authenticates as the principal its certificate names. */
  private withCertificate<Q extends T.SendRequest | T.GetRequest>(req: Q, call: CallContext | undefined): Q {
    if (call?.peerSubject && this.auth.enabled && req && (req.auth === undefined || req.auth === null || req.auth === '')) {
      req.auth = Authorizer.certificateToken(call.peerSubject);
    }
    return req;
  }

  /**
   * The topic label of a call, chosen once it is over: the request's topic only when the caller authenticated and
   * the topic has a route; `(other)` otherwise (strangers cannot grow the label set).
   */
  private labelOf(req: T.SendRequest | T.GetRequest | null | undefined, topic: string | undefined): string {
    if (topic === undefined) return TOPIC_INVALID;
    try {
      this.auth.authenticate(req?.auth);
    } catch {
      return TOPIC_OTHER;
    }
    return this.metrics.topicLabel(topic);
  }

  /** Runs one call with metrics; every failure leaves as a GatewayError. */
  private async serve<R>(
    method: 'send' | 'get',
    req: T.SendRequest | T.GetRequest | null | undefined,
    topicOf: () => string | undefined,
    fn: () => Promise<R>,
  ): Promise<R> {
    const end = this.metrics.latency.startTimer({ method });
    if (method === 'send') this.pendingSends++;
    let code: string | undefined;
    try {
      return await fn();
    } catch (err) {
      const ge = toGatewayError(err, this.options.busyRetryAfterMs);
      code = errorCodeName(ge.code);
      if (ge.code === T.ErrorCode.INTERNAL) this.log.error({ err, method }, 'internal error');
      else this.log.debug({ method, code, err: ge.message }, 'call failed');
      throw ge;
    } finally {
      if (method === 'send') this.pendingSends--;
      const topic = this.labelOf(req, topicOf());
      this.metrics.requests.inc({ method, topic });
      if (code !== undefined) this.metrics.errors.inc({ method, topic, code });
      end({ topic });
    }
  }

  /** Connects the Redis coordinator after checking that Redis will not evict its keys. */
  private async connectRedis(): Promise<Coordinator> {
    const opts = this.redisOptions();
    await checkRedisEviction(opts, this.log);
    return RedisCoordinator.connect(opts, { logger: this.log, groupStateTtlMs: this.options.groupStateTtlMs });
  }
}
