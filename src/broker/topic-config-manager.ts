/**
 * TopicConfigManager: the broker's topic rules over the store's {@link TopicConfigTable} (ref §3.3, §5.10, §5.12).
 * The table holds the topics and the data version and writes `<storePathRootDir>/config/topics.json`
 * (TopicConfigSerializeWrapper); this class adds the built-in topics, auto-creation and the registration body.
 * In-memory operations are synchronous; persistence is scheduled (coalesced) and awaited by `flush()`.
 */
import path from 'path';
import { PERM_INHERIT, PERM_PRIORITY, PERM_READ, PERM_WRITE } from '../common/topic-config';
import { TopicConfigTable, makeTopicConfig } from '../store/topic-config-table';
import type { DataVersion, TopicConfig } from '../store/topic-config-table';
import { DEFAULT_TOPIC, SCHEDULE_TOPIC } from './topic-validator';

export type { DataVersion, TopicConfig };

/** Permission bits (ref §3.2 PermName), from common; re-exported for the broker's modules. */
export { PERM_INHERIT, PERM_PRIORITY, PERM_READ, PERM_WRITE };

/** The broker options the topic table depends on. */
export interface TopicManagerOptions {
  storePathRootDir: string;
  brokerClusterName: string;
  brokerName: string;
  defaultTopicQueueNums: number;
  autoCreateTopicEnable: boolean;
  clusterTopicEnable: boolean;
  brokerTopicEnable: boolean;
}

/** Topic config with RocketMQ's defaults (ref §3.3: 16/16 queues, perm 6, SINGLE_TAG); the store's constructor. */
export const topicConfig: (topicName: string, partial?: Partial<Omit<TopicConfig, 'topicName'>>) => TopicConfig = makeTopicConfig;

/** Topic table with built-in topics, auto-creation and coalesced persistence. */
export class TopicConfigManager {
  /** Topics and data version; built-in topics are defined there as never persisted (ref §5.10 table). */
  private readonly table: TopicConfigTable;
  private persistScheduled = false;

  constructor(private readonly opts: TopicManagerOptions) {
    this.table = new TopicConfigTable(path.join(opts.storePathRootDir, 'config'));
    this.addSystemTopics();
  }

  private addSystemTopics(): void {
    const o = this.opts;
    const sys = (name: string, queues: number, perm = PERM_READ | PERM_WRITE): void => {
      this.table.putBuiltIn(topicConfig(name, { readQueueNums: queues, writeQueueNums: queues, perm }));
    };
    sys('SELF_TEST_TOPIC', 1);
    if (o.autoCreateTopicEnable) sys(DEFAULT_TOPIC, o.defaultTopicQueueNums, PERM_INHERIT | PERM_READ | PERM_WRITE);
    sys('BenchmarkTest', 1024);
    sys(o.brokerClusterName, 16, PERM_INHERIT | (o.clusterTopicEnable ? PERM_READ | PERM_WRITE : 0));
    sys(o.brokerName, 1, PERM_INHERIT | (o.brokerTopicEnable ? PERM_READ | PERM_WRITE : 0));
    sys('OFFSET_MOVED_EVENT', 1);
    sys(SCHEDULE_TOPIC, 18);
    sys(`${o.brokerClusterName}_REPLY_TOPIC`, 1);
  }

  /** Loads topics.json or its .bak (user topics and the data version); the built-in topics stay. */
  async load(): Promise<void> {
    await this.table.load();
  }

  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  all(): TopicConfig[] {
    return this.table.all();
  }

  isSystemTopic(topic: string): boolean {
    return this.table.isBuiltIn(topic);
  }

  dataVersion(): DataVersion {
    return this.table.dataVersion();
  }

  /**
   * A new data version for a change that is not a topic's (brokerPermission): name servers apply a registration's
   * topic configs only when its data version changed, as RocketMQ's UPDATE_BROKER_CONFIG handler does.
   */
  touch(): void {
    this.table.touch();
    this.schedulePersist();
  }

  /** Creates or replaces a topic, bumps the data version and schedules a write. */
  upsert(tc: TopicConfig): TopicConfig {
    this.table.put(tc);
    this.schedulePersist();
    return tc;
  }

  /** Removes a topic; returns false if it did not exist. */
  delete(topic: string): boolean {
    if (!this.table.delete(topic)) return false;
    this.schedulePersist();
    return true;
  }
  /**
   * Auto-creation on send (ref §5.12): from the default topic when it has PERM_INHERIT, with
   * min(requested, default's write queues) queues. Returns undefined when not allowed.
   */
  createTopicInSendMessageMethod(topic: string, defaultTopic: string, requestedQueueNums: number): TopicConfig | undefined {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const def = this.table.get(defaultTopic);
    if (!def || (def.perm & PERM_INHERIT) === 0) return undefined;
    const queues = Math.max(1, Math.min(requestedQueueNums > 0 ? requestedQueueNums : def.writeQueueNums, def.writeQueueNums));
    return this.upsert(
      topicConfig(topic, {
        readQueueNums: queues,
        writeQueueNums: queues,
        perm: def.perm & ~PERM_INHERIT,
        topicFilterType: def.topicFilterType,
      }),
    );
  }

  /** Creates `%RETRY%`/`%DLQ%` style topics with `queues` queues and RW permission if missing. */
  createIfMissing(topic: string, queues: number, perm = PERM_READ | PERM_WRITE): { config: TopicConfig; created: boolean } {
    const existing = this.table.get(topic);
    if (existing) return { config: existing, created: false };
    return { config: this.upsert(topicConfig(topic, { readQueueNums: queues, writeQueueNums: queues, perm })), created: true };
  }

  /** The TopicConfigSerializeWrapper body (ref §3.3), optionally with every perm replaced by the broker's. */
  serializeWrapper(brokerPerm?: number): { dataVersion: DataVersion; topicConfigTable: Record<string, TopicConfig> } {
    const topicConfigTable: Record<string, TopicConfig> = {};
    for (const tc of this.table.all()) {
      topicConfigTable[tc.topicName] = brokerPerm === undefined || brokerPerm === 6 ? tc : { ...tc, perm: brokerPerm };
    }
    return { dataVersion: this.dataVersion(), topicConfigTable };
  }

  /** Coalesces the changes of one tick into one write; the table queues writes so they never overlap. */
  private schedulePersist(): void {
    if (this.persistScheduled) return;
    this.persistScheduled = true;
    queueMicrotask(() => {
      this.persistScheduled = false;
      // Errors surface through flush(); never as an unhandled rejection.
      this.table.persist().catch(() => undefined);
    });
  }

  /** Writes the current table after any write already under way. */
  async flush(): Promise<void> {
    await this.table.persist();
  }
}
