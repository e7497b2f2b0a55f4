/**
 * ConsumerOffsetManager: committed offsets per `topic@group` and queue (ref §5.10), persisted as
 * `<storePathRootDir>/config/consumerOffset.json` (`{"offsetTable":{"topic@group":{0:100}}}`) every
 * `flushConsumerOffsetInterval` when something changed, and at shutdown.
 */
import path from 'path';
import { SerialFileWriter, readJsonFile } from './json-file';

/** Committed consumer offsets, in memory with periodic persistence. */
export class ConsumerOffsetManager {
  private readonly table = new Map<string, Map<number, number>>();
  private readonly file: string;
  private dirty = false;
  private timer?: NodeJS.Timeout;
  private readonly writer: SerialFileWriter;

  constructor(storePathRootDir: string) {
    this.file = path.join(storePathRootDir, 'config', 'consumerOffset.json');
    this.writer = new SerialFileWriter(this.file);
  }

  load(): void {
    const data = readJsonFile(this.file) as { offsetTable?: Record<string, Record<string, number>> } | undefined;
    for (const [key, queues] of Object.entries(data?.offsetTable ?? {})) {
      const m = new Map<number, number>();
      for (const [q, off] of Object.entries(queues)) if (Number(off) >= 0) m.set(Number(q), Number(off));
      this.table.set(key, m);
    }
  }

  /** Stores an offset; negative offsets (ali-ons sends -1 for "none") are ignored. */
  commit(group: string, topic: string, queueId: number, offset: number): void {
    if (!(offset >= 0)) return;
    const key = `${topic}@${group}`;
    let m = this.table.get(key);
    if (!m) this.table.set(key, (m = new Map()));
    if (m.get(queueId) !== offset) {
      m.set(queueId, offset);
      this.dirty = true;
    }
  }

  /** The committed offset, or -1 when there is none. */
  query(group: string, topic: string, queueId: number): number {
    return this.table.get(`${topic}@${group}`)?.get(queueId) ?? -1;
  }

  /** Every (group, topic, queueId, offset), for lag metrics. */
  entries(): Array<{ group: string; topic: string; queueId: number; offset: number }> {
    const out: Array<{ group: string; topic: string; queueId: number; offset: number }> = [];
    for (const [key, m] of this.table) {
      const at = key.lastIndexOf('@');
      const topic = key.slice(0, at);
      const group = key.slice(at + 1);
      for (const [queueId, offset] of m) out.push({ group, topic, queueId, offset });
    }
    return out;
  }

  /** Drops every offset of a topic (DELETE_TOPIC_IN_BROKER). */
  removeTopic(topic: string): void {
    for (const key of [...this.table.keys()]) if (key.startsWith(`${topic}@`)) this.table.delete(key);
    this.dirty = true;
  }

  private encode(): string {
    const offsetTable: Record<string, Record<string, number>> = {};
    for (const [key, m] of this.table) offsetTable[key] = Object.fromEntries([...m].map(([q, o]) => [String(q), o]));
    return JSON.stringify({ offsetTable }, null, 2);
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.writer.write(() => this.encode());
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
