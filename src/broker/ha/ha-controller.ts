/**
 * HaController: the one object a broker needs for master/slave replication. By role it runs
 *   - ASYNC_MASTER / SYNC_MASTER: the {@link HAService} (HA listener, streaming, store.replicationWaiter);
 *   - SLAVE: the {@link HAClient} (replication) and {@link SlaveSynchronize} (topics + consumer offsets).
 *
 * Broker wiring (BrokerController.start, after the remoting port is bound and the registration service exists):
 *
 *   const ha = new HaController(
 *     { brokerRole: cfg.brokerRole, ha: pickHaOptions(cfg, haListenPort) },
 *     { logger, registry, store, client: remotingClient, target: brokerSyncTarget(topics, offsets),
 *       masterAddresses: () => registration.lastResponse },
 *   );
 *   await ha.start();              // binds haListenPort on a master
 *   ...
 *   await ha.shutdown();           // in BrokerController.shutdown, before the store shuts down
 *
 * A slave learns its master from `masterAddresses()` (REGISTER_BROKER's haServerAddr/masterAddr, ref §8.1), polled
 * every second, or from the haMasterAddress option.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MqError } from '../../common';
import { HAClient } from './ha-client';
import { resolveHaOptions } from './ha-options';
import type { HaOptions } from './ha-options';
import { HAService } from './ha-service';
import type { HAStore } from './ha-store';
import { DEFAULT_EPOCH } from '../../store/store-identity';
import { SlaveSynchronize } from './slave-synchronize';
import type { OffsetEntry, SlaveSyncTarget, SyncInvoker } from './slave-synchronize';
import type { TopicConfig } from '../topic-config-manager';

export type BrokerRole = 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE';

export interface HaControllerOptions {
  brokerRole: string;
  /** HA options (HA_OPTION_SPEC keys), with the broker's resolved haListenPort. */
  ha: Record<string, unknown> | HaOptions;
  /** SlaveSynchronize options (SLAVE_SYNC_OPTION_SPEC keys). */
  slaveSync?: Record<string, unknown>;
}

/** The master's addresses as a slave's REGISTER_BROKER answer carries them. */
export interface MasterAddresses {
  haServerAddr?: string;
  masterAddr?: string;
}

export interface HaControllerDeps {
  logger: Logger;
  registry?: Registry;
  store: HAStore;
  /** Remoting client for the slave's metadata sync (the broker's RemotingClient). */
  client?: SyncInvoker;
  /** The broker tables the slave sync writes (see {@link brokerSyncTarget}). */
  target?: SlaveSyncTarget;
  /** Latest REGISTER_BROKER answer, e.g. `() => registration.lastResponse`. */
  masterAddresses?: () => MasterAddresses | undefined;
  /**
   * Slave: true while the store holds data under a known identity. Then every HA connection waits until a metadata
   * sync round since the last disconnect found that the master holds the same log, so that a slave never appends a
   * rebuilt (or another) master's bytes after its own.
   */
  needsLogCheck?: () => boolean;
}

export class HaController {
  readonly role: BrokerRole;
  readonly options: HaOptions;
  /** Master side (masters only). */
  readonly service: HAService | null = null;
  /** Slave side (slaves only). */
  readonly client: HAClient | null = null;
  /** Slave metadata sync (slaves with a remoting client and a target only). */
  readonly sync: SlaveSynchronize | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Slave: a sync round since the last HA disconnect found the master's log to be ours. */
  private logConfirmed = false;
  /** Bumped on every HA disconnect: a round that started before it cannot confirm the next connection. */
  private linkGeneration = 0;
  private lastLogCheckAt = 0;
  private logCheckRunning = false;

  constructor(
    opts: HaControllerOptions,
    private readonly deps: HaControllerDeps,
  ) {
    if (opts.brokerRole !== 'ASYNC_MASTER' && opts.brokerRole !== 'SYNC_MASTER' && opts.brokerRole !== 'SLAVE') {
      throw new MqError('INVALID_OPTION', `ha: brokerRole ${opts.brokerRole} is not ASYNC_MASTER, SYNC_MASTER or SLAVE`);
    }
    this.role = opts.brokerRole;
    this.options = resolveHaOptions({ ...opts.ha });
    const logger = deps.logger;
    if (this.role === 'SLAVE') {
      if (deps.client && deps.target) this.sync = new SlaveSynchronize(deps.client, deps.target, opts.slaveSync ?? {}, { logger });
      this.client = new HAClient(deps.store, this.options, {
        logger,
        registry: deps.registry,
        mayConnect: () => this.mayConnect(),
        onDisconnected: () => {
          this.logConfirmed = false;
          this.linkGeneration++;
        },
      });
    } else {
      this.service = new HAService(deps.store, this.options, { logger, registry: deps.registry });
    }
  }

