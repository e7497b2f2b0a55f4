/**
 * BrokerController: the broker's composition root (start/shutdown). It owns the store (unless one is injected),
 * the remoting server with every processor, the send queue, long polling, delayed delivery, offset and topic
 * persistence, metrics and registration with the name servers.
 */
import path from 'path';
import type pino from 'pino';
import type { Registry } from 'prom-client';
import { MqError, acquireDirLock } from '../common';
import type { DirLock } from '../common';
import type { MessageStore } from '../store';
import { RemotingClient, RemotingServer, authHook, clusterAuthCheck, notSupportedRemark } from '../remoting';
import type { Channel, Processor } from '../remoting';
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import { checkAcl } from './acl/plain-acl';
import type { PlainAclConfig } from './acl/plain-acl';
import { adminProcessors } from './admin-processor';
import { brokerHealth } from './health';
import type { BrokerHealthReport } from './health';
import { BrokerStatsManager } from './broker-stats-manager';
import type { OpsContext } from './ops-context';
import { lagEntries, opsRuntimeInfo, opsMetricSources } from './ops-runtime';
import { processors as resetOffsetProcessors } from './reset-offset-processor';
import { processors as statsProcessors } from './stats-processor';
import { processors as subscriptionGroupProcessors } from './subscription-group-processor';
import { StatsLogService } from './stats-log-service';
import { SubscriptionGroupManager } from './subscription-group-manager';
import { clientProcessors, notifyConsumerIdsChanged } from './client-processor';
import { storeOptionsOf } from './config';
import { CONFIG_OVERRIDES_FILE, applyConfigOverrides, persistConfigOverrides } from './config-overrides';
import type { BrokerConfig } from './config';
import { ConsumerManager } from './consumer-manager';
import { ConsumerOffsetManager } from './consumer-offset-manager';
import { LogIdentity } from './log-identity';
import { BrokerMetrics } from './metrics';
import { offsetProcessors } from './offset-processor';
import { parseDelayLevels } from './options';
import { PullHoldService } from './pull-hold-service';
import { PullProcessor } from './pull-processor';
import { queryProcessors } from './query-processor';
import { RebalanceLockManager, lockProcessors } from './rebalance-lock-manager';
import { RegistrationService } from './registration-service';
import { ScheduleService } from './schedule-service';
import { SendBackProcessor } from './send-back-processor';
import { SendProcessor } from './send-processor';
import { SendQueue } from './send-queue';
import type { BrokerStore } from './store-api';
import { TopicConfigManager } from './topic-config-manager';
import { DLQ_GROUP_TOPIC_PREFIX } from './topic-validator';
import { HaController, brokerSyncTarget, masterSyncProcessors, pickHaOptions, pickSlaveSyncOptions } from './ha';

/** Injected collaborators: the process logger and Registry (never the global one), optionally a store. */
export interface BrokerDeps {
  logger: pino.Logger;
  registry?: Registry;
  /** A store to use instead of building one from the config (tests wrap or fake it). Not shut down by the broker. */
  store?: BrokerStore;
  /** The parsed plain_acl.yml (src/cli reads the file); required when aclEnable=true. */
  acl?: PlainAclConfig;
}

/** Ports and names once started. */
export interface BrokerAddress {
  listenPort: number;
  haListenPort: number;
  brokerAddr: string;
}

/**
 * One broker process: `new BrokerController(resolveBrokerConfig(input), { logger, registry })`, then `start()`
 * (resolves with the bound ports once registered) and `shutdown()` (idempotent).
 */
export class BrokerController {
  readonly config: BrokerConfig;
  private readonly logger: pino.Logger;
  private readonly registry?: Registry;
  private ownedStore?: MessageStore;
  private store!: BrokerStore;
  private server?: RemotingServer;
  private client?: RemotingClient;
  private registration?: RegistrationService;
  private schedule?: ScheduleService;
  private holds?: PullHoldService;
  private ha?: HaController;
  private sendQueue?: SendQueue;
  private ctx?: OpsContext;
  private statsLog?: StatsLogService;
  private address?: BrokerAddress;
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | null = null;
  /** The exclusive lock on storePathRootDir while this broker owns its store. */
  private storeLock?: DirLock;

  constructor(
    config: BrokerConfig,
    private readonly deps: BrokerDeps,
  ) {
    this.config = config;
    this.logger = deps.logger.child({ component: 'broker', brokerName: config.brokerName });
    this.registry = deps.registry;
  }

