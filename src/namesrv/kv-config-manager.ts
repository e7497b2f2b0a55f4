/** KVConfigManager: namespace → key → value, in memory (ref §2.3.1 PUT/GET/DELETE_KV_CONFIG). Pure. */
export class KVConfigManager {
  private readonly table = new Map<string, Map<string, string>>();

  /** Sets one value, creating the namespace if needed. */
  put(namespace: string, key: string, value: string): void {
    let ns = this.table.get(namespace);
    if (!ns) this.table.set(namespace, (ns = new Map()));
    ns.set(key, value);
  }

  /** One value, or undefined (GET_KV_CONFIG answers QUERY_NOT_FOUND then). */
  get(namespace: string, key: string): string | undefined {
    return this.table.get(namespace)?.get(key);
  }

  /** Removes one key; an emptied namespace goes too. */
  delete(namespace: string, key: string): void {
    const ns = this.table.get(namespace);
    if (!ns) return;
    ns.delete(key);
    if (ns.size === 0) this.table.delete(namespace);
  }

  /** The whole table in RocketMQ's kvConfig.json shape: `{"configTable":{namespace:{key:value}}}`. */
  snapshot(): { configTable: Record<string, Record<string, string>> } {
    const configTable: Record<string, Record<string, string>> = {};
    for (const [ns, m] of this.table) configTable[ns] = Object.fromEntries(m);
    return { configTable };
  }

  /** Replaces the table with a snapshot's content (non-string values are skipped). */
  restore(snapshot: unknown): void {
    this.table.clear();
    const t = (snapshot as { configTable?: unknown } | null)?.configTable;
    if (t === null || typeof t !== 'object') return;
    for (const [ns, m] of Object.entries(t as Record<string, unknown>)) {
      if (m === null || typeof m !== 'object') continue;
      for (const [k, v] of Object.entries(m as Record<string, unknown>)) if (typeof v === 'string') this.put(ns, k, v);
    }
  }

  /** Every key of a namespace, or undefined when it is empty. */
  getNamespace(namespace: string): Record<string, string> | undefined {
    const ns = this.table.get(namespace);
    if (!ns || ns.size === 0) return undefined;
    return Object.fromEntries(ns);
  }
}
