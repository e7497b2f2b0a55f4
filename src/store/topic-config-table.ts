/**
 * Topic configurations persisted as `config/topics.json` (ref §3.3, §5.10): the TopicConfigSerializeWrapper JSON
 * `{"topicConfigTable":{<topic>:TopicConfig},"dataVersion":{"timestamp":ms,"counter":n}}`, pretty-printed.
 * The broker decides when to persist; this class only holds the table and writes it atomically.
 */
import * as path from 'path';
import { JsonConfigFile, quoteBareIntegerKeys } from './json-config-file';

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: 'SINGLE_TAG' | 'MULTI_TAG';
  topicSysFlag: number;
  order: boolean;
}

export interface DataVersion {
  timestamp: number;
  counter: number;
}

interface TopicsFile {
  topicConfigTable: Record<string, TopicConfig>;
  dataVersion: DataVersion;
}

/** Fills TopicConfig defaults (ref §3.3): 16/16 queues, perm 6, SINGLE_TAG, sysFlag 0, not ordered. */
export function makeTopicConfig(topicName: string, partial: Partial<TopicConfig> = {}): TopicConfig {
  return {
    topicName,
    readQueueNums: partial.readQueueNums ?? 16,
    writeQueueNums: partial.writeQueueNums ?? 16,
    perm: partial.perm ?? 6,
    topicFilterType: partial.topicFilterType ?? 'SINGLE_TAG',
    topicSysFlag: partial.topicSysFlag ?? 0,
    order: partial.order ?? false,
  };
}

/** In-memory topic table with atomic persistence and a data version bumped on every change. */
export class TopicConfigTable {
  private readonly table = new Map<string, TopicConfig>();
  private version: DataVersion = { timestamp: Date.now(), counter: 0 };
  private readonly file: JsonConfigFile<TopicsFile>;
  private timer: NodeJS.Timeout | undefined;

  /** @param configDir directory of topics.json, normally `<storePathRootDir>/config`. */
  constructor(configDir: string) {
    this.file = new JsonConfigFile<TopicsFile>(path.join(configDir, 'topics.json'), {
      encode: (v) => JSON.stringify(v, null, 2),
      decode: (t) => JSON.parse(quoteBareIntegerKeys(t)) as TopicsFile,
    });
  }

  /** Loads topics.json (or its .bak); returns false when neither exists. */
  async load(): Promise<boolean> {
    const v = await this.file.load();
    if (!v) return false;
    this.table.clear();
    for (const [k, c] of Object.entries(v.topicConfigTable ?? {})) this.table.set(k, makeTopicConfig(k, c));
    if (v.dataVersion) this.version = { timestamp: v.dataVersion.timestamp, counter: v.dataVersion.counter };
    return true;
  }

  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  has(topic: string): boolean {
    return this.table.has(topic);
  }

  /** Adds or replaces a topic and bumps the data version. */
  put(config: TopicConfig): void {
    this.table.set(config.topicName, { ...config });
    this.nextVersion();
  }

  /** Removes a topic; returns whether it existed. */
  delete(topic: string): boolean {
    const had = this.table.delete(topic);
    if (had) this.nextVersion();
    return had;
  }

  all(): TopicConfig[] {
    return [...this.table.values()];
  }

  dataVersion(): DataVersion {
    return { ...this.version };
  }

  /** Replaces the whole table (a slave copying its master, ref §8.1) with the given version. */
  replaceAll(configs: Record<string, TopicConfig>, version: DataVersion): void {
    this.table.clear();
    for (const [k, c] of Object.entries(configs)) this.table.set(k, makeTopicConfig(k, c));
    this.version = { ...version };
  }

  /** The TopicConfigSerializeWrapper object (ref §3.3). */
  toWrapper(): TopicsFile {
    return { topicConfigTable: Object.fromEntries(this.table), dataVersion: this.dataVersion() };
  }

  persist(): Promise<void> {
    return this.file.save(this.toWrapper());
  }

  /** Persists every `ms` milliseconds until {@link stopAutoPersist}. */
  startAutoPersist(ms: number): void {
    this.stopAutoPersist();
    this.timer = setInterval(() => void this.persist().catch(() => undefined), ms);
    this.timer.unref();
  }

  stopAutoPersist(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private nextVersion(): void {
    this.version = { timestamp: Date.now(), counter: this.version.counter + 1 };
  }
}