  /** Loads the store and metadata, binds the port, registers with the name servers. */
  async start(): Promise<BrokerAddress> {
    const cfg = this.config;
    if (cfg.aclEnable && !this.deps.acl) {
      throw new MqError('INVALID_OPTION', 'broker: aclEnable=true needs the accounts of aclFile (a plain_acl.yml-format file)', {
        details: { option: 'aclFile' },
      });
    }
    // Live changes made before a restart (a write freeze, brokerPermission=4) stay in force.
    const overrides = applyConfigOverrides(cfg);
    if (Object.keys(overrides).length > 0) this.logger.info({ overrides, file: CONFIG_OVERRIDES_FILE }, 'stored live configuration changes applied');
    if (this.deps.store) {
      this.store = this.deps.store;
    } else {
      // One writer per store directory: a second process on the same storePathRootDir exits here, before it reads
      // or writes anything (two writers lose acknowledged messages).
      this.storeLock = await acquireDirLock(cfg.storePathRootDir, `broker ${cfg.brokerName}`);
      // Loaded on demand: tests that inject a store never load the store module.
      const { MessageStore: Store } = await import('../store/message-store');
      const store = new Store(storeOptionsOf(cfg), { logger: this.logger, registry: this.registry });
      const clean = await store.load();
      if (!clean) this.logger.warn('store recovered after an abnormal shutdown');
      await store.start();
      this.ownedStore = store;
      this.store = store;
    }
    // Metadata: topics.json and consumerOffset.json under storePathRootDir/config (ref §5.10).
    const topics = new TopicConfigManager(cfg);
    await topics.load();
    const offsets = new ConsumerOffsetManager(cfg.storePathRootDir);
    await offsets.load();
    const metrics = new BrokerMetrics(this.registry);
    // The store's identity (created with a master's store, copied by a slave from its master) and topic epochs.
    const identity = new LogIdentity(cfg.storePathRootDir, cfg.brokerRole === 'SLAVE', {
      logger: this.logger,
      storeEmpty: () => this.store.getMaxPhyOffset() === 0,
      topicEpoch: (topic) => {
        const tc = topics.get(topic);
        return tc ? tc.topicEpoch : null;
      },
      // Never append another master's log after this one's: stop replicating until the slave is rebuilt.
      onConflict: () => void this.ha?.client?.shutdown(),
    });
    await identity.start();
    const groups = new SubscriptionGroupManager(cfg.storePathRootDir);
    await groups.load();
    const stats = new BrokerStatsManager(cfg.brokerClusterName);
    metrics.attachStats(stats);
    const ctx: OpsContext = {
      stats,
      groups,
      config: cfg,
      store: this.store,
      topics,
      offsets,
      consumers: new ConsumerManager<Channel>(),
      storeHost: { ip: cfg.brokerIP1, port: cfg.listenPort },
      delayLevels: parseDelayLevels(cfg.messageDelayLevel),
      metrics,
      identity,
      logger: this.logger,
      registerNow: () => this.registration?.registerAll() ?? Promise.resolve(),
    };
    this.ctx = ctx;

    // Every send and send-back waits in one bounded queue (ref §6.1); pulls and admin requests never do.
    const sendQueue = new SendQueue(cfg, this.store, (reason) => metrics.flowControlRejects.inc({ reason }));
    this.sendQueue = sendQueue;
    const holds = new PullHoldService(
      (t, q) => this.store.getMaxOffsetInQueue(t, q),
      (err) => this.logger.warn({ err }, 'held pull failed'),
    );
    this.holds = holds;
    const sender = new SendProcessor(ctx, sendQueue);
    const sendBack = new SendBackProcessor(ctx, sendQueue, sender);
    const puller = new PullProcessor(ctx, holds);

    // As RocketMQ: bind bindAddress (all interfaces by default), advertise brokerIP1.
    const server = new RemotingServer({
      listenPort: cfg.listenPort,
      host: cfg.bindAddress,
      frameMaxLength: cfg.frameMaxLength,
      idleTimeoutMs: cfg.serverChannelMaxIdleTimeSeconds * 1000,
      name: 'broker',
      logger: this.logger,
      registry: this.registry,
    });
    this.server = server;
    // Authentication happens once, before dispatch, for every code (processors never see a refused request): the
    // cluster secret for registration/admin codes and cluster members, then the RocketMQ ACL for everyone else.
    const acl = cfg.aclEnable ? this.deps.acl : undefined;
    if (cfg.clusterSecret !== '' || acl) {
      server.setRequestHook(authHook(clusterAuthCheck(cfg.clusterSecret, acl ? (req, addr) => checkAcl(acl, req, addr) : undefined)));
    }
    const reg = (code: number, p: Processor): void => server.registerProcessor(code, p);
    reg(RequestCode.SEND_MESSAGE, sender.process);
    reg(RequestCode.SEND_MESSAGE_V2, sender.process);
    reg(RequestCode.SEND_BATCH_MESSAGE, sender.process);
    reg(RequestCode.CONSUMER_SEND_MSG_BACK, sendBack.process);
    reg(RequestCode.PULL_MESSAGE, puller.process);
    reg(RequestCode.LITE_PULL_MESSAGE, puller.process);
    const tables = [
      offsetProcessors(ctx),
      clientProcessors(ctx),
      queryProcessors(ctx),
      lockProcessors(new RebalanceLockManager()),
      statsProcessors(ctx),
      subscriptionGroupProcessors(ctx),
      resetOffsetProcessors(ctx),
      adminProcessors(ctx, {
        onConfigChanged: (changed) => this.applyLive(changed),
        runtimeInfo: () => this.runtimeInfo(),
        delayOffsets: () => this.schedule?.offsetTable() ?? {},
      }),
    ];
    for (const t of tables) for (const [code, p] of t) reg(code, p);
    // A slave copies consumer offsets from its master (ref §8.1).
    for (const [code, p] of masterSyncProcessors(offsets)) reg(code, p);
    // Unknown codes: REQUEST_CODE_NOT_SUPPORTED, as AdminBrokerProcessor answers (ref §1.6).
    server.setDefaultProcessor((req) => RemotingCommand.createResponse(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, notSupportedRemark(req.code)));
    // Connection-scoped state: held pulls and group membership die with the connection.
    server.on('close', (ch) => {
      holds.channelClosed(ch.id);
      for (const group of ctx.consumers.channelClosed(ch.id)) notifyConsumerIdsChanged(ctx, group);
    });

    const listenPort = await server.start();
    // STOREHOST in records and offset msgIds must name the port clients really use (listenPort may be 0).
    ctx.storeHost = { ip: cfg.brokerIP1, port: listenPort };
    // RocketMQ forces haListenPort = listenPort + 1. When the remoting port was chosen by the OS (listenPort=0),
    // bound + 1 may belong to another process, so the HA port is chosen by the OS as well.
    let haListenPort = cfg.haListenPort >= 0 ? cfg.haListenPort : cfg.listenPort === 0 ? 0 : listenPort + 1;
    // Replication (src/broker/ha) needs the real store: a master serves the HA port, a slave copies from its master.
    if (this.ownedStore) {
      this.ha = new HaController(
        { brokerRole: cfg.brokerRole, ha: pickHaOptions(cfg, haListenPort, cfg.bindAddress), slaveSync: pickSlaveSyncOptions(cfg) },
        {
          logger: this.logger,
          registry: this.registry,
          store: this.ownedStore,
          client: (this.client = this.newClient()),
          target: brokerSyncTarget(topics, offsets, identity),
          masterAddresses: () => this.registration?.lastResponse,
          // A slave holding data under an identity replicates only from a master confirmed to hold that log.
          needsLogCheck: () => identity.storeId !== undefined && this.store.getMaxPhyOffset() > 0,
        },
      );
      await this.ha.start();
      if (this.ha.haPort > 0) haListenPort = this.ha.haPort;
    }
    this.address = { listenPort, haListenPort, brokerAddr: `${cfg.brokerIP1}:${listenPort}` };

    // Long polling wakes on every dispatched record (ref §9); no busy polling.
    this.store.onArrival((topic, queueId, nextOffset, tagsCode) => {
      holds.notifyArrival(topic, queueId, nextOffset, tagsCode);
      this.ha?.notifyNewData();
    });
    holds.start(cfg.pullHoldRecheckMills);
    const statsFile = String(cfg.statsLogFile) === 'off' ? '' : cfg.statsLogFile || path.join(cfg.storePathRootDir, 'logs', 'stats.log');
    this.statsLog = new StatsLogService(stats, statsFile, this.logger);
    this.statsLog.start();
    sendQueue.start();
    offsets.startAutoPersist(cfg.flushConsumerOffsetInterval, (err) => this.logger.warn({ err }, 'consumerOffset write failed'));
    if (cfg.brokerRole !== 'SLAVE') {
      this.schedule = new ScheduleService(this.store, ctx.delayLevels, cfg.storePathRootDir, (m) => sender.put(m), this.logger);
      await this.schedule.load();
      this.schedule.start(cfg.flushDelayOffsetInterval);
    }
    // Scrape-time gauges read live state; nothing is sampled on a timer.
    metrics.bind({
      lockHoldMs: () => this.store.lockHoldMs(),
      sendQueueSize: () => sendQueue.size(),
      sendQueueHeadWaitMs: () => sendQueue.takeMaxHeadWaitMs(),
      heldPulls: () => holds.size(),
      // Master facts only (a slave's offsets are copies): see BrokerMetrics.
      consumerLag: () => (cfg.brokerRole === 'SLAVE' ? [] : lagEntries(ctx)),
      dlqDepth: () =>
        topics
          .all()
          .filter((t) => t.topicName.startsWith(DLQ_GROUP_TOPIC_PREFIX))
          .map((t) => ({
            topic: t.topicName,
            depth: this.store.getMaxOffsetInQueue(t.topicName, 0) - this.store.getMinOffsetInQueue(t.topicName, 0),
          })),
      storePath: () => cfg.storePathRootDir,
      commitLogBytes: () => this.store.getMaxPhyOffset() - this.store.getMinPhyOffset(),
      ...(cfg.brokerRole === 'SLAVE' ? {} : opsMetricSources(ctx)),
      info: () => ({ cluster: cfg.brokerClusterName, brokerName: cfg.brokerName, brokerId: cfg.brokerId, role: cfg.brokerRole }),
    });

    // Registration comes last: routes only point here once every processor is ready.
    const namesrvAddrs = cfg.namesrvAddr
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    this.client ??= this.newClient();
    this.registration = new RegistrationService(
      this.client,
      namesrvAddrs,
      {
        clusterName: cfg.brokerClusterName,
        brokerName: cfg.brokerName,
        brokerId: cfg.brokerId,
        brokerAddr: this.address.brokerAddr,
        haServerAddr: `${cfg.brokerIP1}:${haListenPort}`,
      },
      () => this.registerBody(),
      cfg.registerBrokerTimeoutMills,
      this.logger,
    );
    await this.registration.start(cfg.registerNameServerPeriod);
    this.logger.info({ ...this.address, namesrvAddrs }, 'broker started');
    return this.address;
  }