  /** The bound HA port of a master (-1 on a slave or before start). */
  get haPort(): number {
    return this.service?.port ?? -1;
  }

  /** Starts the role's services. */
  async start(): Promise<void> {
    if (this.service) {
      await this.service.start();
      return;
    }
    this.client?.start();
    this.sync?.start();
    // A configured haMasterAddress implies the master's remoting port (HA port - 1) until registration says better.
    if (this.options.haMasterAddress && this.sync && !this.sync.masterAddress) {
      const m = /^(.*):(\d+)$/.exec(this.options.haMasterAddress);
      if (m) this.sync.setMasterAddress(`${m[1]}:${Number(m[2]) - 1}`);
    }
    if (this.deps.masterAddresses) {
      this.pollAddresses();
      this.timer = setInterval(() => this.pollAddresses(), 1000);
      this.timer.unref();
    }
  }

  /** Applies a REGISTER_BROKER answer at once (also done by polling `masterAddresses`). */
  updateMasterAddresses(a: MasterAddresses | undefined): void {
    if (!a) return;
    // An empty answer means the name server knows no live master: keep the last known address, the HA client keeps
    // retrying it (a restarted master comes back on the same address).
    if (a.haServerAddr) this.client?.setMasterAddress(a.haServerAddr);
    if (a.masterAddr) this.sync?.setMasterAddress(a.masterAddr);
  }

  /**
   * Slave HA gate: connect when the store needs no check, or a sync round since the last disconnect confirmed the
   * master's log; otherwise start such a round (at most once per haConnectRetryInterval) and wait.
   */
  private mayConnect(): boolean {
    const sync = this.sync;
    if (!sync || !this.deps.needsLogCheck?.() || this.logConfirmed) return true;
    const now = Date.now();
    if (!this.logCheckRunning && now - this.lastLogCheckAt >= this.options.haConnectRetryInterval) {
      this.lastLogCheckAt = now;
      this.logCheckRunning = true;
      const gen = this.linkGeneration;
      void sync
        .syncOnce()
        .then((ok) => {
          if (ok && gen === this.linkGeneration && sync.masterLog !== 'other') this.logConfirmed = true;
        })
        .finally(() => {
          this.logCheckRunning = false;
        });
    }
    return false;
  }

  /** New bytes were appended on a master (optional; streaming otherwise polls every haTransferPollInterval). */
  notifyNewData(): void {
    this.service?.notifyNewData();
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sync?.shutdown();
    await this.client?.shutdown();
    await this.service?.shutdown();
  }

  private pollAddresses(): void {
    try {
      this.updateMasterAddresses(this.deps.masterAddresses?.());
    } catch (err) {
      this.deps.logger.warn({ err }, 'reading the master addresses failed');
    }
  }
}

/**
 * Adapts the broker's TopicConfigManager and ConsumerOffsetManager to a {@link SlaveSyncTarget}: the master's topics
 * replace the slave's (upserting only what changed, so the data version moves only on a real change), offsets are
 * committed locally, local offsets are listed for hand-back detection, and the master's store id goes to `identity`.
 */
export function brokerSyncTarget(
  topics: { all(): TopicConfig[]; upsert(tc: TopicConfig): unknown; delete(topic: string): boolean },
  offsets: { commit(group: string, topic: string, queueId: number, offset: number): void; entries(): OffsetEntry[] },
  identity?: { fromMaster(storeId: string): Promise<boolean> },
): SlaveSyncTarget {
  const same = (a: TopicConfig, b: TopicConfig): boolean =>
    a.readQueueNums === b.readQueueNums &&
    a.writeQueueNums === b.writeQueueNums &&
    a.perm === b.perm &&
    a.topicFilterType === b.topicFilterType &&
    a.topicSysFlag === b.topicSysFlag &&
    a.order === b.order &&
    (a.topicEpoch ?? DEFAULT_EPOCH) === (b.topicEpoch ?? DEFAULT_EPOCH);
  return {
    applyTopicConfigs(configs) {
      const local = new Map(topics.all().map((t) => [t.topicName, t]));
      const wanted = new Set<string>();
      for (const c of configs) {
        wanted.add(c.topicName);
        const have = local.get(c.topicName);
        if (!have || !same(have, c)) topics.upsert({ ...c });
      }
      for (const name of local.keys()) if (!wanted.has(name)) topics.delete(name);
    },
    setConsumerOffset(group, topic, queueId, offset) {
      offsets.commit(group, topic, queueId, offset);
    },
    consumerOffsets() {
      return offsets.entries();
    },
    applyStoreId: identity ? (storeId) => identity.fromMaster(storeId) : undefined,
  };
}
