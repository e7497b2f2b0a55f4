/**
 * Consumer offsets persisted as `config/consumerOffset.json` (ref §5.10):
 *   {"offsetTable":{"<topic>@<group>":{<queueId>:<offset>,...}}}  -- pretty-printed, bare integer keys (fastjson)
 * Loading also accepts quoted integer keys.
 */
import * as path from 'path';
import { JsonConfigFile, quoteBareIntegerKeys } from './json-config-file';

type OffsetFile = { offsetTable: Record<string, Record<string, number>> };

/** Renders the table the way fastjson does: integer map keys without quotes. */
function encodeOffsets(v: OffsetFile): string {
  const lines: string[] = [];
  const keys = Object.keys(v.offsetTable);
  keys.forEach((k, i) => {
    const inner = Object.entries(v.offsetTable[k])
      .map(([q, o]) => `${Number(q)}:${o}`)
      .join(',');
    lines.push(`\t\t${JSON.stringify(k)}:{${inner}}${i < keys.length - 1 ? ',' : ''}`);
  });
  return `{\n\t"offsetTable":{\n${lines.join('\n')}\n\t}\n}`;
}

/** Offsets committed by consumer groups, keyed `topic@group` then queue id. */
export class ConsumerOffsetTable {
  private readonly table = new Map<string, Map<number, number>>();
  private readonly file: JsonConfigFile<OffsetFile>;

  /** @param configDir directory of consumerOffset.json, normally `<storePathRootDir>/config`. */
  constructor(configDir: string) {
    this.file = new JsonConfigFile<OffsetFile>(path.join(configDir, 'consumerOffset.json'), {
      encode: encodeOffsets,
      decode: (t) => JSON.parse(quoteBareIntegerKeys(t)) as OffsetFile,
    });
  }

  /** Loads the file (or its .bak); returns false when neither exists. */
  async load(): Promise<boolean> {
    const v = await this.file.load();
    if (!v) return false;
    this.table.clear();
    for (const [k, qs] of Object.entries(v.offsetTable ?? {})) {
      const m = new Map<number, number>();
      // A negative offset means "none" (queryOffset's -1), so it is not kept.
      for (const [q, o] of Object.entries(qs)) if (Number(o) >= 0) m.set(Number(q), Number(o));
      this.table.set(k, m);
    }
    return true;
  }

  /** Stores a group's offset for one queue. */
  commitOffset(group: string, topic: string, queueId: number, offset: number): void {
    const key = `${topic}@${group}`;
    let m = this.table.get(key);
    if (!m) this.table.set(key, (m = new Map()));
    m.set(queueId, offset);
  }

  /** The committed offset, or -1 when the group never committed one for this queue. */
  queryOffset(group: string, topic: string, queueId: number): number {
    return this.table.get(`${topic}@${group}`)?.get(queueId) ?? -1;
  }

  /** All queue offsets of a group on a topic. */
  queryAll(group: string, topic: string): Map<number, number> {
    return new Map(this.table.get(`${topic}@${group}`) ?? []);
  }

  /** Keys `topic@group` currently held. */
  keys(): string[] {
    return [...this.table.keys()];
  }

  /** Every committed offset as (group, topic, queueId, offset); the key splits at its last '@'. */
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

  /** Drops every entry of a topic (any group). */
  removeTopic(topic: string): void {
    for (const k of [...this.table.keys()]) if (k.startsWith(`${topic}@`)) this.table.delete(k);
  }

  /** Drops every entry of a group (any topic). */
  removeGroup(group: string): void {
    for (const k of [...this.table.keys()]) if (k.endsWith(`@${group}`)) this.table.delete(k);
  }

  /** The plain-object form of the file. */
  toObject(): OffsetFile {
    const offsetTable: Record<string, Record<string, number>> = {};
    for (const [k, m] of this.table) offsetTable[k] = Object.fromEntries([...m].map(([q, o]) => [String(q), o]));
    return { offsetTable };
  }

  /** Replaces the whole table (a slave copying its master, ref §8.1). */
  replaceAll(offsetTable: Record<string, Record<string, number>>): void {
    this.table.clear();
    for (const [k, qs] of Object.entries(offsetTable)) {
      this.table.set(k, new Map(Object.entries(qs).map(([q, o]) => [Number(q), Number(o)])));
    }
  }

  persist(): Promise<void> {
    return this.file.save(this.toObject());
  }

  /** Persists every `ms` milliseconds until {@link stopAutoPersist}. */
  startAutoPersist(ms: number): void {
    this.file.startAutoSave(ms, () => this.toObject());
  }

  stopAutoPersist(): void {
    this.file.stopAutoSave();
  }
}
