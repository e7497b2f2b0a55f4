/**
 * Topic configurations persisted as `config/topics.json` (ref §3.3, §5.10): the TopicConfigSerializeWrapper JSON
 * `{"topicConfigTable":{<topic>:TopicConfig},"dataVersion":{"timestamp":ms,"counter":n}}`, pretty-printed.
 * The broker decides when to persist; this class only holds the table and writes it atomically.
 * Built-in topics ({@link TopicConfigTable.putBuiltIn}) are served like any other but never written: the owner defines
 * them again at every start, and a file entry with a built-in's name is ignored on load.
 */
import * as path from 'path';
import { makeTopicConfig } from '../common/topic-config';
import type { DataVersion, TopicConfig } from '../common/topic-config';
import { JsonConfigFile, quoteBareIntegerKeys } from './json-config-file';
import { newTopicEpoch } from './store-identity';

// The types and defaults are shared with remoting's RegisterBrokerBody (ref §3.3).
export { makeTopicConfig };
export type { DataVersion, TopicConfig };

interface TopicsFile {
  topicConfigTable: Record<string, TopicConfig>;
  dataVersion: DataVersion;
}

/** In-memory topic table with atomic persistence and a data version bumped on every change. */
export class TopicConfigTable {
  private readonly table = new Map<string, TopicConfig>();
  /** Names of the built-in topics: in the table, never in topics.json. */
  private readonly builtIn = new Set<string>();
  private version: DataVersion = { timestamp: Date.now(), counter: 0 };
  private readonly file: JsonConfigFile<TopicsFile>;

  /** @param configDir directory of topics.json, normally `<storePathRootDir>/config`. */
  constructor(configDir: string) {
    this.file = new JsonConfigFile<TopicsFile>(path.join(configDir, 'topics.json'), {
      encode: (v) => JSON.stringify(v, null, 2),
      decode: (t) => JSON.parse(quoteBareIntegerKeys(t)) as TopicsFile,
    });
  }

  /** Loads topics.json (or its .bak); returns false when neither exists. Built-in topics stay as they are. */
  async load(): Promise<boolean> {
    const v = await this.file.load();
    if (!v) return false;
    for (const k of [...this.table.keys()]) if (!this.builtIn.has(k)) this.table.delete(k);
    for (const [k, c] of Object.entries(v.topicConfigTable ?? {})) {
      if (!this.builtIn.has(k)) this.table.set(k, makeTopicConfig(k, c));
    }
    if (v.dataVersion) {
      // Tolerate a version with a field missing (hand-edited or foreign files).
      this.version = { timestamp: Number(v.dataVersion.timestamp ?? Date.now()), counter: Number(v.dataVersion.counter ?? 0) };
    }
    return true;
  }

  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  has(topic: string): boolean {
    return this.table.has(topic);
  }

  /**
   * Adds or replaces a topic and bumps the data version. Replacing a built-in topic keeps it built-in.
   * The topic epoch: the one given (a slave copying its master), else the existing topic's (an update keeps it),
   * else a new one (a topic created, or created again after a delete).
   */
  put(config: TopicConfig): void {
    const existing = this.table.get(config.topicName);
    const topicEpoch = config.topicEpoch ?? (existing ? existing.topicEpoch : newTopicEpoch());
    const next: TopicConfig = { ...config };
    if (topicEpoch === undefined) delete next.topicEpoch;
    else next.topicEpoch = topicEpoch;
    this.table.set(config.topicName, next);
    this.nextVersion();
  }

  /**
   * Defines a built-in topic: served like any other, never persisted, and set without a data-version change (it is
   * part of the starting state, not a change to it). Call before {@link load}.
   */
  putBuiltIn(config: TopicConfig): void {
    this.table.set(config.topicName, { ...config });
    this.builtIn.add(config.topicName);
  }

  isBuiltIn(topic: string): boolean {
    return this.builtIn.has(topic);
  }

  /** Removes a topic (built-in or not); returns whether it existed. */
  delete(topic: string): boolean {
    const had = this.table.delete(topic);
    this.builtIn.delete(topic);
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
    this.builtIn.clear();
    for (const [k, c] of Object.entries(configs)) this.table.set(k, makeTopicConfig(k, c));
    this.version = { ...version };
  }

  /** The TopicConfigSerializeWrapper object (ref §3.3), built-in topics included. */
  toWrapper(): TopicsFile {
    return { topicConfigTable: Object.fromEntries(this.table), dataVersion: this.dataVersion() };
  }

  /** Writes topics.json atomically: every topic except the built-in ones, and the data version. */
  persist(): Promise<void> {
    return this.file.save(this.fileContent());
  }

  /** Persists every `ms` milliseconds until {@link stopAutoPersist}. */
  startAutoPersist(ms: number): void {
    this.file.startAutoSave(ms, () => this.fileContent());
  }

  stopAutoPersist(): void {
    this.file.stopAutoSave();
  }

  /** What topics.json holds: the wrapper without the built-in topics. */
  private fileContent(): TopicsFile {
    const topicConfigTable: Record<string, TopicConfig> = {};
    for (const [k, c] of this.table) if (!this.builtIn.has(k)) topicConfigTable[k] = c;
    return { topicConfigTable, dataVersion: this.dataVersion() };
  }

  private nextVersion(): void {
    this.version = { timestamp: Date.now(), counter: this.version.counter + 1 };
  }
}
