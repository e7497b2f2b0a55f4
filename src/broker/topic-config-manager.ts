/**
 * TopicConfigManager: the broker's topic table and data version (ref §3.3, §5.10, §5.12), persisted as
 * `<storePathRootDir>/config/topics.json` in the TopicConfigSerializeWrapper format.
 * In-memory operations are synchronous; persistence is scheduled (coalesced) and awaited by `flush()`.
 */
import path from 'path';
import { SerialFileWriter, readJsonFile } from './json-file';
import { DEFAULT_TOPIC, SCHEDULE_TOPIC } from './topic-validator';

/** Permission bits (ref §3.2 PermName): inherit (template topics), write, read, priority. */
export const PERM_INHERIT = 0x1;
export const PERM_WRITE = 0x2;
export const PERM_READ = 0x4;
export const PERM_PRIORITY = 0x8;

/** One topic's configuration, with RocketMQ's field names (ref §3.3). */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: string;
  topicSysFlag: number;
  order: boolean;
}

/** Version of the topic table; the name server re-reads topics only when it changes (ref §3.3). */
export interface DataVersion {
  timestamp: number;
  counter: number;
}

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

/** Topic config with RocketMQ's defaults (ref §3.3: 16/16 queues, perm 6, SINGLE_TAG). */
export function topicConfig(topicName: string, partial: Partial<Omit<TopicConfig, 'topicName'>> = {}): TopicConfig {
  return {
    topicName,
    readQueueNums: partial.readQueueNums ?? 16,
    writeQueueNums: partial.writeQueueNums ?? 16,
    perm: partial.perm ?? PERM_READ | PERM_WRITE,
    topicFilterType: partial.topicFilterType ?? 'SINGLE_TAG',
    topicSysFlag: partial.topicSysFlag ?? 0,
    order: partial.order ?? false,
  };
}

/** Topic table with built-in topics, auto-creation and coalesced persistence. */
export class TopicConfigManager {
  private readonly table = new Map<string, TopicConfig>();
  private readonly file: string;
  private version: DataVersion = { timestamp: Date.now(), counter: 0 };
  private readonly writer: SerialFileWriter;
  private persistScheduled = false;
  /** Topics that are always defined and never persisted (ref §5.10 table). */
  private readonly systemTopics = new Set<string>();

  constructor(private readonly opts: TopicManagerOptions) {
    this.file = path.join(opts.storePathRootDir, 'config', 'topics.json');
    this.writer = new SerialFileWriter(this.file);
    this.addSystemTopics();
  }

  private addSystemTopics(): void {
    const o = this.opts;
    const sys = (name: string, queues: number, perm = PERM_READ | PERM_WRITE): void => {
      this.table.set(name, topicConfig(name, { readQueueNums: queues, writeQueueNums: queues, perm }));
      this.systemTopics.add(name);
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

  /** Loads topics.json (user topics and the data version); the built-in topics stay. */
  load(): void {
    const data = readJsonFile(this.file) as
      | { dataVersion?: Partial<DataVersion>; topicConfigTable?: Record<string, Partial<TopicConfig>> }
      | undefined;
    if (!data) return;
    for (const [name, tc] of Object.entries(data.topicConfigTable ?? {})) {
      if (this.systemTopics.has(name)) continue;
      this.table.set(name, topicConfig(name, tc));
    }
    if (data.dataVersion) {
      this.version = {
        timestamp: Number(data.dataVersion.timestamp ?? Date.now()),
        counter: Number(data.dataVersion.counter ?? 0),
      };
    }
  }

  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  all(): TopicConfig[] {
    return [...this.table.values()];
  }

  isSystemTopic(topic: string): boolean {
    return this.systemTopics.has(topic);
  }

  dataVersion(): DataVersion {
    return { ...this.version };
  }

  private nextVersion(): void {
    this.version = { timestamp: Date.now(), counter: this.version.counter + 1 };
  }

  /** Creates or replaces a topic, bumps the data version and schedules a write. */
  upsert(tc: TopicConfig): TopicConfig {
    this.table.set(tc.topicName, tc);
    this.nextVersion();
    this.schedulePersist();
    return tc;
  }

  /** Removes a topic; returns false if it did not exist. */
  delete(topic: string): boolean {
    if (!this.table.delete(topic)) return false;
    this.systemTopics.delete(topic);
    this.nextVersion();
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
    for (const tc of this.table.values()) {
      topicConfigTable[tc.topicName] = brokerPerm === undefined || brokerPerm === 6 ? tc : { ...tc, perm: brokerPerm };
    }
    return { dataVersion: this.dataVersion(), topicConfigTable };
  }

  private encode(): string {
    const topicConfigTable: Record<string, TopicConfig> = {};
    for (const tc of this.table.values()) if (!this.systemTopics.has(tc.topicName)) topicConfigTable[tc.topicName] = tc;
    return JSON.stringify({ dataVersion: this.version, topicConfigTable }, null, 2);
  }

  /** Coalesces the changes of one tick into one write; writes never overlap (SerialFileWriter). */
  private schedulePersist(): void {
    if (this.persistScheduled) return;
    this.persistScheduled = true;
    queueMicrotask(() => {
      this.persistScheduled = false;
      // Errors surface through flush(); never as an unhandled rejection.
      this.writer.write(() => this.encode()).catch(() => undefined);
    });
  }

  /** Writes the current table after any write already under way. */
  async flush(): Promise<void> {
    await this.writer.write(() => this.encode());
  }
}