  /** The broker's outgoing client: its requests carry the cluster signature when clusterSecret is set. */
  private newClient(): RemotingClient {
    const cfg = this.config;
    return new RemotingClient({
      logger: this.logger,
      defaultTimeoutMs: cfg.registerBrokerTimeoutMills,
      signer: cfg.clusterSecret !== '' ? { clusterSecret: cfg.clusterSecret } : undefined,
    });
  }

  /** RegisterBrokerBody JSON (ref §3.3); topics carry the broker permission when it is not RW. */
  private registerBody(): Buffer {
    const wrapper = this.ctx!.topics.serializeWrapper(this.config.brokerPermission);
    return Buffer.from(JSON.stringify({ topicConfigSerializeWrapper: wrapper, filterServerList: [] }), 'utf8');
  }

  private applyLive(changed: Record<string, unknown>): void {
    const cfg = this.config;
    // Stored before the change reaches the name servers; a failure to store it fails the request.
    persistConfigOverrides(cfg.storePathRootDir, changed);
    this.sendQueue?.updateOptions({
      sendThreadPoolQueueCapacity: cfg.sendThreadPoolQueueCapacity,
      sendMessageThreadPoolNums: cfg.sendMessageThreadPoolNums,
      waitTimeMillsInSendQueue: cfg.waitTimeMillsInSendQueue,
      brokerFastFailureEnable: cfg.brokerFastFailureEnable,
    });
    const storeKeys: Record<string, unknown> = {};
    for (const k of ['osPageCacheBusyTimeOutMills', 'maxMessageSize']) if (k in changed) storeKeys[k] = changed[k];
    if (Object.keys(storeKeys).length > 0) this.store.updateOptions?.(storeKeys);
    // Routes carry the broker permission on every topic (ref §7.1): tell the name servers now.
    if ('brokerPermission' in changed) {
      // A new data version, or the name servers keep the topics' old permission (they skip unchanged versions).
      this.ctx?.topics.touch();
      void this.registration?.registerAll();
    }
  }

