/**
 * ConsumerOffsetManager: the broker's rules for committed offsets per `topic@group` and queue (ref §5.10) over the
 * store's {@link ConsumerOffsetTable}, which holds them and writes `<storePathRootDir>/config/consumerOffset.json`
 * (`{"offsetTable":{"topic@group":{0:100}}}`). Written every `flushConsumerOffsetInterval` when something changed,
 * and at shutdown.
 */
import path from 'path';
import { ConsumerOffsetTable } from '../store/consumer-offset-table';

/** Committed consumer offsets, in memory with periodic persistence. */
export class ConsumerOffsetManager {
  private readonly table: ConsumerOffsetTable;
  /** Whether the table changed since the last write (the timer skips idle intervals). */
  private dirty = false;
  private timer?: NodeJS.Timeout;

  constructor(storePathRootDir: string) {
    this.table = new ConsumerOffsetTable(path.join(storePathRootDir, 'config'));
  }

  /** Loads consumerOffset.json or its .bak; negative offsets in the file are dropped. */
  async load(): Promise<void> {
    await this.table.load();
  }

  /** Stores an offset; negative offsets (ali-ons sends -1 for "none") are ignored. */
  commit(group: string, topic: string, queueId: number, offset: number): void {
    if (!(offset >= 0)) return;
    if (this.table.queryOffset(group, topic, queueId) !== offset) {
      this.table.commitOffset(group, topic, queueId, offset);
      this.dirty = true;
    }
  }

  /** The committed offset, or -1 when there is none. */
  query(group: string, topic: string, queueId: number): number {
    return this.table.queryOffset(group, topic, queueId);
  }

  /** Every (group, topic, queueId, offset), for lag metrics. */
  entries(): Array<{ group: string; topic: string; queueId: number; offset: number }> {
    return this.table.entries();
  }

  /** Drops every offset of a topic (DELETE_TOPIC_IN_BROKER). */
  removeTopic(topic: string): void {
    this.table.removeTopic(topic);
    this.dirty = true;
  }

  /** Drops every offset of a group (DELETE_SUBSCRIPTIONGROUP). */
  removeGroup(group: string): void {
    this.table.removeGroup(group);
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.table.persist();
  }

  /** Final write (shutdown): waits for any write under way, then writes everything. */
  async close(): Promise<void> {
    this.stop();
    this.dirty = true;
    await this.flush();
  }

  /** Writes changes every `intervalMs` (first write after one interval). */
  startAutoPersist(intervalMs: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => this.flush().catch(onError), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
