/**
 * GatewayController: the gateway's composition root (start/shutdown). It owns our RocketMQ client, the
 * consumer-group coordinator (memory or Redis), the send and get handlers, the offset committer and the Thrift
 * listener, and wraps every call with metrics and the one error mapping (errors.ts).
 */
import pino from 'pino';
import { sleep } from '../common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MQClient } from '../client';
import type { NameServerAddressProvider } from '../client';
import { MemoryCoordinator, RedisCoordinator } from '../coord';
import type { Coordinator } from '../coord';
import { wireAdminEvents } from './admin-events';
import { Authorizer } from './auth';
import { errorCodeName, toGatewayError } from './errors';
import { GetHandler } from './get-handler';
import { GroupReader } from './group-reader';
import { GatewayMetrics, TOPIC_INVALID } from './metrics';
import { OffsetCommitter } from './offset-committer';
import { clientOptionsOf, redisOptionsOf, resolveGatewayOptions } from './options';
import type { GatewayOptions } from './options';
import { SendHandler } from './send-handler';
import { ReceiptSigner } from './signed-receipt';
import { ThriftServer } from './thrift-server';
import type { GatewayHandler } from './thrift-server';
import { T } from './thrift-api';

/** What the embedding code (the CLI, `mq dev`, tests) hands to the gateway; only the CLI reads files. */
export interface GatewayDeps {
  logger?: Logger;
  registry?: Registry;
  /** Contents of the tokens file (the CLI reads authTokensFile); absent = auth off. */
  authTokensText?: string;
  /** PEM contents of tlsCertFile / tlsKeyFile (read by the CLI); absent = plain TCP. */
  tls?: { cert: Buffer; key: Buffer };
  /** A coordinator to use instead of the one the options name (tests). */
  coord?: Coordinator;
  /** Overrides the name-server address source (tests, embedding). */
  addressProvider?: NameServerAddressProvider;
}