  private runtimeInfo(): Record<string, string> {
    const s = this.store;
    const q = this.sendQueue!;
    const counts = this.ctx!.consumers.counts();
    return {
      brokerVersionDesc: 'V4_9_8',
      brokerVersion: '409',
      brokerName: this.config.brokerName,
      brokerRole: this.config.brokerRole,
      bootTimestamp: String(this.startedAt),
      commitLogMinOffset: String(s.getMinPhyOffset()),
      commitLogMaxOffset: String(s.getMaxPhyOffset()),
      sendThreadPoolQueueSize: String(q.size()),
      sendThreadPoolQueueCapacity: String(q.options().sendThreadPoolQueueCapacity),
      sendThreadPoolQueueHeadWaitTimeMills: String(q.headWaitMs()),
      pageCacheLockTimeMills: String(s.lockHoldMs()),
      pullHeldCount: String(this.holds!.size()),
      consumerGroups: String(counts.consumerGroups),
      consumers: String(counts.consumers),
      producers: String(counts.producers),
      scheduleMessageOffset: JSON.stringify(this.schedule?.offsetTable() ?? {}),
      ...opsRuntimeInfo(this.ctx!, this.statsLog!, this.startedAt),
    };
  }

  /** The /healthz report (see health.ts): store writable, disk, name-server registration, replication. */
  health(): BrokerHealthReport {
    const cfg = this.config;
    if (!this.address) return { ok: false, checks: [{ name: 'started', ok: false, detail: 'broker is starting or stopped' }] };
    const reg = this.registration;
    const owned = this.ownedStore;
    return brokerHealth({
      storePathRootDir: cfg.storePathRootDir,
      diskSpaceWarningLevelRatio: cfg.diskSpaceWarningLevelRatio,
      registerNameServerPeriod: cfg.registerNameServerPeriod,
      registerBrokerTimeoutMills: cfg.registerBrokerTimeoutMills,
      brokerRole: cfg.brokerRole,
      storeProblem: () => {
        if (!owned) return undefined;
        if (owned.commitLog.failed) return `commit-log write failed: ${String((owned.commitLog.failed as Error).message ?? owned.commitLog.failed)}`;
        if (owned.diskFull) return 'disk full guard is on: puts are refused';
        return undefined;
      },
      nameServers: reg?.nameServers ?? [],
      lastSuccessAt: reg?.lastSuccessAt ?? new Map(),
      lastFailure: reg?.lastFailure ?? new Map(),
      replicationOk: () => {
        const ha = this.ha;
        if (!ha) return false;
        if (ha.service) return ha.service.isSlaveOK(this.store.getMaxPhyOffset());
        return ha.client?.status === 'connected';
      },
    });
  }

