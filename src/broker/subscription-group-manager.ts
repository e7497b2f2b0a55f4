/**
 * SubscriptionGroupManager: consumer-group configs (RocketMQ's SubscriptionGroupConfig) in
 * `<storePathRootDir>/config/subscriptionGroup.json` as `{"subscriptionGroupTable":{"g":{...}},"dataVersion":{...}}`
 * (ref §5.10). Groups are created on first use when autoCreateSubscriptionGroup is on (the heartbeat path asks), by
 * UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), and removed by DELETE_SUBSCRIPTIONGROUP (207).
 */
import path from 'path';
import { JsonConfigFile } from '../store';

/** SubscriptionGroupConfig, field names and defaults as RocketMQ 4.9. */
export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
}

interface Wrapper {
  subscriptionGroupTable: Record<string, SubscriptionGroupConfig>;
  dataVersion: { timestamp: number; counter: number };
}

/** A group config with RocketMQ's defaults for every field not given. */
export function subscriptionGroupConfig(groupName: string, over: Partial<SubscriptionGroupConfig> = {}): SubscriptionGroupConfig {
  return {
    consumeEnable: true,
    consumeFromMinEnable: true,
    consumeBroadcastEnable: true,
    retryQueueNums: 1,
    retryMaxTimes: 16,
    brokerId: 0,
    whichBrokerWhenConsumeSlowly: 1,
    notifyConsumerIdsChangedEnable: true,
    ...over,
    // groupName always wins over a stray field in `over`
    groupName,
  };
}

export class SubscriptionGroupManager {
  private readonly table = new Map<string, SubscriptionGroupConfig>();
  private version = { timestamp: Date.now(), counter: 0 };
  private readonly file: JsonConfigFile<Wrapper>;

  constructor(storePathRootDir: string) {
    this.file = new JsonConfigFile<Wrapper>(path.join(storePathRootDir, 'config', 'subscriptionGroup.json'), {
      encode: (v) => JSON.stringify(v, null, 2),
      decode: (t) => JSON.parse(t) as Wrapper,
    });
  }

  async load(): Promise<void> {
    const w = await this.file.load();
    for (const [name, c] of Object.entries(w?.subscriptionGroupTable ?? {})) this.table.set(name, subscriptionGroupConfig(name, c));
    if (w?.dataVersion) this.version = w.dataVersion;
  }

  get(group: string): SubscriptionGroupConfig | undefined {
    return this.table.get(group);
  }

  /** Records a group seen in a heartbeat (autoCreateSubscriptionGroup); true when it was new. */
  ensure(group: string): boolean {
    if (this.table.has(group)) return false;
    this.upsert(subscriptionGroupConfig(group));
    return true;
  }

  upsert(c: SubscriptionGroupConfig): void {
    this.table.set(c.groupName, c);
    this.bump();
  }

  /** Removes a group; true when it existed. */
  delete(group: string): boolean {
    const had = this.table.delete(group);
    if (had) this.bump();
    return had;
  }

  all(): SubscriptionGroupConfig[] {
    return [...this.table.values()].sort((a, b) => a.groupName.localeCompare(b.groupName));
  }

  /** SubscriptionGroupWrapper JSON (GET_ALL_SUBSCRIPTIONGROUP_CONFIG body). */
  serializeWrapper(): Wrapper {
    const subscriptionGroupTable: Record<string, SubscriptionGroupConfig> = {};
    for (const c of this.all()) subscriptionGroupTable[c.groupName] = c;
    return { subscriptionGroupTable, dataVersion: { ...this.version } };
  }

  flush(): Promise<void> {
    return this.file.save(this.serializeWrapper());
  }

  private bump(): void {
    this.version = { timestamp: Date.now(), counter: this.version.counter + 1 };
  }
}