/** Lifecycle; start() and shutdown() move it forward only. */
type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Topic names used as metric labels; anything else is labelled TOPIC_INVALID (bounded label values). */
const TOPIC_LABEL_RE = /^[%|a-zA-Z0-9_-]{1,127}$/;

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
  private committer: OffsetCommitter | undefined;
  private reader: GroupReader | undefined;
  private state: State = 'new';
  private port = -1;
  /** send calls being served: shutdown lets them finish (bounded) so that their callers learn the outcome. */
  private pendingSends = 0;

  /** @throws MqError('INVALID_OPTION') for bad options or a bad tokens file. */
  constructor(
    input: Record<string, unknown> | GatewayOptions,
    private readonly deps: GatewayDeps = {},
  ) {
    this.options = resolveGatewayOptions(input as Record<string, unknown>);
    this.log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'gateway' });
    this.metrics = new GatewayMetrics(deps.registry);
    this.auth = deps.authTokensText !== undefined ? Authorizer.parse(deps.authTokensText) : Authorizer.disabled();
    this.client = new MQClient(clientOptionsOf(this.options), {
      logger: deps.logger,
      registry: deps.registry,
      addressProvider: deps.addressProvider,
    });
  }

  /** True between a successful start() and shutdown(). */
  get running(): boolean {
    return this.state === 'running';
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
        (o.coord === 'redis' ? await RedisCoordinator.connect(redisOptionsOf(o), { logger: this.log }) : new MemoryCoordinator());
      await this.client.start();
      // Replicas verify each other's receipts with the shared receiptSecret.
      const signer = new ReceiptSigner(o.receiptSecret);
      this.reader = new GroupReader(
        { maxReconsumeTimes: o.maxReconsumeTimes, reclaimCheckIntervalMs: o.reclaimCheckIntervalMs, pullTimeoutMs: o.pullTimeoutMs },
        { client: this.client, coord: this.coord, logger: this.log.child({ part: 'reader' }) },
      );
      const sender = new SendHandler(
        { maxMessageSize: o.maxMessageSize, maxBatchMessages: o.maxBatchMessages, sendTimeoutMs: o.sendTimeoutMs, busyRetryAfterMs: o.busyRetryAfterMs },
        { client: this.client, auth: this.auth, metrics: this.metrics, logger: this.log },
      );
      const getter = new GetHandler(
        { maxWaitMs: o.maxWaitMs, getMaxResponseBytes: o.getMaxResponseBytes },
        { reader: this.reader, coord: this.coord, auth: this.auth, signer, metrics: this.metrics, logger: this.log },
      );
      // The generated processor calls these with one argument; every failure leaves through serve() as GatewayError.
      const handler: GatewayHandler = {
        send: (req: T.SendRequest) => this.serve('send', SendHandler.topicLabel(req), () => sender.send(req)),
        get: (req: T.GetRequest) => this.serve('get', req?.topic ?? undefined, () => getter.get(req)),
      };
      this.server = new ThriftServer(
        {
          port: o.listenPort,
          host: o.listenHost,
          maxFrameBytes: o.maxMessageSize + o.frameHeadroomBytes,
          maxInflightBytes: o.maxInflightBytes,
          maxInflightBytesPerConnection: o.maxInflightBytesPerConnection,
          busyRetryAfterMs: o.busyRetryAfterMs,
          tls: this.deps.tls,
        },
        handler,
        {
          logger: this.log.child({ part: 'thrift' }),
          events: {
            onInflight: (bytes) => this.metrics.inflightBytes.set(bytes),
            onRefused: (reason) =>
              this.metrics.errors.inc({ method: 'frame', topic: TOPIC_INVALID, code: reason === 'too_large' ? 'PAYLOAD_TOO_LARGE' : reason === 'busy' ? 'BUSY' : 'MALFORMED' }),
          },
        },
      );
      this.port = await this.server.start();
      this.committer = new OffsetCommitter(o.offsetFlushIntervalMs, {
        client: this.client,
        coord: this.coord,
        metrics: this.metrics,
        logger: this.log.child({ part: 'offsets' }),
      });
      this.committer.start();
      // Operator resets and group deletions reach us from the brokers (mqadmin resetOffsetByTime, deleteSubGroup).
      wireAdminEvents(this.client, this.coord, this.log.child({ part: 'admin-events' }));
    } catch (err) {
      // Undo whatever did start (listener, client, coord) before reporting the failure.
      this.state = 'running';
      await this.shutdown();
      throw err;
    }
    this.state = 'running';
    this.log.info(
      { listenPort: this.port, coord: this.coord.kind, auth: this.auth.enabled, tls: this.deps.tls !== undefined },
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
    await this.committer?.stop().catch((err: unknown) => this.log.warn({ err }, 'last offset flush failed'));
    await this.coord?.close().catch((err: unknown) => this.log.warn({ err }, 'closing coord failed'));
    await this.client.shutdown().catch((err: unknown) => this.log.warn({ err }, 'closing the client failed'));
    this.state = 'stopped';
    this.log.info('gateway stopped');
  }

  /** For /healthz. */
  health(): { ok: boolean; listenPort: number; coord: string; inflightBytes: number; connections: number } {
    return {
      ok: this.state === 'running',
      listenPort: this.port,
      coord: this.coord?.kind ?? 'none',
      inflightBytes: this.server?.inflightBytes() ?? 0,
      connections: this.server?.connectionCount() ?? 0,
    };
  }

  /** Writes committed offsets to the brokers now (tests, admin). */
  flushOffsets(): Promise<void> {
    return this.committer?.flush() ?? Promise.resolve();
  }

  /** Runs one call with metrics; every failure leaves as a GatewayError. */
  private async serve<R>(method: 'send' | 'get', topic: string | undefined, fn: () => Promise<R>): Promise<R> {
    const label = topic !== undefined && (TOPIC_LABEL_RE.test(topic) || topic.startsWith('(')) ? topic : TOPIC_INVALID;
    const end = this.metrics.latency.startTimer({ method, topic: label });
    this.metrics.requests.inc({ method, topic: label });
    if (method === 'send') this.pendingSends++;
    try {
      return await fn();
    } catch (err) {
      const ge = toGatewayError(err, this.options.busyRetryAfterMs);
      this.metrics.errors.inc({ method, topic: label, code: errorCodeName(ge.code) });
      if (ge.code === T.ErrorCode.INTERNAL) this.log.error({ err, method, topic: label }, 'internal error');
      else this.log.debug({ method, topic: label, code: errorCodeName(ge.code), err: ge.message }, 'call failed');
      throw ge;
    } finally {
      if (method === 'send') this.pendingSends--;
      end();
    }
  }
}