  /** The bound ports (after start). */
  addr(): BrokerAddress {
    if (!this.address) throw new Error('broker not started');
    return this.address;
  }

  /**
   * Clean shutdown: unregister, answer held pulls, close the port, flush metadata, shut the store down. Every step
   * runs even when an earlier one fails (a failure is logged): the store is always flushed and its lock released.
   */
  shutdown(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      const step = async (name: string, fn: () => unknown): Promise<void> => {
        try {
          await fn();
        } catch (err) {
          this.logger.error({ err, step: name }, 'broker shutdown step failed; continuing');
        }
      };
      // Unregister first so that clients stop routing here, then stop serving, then persist, then the store.
      await step('unregister', () => this.registration?.shutdown());
      await step('wake held pulls', () => this.holds?.wakeAll());
      await step('stop send queue', () => this.sendQueue?.stop());
      await step('close remoting port', () => this.server?.close());
      await step('drain send queue', () => this.sendQueue?.drain('broker is shutting down'));
      await step('schedule service', () => this.schedule?.shutdown());
      await step('stats log', () => this.statsLog?.shutdown());
      await step('HA', () => this.ha?.shutdown());
      await step('write consumerOffset.json', () => this.ctx?.offsets.close());
      await step('write topics.json', () => this.ctx?.topics.flush());
      await step('write subscriptionGroup.json', () => this.ctx?.groups.flush());
      await step('close remoting client', () => this.client?.close());
      if (this.ownedStore) await step('store shutdown', () => this.ownedStore!.shutdown());
      this.storeLock?.release();
      this.logger.info('broker stopped');
    })();
    return this.stopping;
  }
}
