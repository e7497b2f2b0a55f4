/**
 * Slave metadata sync (ref §8.1 SlaveSynchronize, §8.5): every slaveSyncInterval (first after slaveSyncInitialDelay) a
 * slave copies the topic configs (GET_ALL_TOPIC_CONFIG) and consumer offsets (GET_ALL_CONSUMER_OFFSET) from its master
 * over remoting.
 *
 * Offsets committed to the slave while its master was away (consumers fall back to the slave, ref §8.5) are kept:
 * the broker reports them with {@link SlaveSynchronize.noteLocalCommit}; when the master answers again, each one that
 * is ahead of the master's copy is handed back with UPDATE_CONSUMER_OFFSET before the master's table is applied, so a
 * returning master does not make consumers re-read what they consumed from the slave.
 *
 * Integration (broker, SLAVE role): construct with a RemotingClient and a {@link SlaveSyncTarget} over the broker's
 * topic and offset managers; `setMasterAddress(masterAddr)` from each REGISTER_BROKER answer; `start()`/`shutdown()`;
 * call `noteLocalCommit` from UPDATE_CONSUMER_OFFSET on a slave.
 */
import type { Logger } from 'pino';
import { MqError, defaultsOf, opt, resolveOptions } from '../../common';
import type { Resolved } from '../../common';
import { parseFastJson } from '../../common/fastjson';
import { DEFAULT_EPOCH } from '../../store/store-identity';
import { RemotingCommand, RequestCode, ResponseCode, readDataVersion, readTopicConfig } from '../../remoting';
import type { DataVersion, TopicConfig } from '../../remoting';

export const SLAVE_SYNC_OPTION_SPEC = {
  slaveSyncInterval: opt(10000, 'period of the slave copying topics and consumer offsets from its master, in ms', {
    min: 10,
  }),
  slaveSyncInitialDelay: opt(3000, 'delay of the first slave metadata sync after start, in ms', { min: 0 }),
  slaveSyncTimeout: opt(3000, 'timeout of each metadata request to the master, in ms', { min: 10 }),
};
export type SlaveSyncOptions = Resolved<typeof SLAVE_SYNC_OPTION_SPEC>;
export const SLAVE_SYNC_DEFAULTS: SlaveSyncOptions = defaultsOf(SLAVE_SYNC_OPTION_SPEC);

/** One consumer offset. */
export interface OffsetEntry {
  group: string;
  topic: string;
  queueId: number;
  offset: number;
}

/** The broker tables a slave sync writes into (the broker adapts its managers to this). */
export interface SlaveSyncTarget {
  /** Replaces the topic table with the master's (topics absent on the master are removed, as RocketMQ does). */
  applyTopicConfigs(configs: TopicConfig[], dataVersion: DataVersion): void;
  /** Sets one consumer offset locally (no hand-back bookkeeping). */
  setConsumerOffset(group: string, topic: string, queueId: number, offset: number): void;
  /**
   * Every local consumer offset (optional). When given, offsets that moved past what the last sync applied are
   * treated as committed on this slave and handed back, so the broker need not call noteLocalCommit itself.
   */
  consumerOffsets?(): OffsetEntry[];
  /**
   * The master's store id, from the `storeId` extField of its GET_ALL_TOPIC_CONFIG answer (when it sends one).
   * Resolves false when this slave's store belongs to another master: consumer offsets committed here then describe
   * another log and are never handed back.
   */
  applyStoreId?(storeId: string): Promise<boolean> | boolean;
}

/** The remoting call used (RemotingClient.invokeSync fits). */
export interface SyncInvoker {
  invokeSync(addr: string, req: RemotingCommand, timeoutMs?: number): Promise<RemotingCommand>;
}

const key = (topic: string, group: string, queueId: number): string => `${topic}@${group}#${queueId}`;

export class SlaveSynchronize {
  readonly options: SlaveSyncOptions;
  private readonly logger: Logger;
  private master = '';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastFailure = '';
  /** Offsets committed on this slave that the master has not confirmed yet. */
  private readonly pending = new Map<string, OffsetEntry>();
  /** What the last successful round set locally, per key; null before the first one in this process. */
  private applied: Map<string, number> | null = null;
  /** Counters a test or a health check may read. */
  readonly stats = { syncs: 0, failures: 0, handedBack: 0 };
  /**
   * What the last round that reached the master found about its store identity: 'same' (this store holds the
   * master's log, or just took its identity), 'other' (it holds another master's log), 'unchecked' (the master sent
   * no store id, or the target does not check), undefined before any round.
   */
  masterLog: 'same' | 'other' | 'unchecked' | undefined;

  constructor(
    private readonly client: SyncInvoker,
    private readonly target: SlaveSyncTarget,
    options: Record<string, unknown>,
    deps: { logger: Logger },
  ) {
    this.options = resolveOptions(SLAVE_SYNC_OPTION_SPEC, options, 'slave sync');
    this.logger = deps.logger.child({ component: 'slave-sync' });
  }

  /** The master's remoting address (ip:port) from REGISTER_BROKER's masterAddr; '' or null while unknown. */
  setMasterAddress(addr: string | null | undefined): void {
    const next = addr ?? '';
    if (next !== this.master) this.logger.info({ from: this.master, to: next }, 'slave sync master address');
    this.master = next;
  }

  get masterAddress(): string {
    return this.master;
  }

  /** An UPDATE_CONSUMER_OFFSET was stored on this slave: keep it to hand back to the master. */
  noteLocalCommit(group: string, topic: string, queueId: number, offset: number): void {
    const k = key(topic, group, queueId);
    const prev = this.pending.get(k);
    if (!prev || offset >= prev.offset) this.pending.set(k, { group, topic, queueId, offset });
  }

  /** Offsets waiting to be handed back. */
  pendingCommits(): OffsetEntry[] {
    return [...this.pending.values()];
  }

  start(): void {
    if (this.timer) return;
    const first = setTimeout(() => {
      void this.syncOnce();
      this.timer = setInterval(() => void this.syncOnce(), this.options.slaveSyncInterval);
      this.timer.unref();
    }, this.options.slaveSyncInitialDelay);
    first.unref();
    this.timer = first;
  }

  async shutdown(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      clearInterval(this.timer);
    }
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One sync round (also usable directly); concurrent calls share the round in flight. Resolves false on failure. */
  async syncOnce(): Promise<boolean> {
    if (!this.master) return false;
    if (this.running) {
      await this.running.catch(() => undefined);
      return this.lastFailure === '';
    }
    this.running = this.round();
    try {
      await this.running;
      this.stats.syncs++;
      if (this.lastFailure) this.logger.info({ master: this.master }, 'slave sync with the master works again');
      this.lastFailure = '';
      return true;
    } catch (err) {
      this.stats.failures++;
      const msg = err instanceof Error ? err.message : String(err);
      // Log a failure once per distinct cause: a dead master would otherwise log every interval.
      if (msg !== this.lastFailure) this.logger.warn({ master: this.master, err: msg }, 'slave sync failed');
      this.lastFailure = msg;
      return false;
    } finally {
      this.running = null;
    }
  }

  private async call(code: number, ext?: Record<string, string | number>): Promise<RemotingCommand> {
    const addr = this.master;
    const res = await this.client.invokeSync(addr, RemotingCommand.createRequest(code, ext), this.options.slaveSyncTimeout);
    if (res.code !== ResponseCode.SUCCESS) {
      throw new MqError('UNAVAILABLE', `master ${addr} answered code ${res.code} (${res.remark ?? ''}) to request ${code}`);
    }
    return res;
  }

  /** Local offsets beyond what the last round applied were committed here (consumers fell back to the slave). */
  private detectLocalCommits(): void {
    const applied = this.applied;
    // Before the first round nothing is known about where local offsets came from: hand back nothing.
    if (!applied || !this.target.consumerOffsets) return;
    for (const e of this.target.consumerOffsets()) {
      const was = applied.get(key(e.topic, e.group, e.queueId));
      if (was === undefined || e.offset > was) this.noteLocalCommit(e.group, e.topic, e.queueId, e.offset);
    }
  }

  private async round(): Promise<void> {
    this.detectLocalCommits();
    const topics = await this.call(RequestCode.GET_ALL_TOPIC_CONFIG);
    const storeId = topics.extFields?.storeId;
    // The slave's log is its master's: take the master's store identity before anything else (src/broker/log-identity.ts).
    let sameLog = true;
    if (typeof storeId === 'string' && storeId !== '' && this.target.applyStoreId) {
      sameLog = await this.target.applyStoreId(storeId);
      this.masterLog = sameLog ? 'same' : 'other';
    } else {
      this.masterLog = 'unchecked';
    }
    const tw = parseBody(topics.body, 'GET_ALL_TOPIC_CONFIG');
    // An answer without a table leaves ours alone (never wipe the slave's topics on a malformed reply).
    if (typeof tw.topicConfigTable === 'object' && tw.topicConfigTable !== null) {
      const table = tw.topicConfigTable as Record<string, unknown>;
      const configs = Object.entries(table).map(([name, v]) => withEpoch(readTopicConfig(v, name), v));
      this.target.applyTopicConfigs(configs, readDataVersion(tw.dataVersion ?? {}));
    }
    if (!sameLog) {
      // Offsets committed on a slave whose store came from another master are positions in that other log: never
      // hand them back, and copy none (the slave refuses reads until it is rebuilt).
      this.pending.clear();
      this.applied = null;
      return;
    }

    const offsets = await this.call(RequestCode.GET_ALL_CONSUMER_OFFSET);
    const master = readOffsetTable(parseBody(offsets.body, 'GET_ALL_CONSUMER_OFFSET'));
    const masterByKey = new Map(master.map((e) => [key(e.topic, e.group, e.queueId), e.offset]));
    // Hand back what consumers committed here while the master was away, when it is ahead of the master's copy.
    for (const [k, e] of [...this.pending]) {
      const m = masterByKey.get(k);
      if (m !== undefined && m >= e.offset) {
        this.pending.delete(k);
        continue;
      }
      await this.call(RequestCode.UPDATE_CONSUMER_OFFSET, {
        consumerGroup: e.group,
        topic: e.topic,
        queueId: e.queueId,
        commitOffset: e.offset,
      });
      this.pending.delete(k);
      masterByKey.set(k, e.offset);
      this.stats.handedBack++;
      this.logger.info(e, 'handed a consumer offset committed on the slave back to the master');
    }
    const applied = new Map<string, number>();
    for (const e of master) {
      const k = key(e.topic, e.group, e.queueId);
      const v = masterByKey.get(k) ?? e.offset;
      this.target.setConsumerOffset(e.group, e.topic, e.queueId, v);
      applied.set(k, v);
    }
    // Handed-back keys the master did not list yet are ours already; remember them as applied too.
    for (const [k, v] of masterByKey) if (!applied.has(k)) applied.set(k, v);
    this.applied = applied;
  }
}

/**
 * Keeps the master's topic epoch (our own TopicConfig field, which the RocketMQ body reader does not know). A topic
 * the master sends without one has the default epoch there, so it gets that one here (never a new one of its own).
 */
function withEpoch(tc: TopicConfig, raw: unknown): TopicConfig {
  const e = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).topicEpoch : undefined;
  return { ...tc, topicEpoch: typeof e === 'string' && e !== '' ? e : DEFAULT_EPOCH };
}

function parseBody(body: Buffer | undefined, what: string): Record<string, unknown> {
  if (!body || body.length === 0) return {};
  const v = parseFastJson(body.toString('utf8'));
  if (typeof v !== 'object' || v === null) throw new MqError('PROTOCOL', `${what} body is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Reads ConsumerOffsetSerializeWrapper `{"offsetTable":{"topic@group":{0:12}}}` (ref §3.6). */
export function readOffsetTable(wrapper: Record<string, unknown>): OffsetEntry[] {
  const out: OffsetEntry[] = [];
  const table = wrapper.offsetTable;
  if (typeof table !== 'object' || table === null) return out;
  for (const [tg, queues] of Object.entries(table as Record<string, unknown>)) {
    // A topic name cannot contain '@'; a group may not either, but split at the first one as RocketMQ does.
    const at = tg.indexOf('@');
    if (at <= 0 || typeof queues !== 'object' || queues === null) continue;
    const topic = tg.slice(0, at);
    const group = tg.slice(at + 1);
    for (const [q, off] of Object.entries(queues as Record<string, unknown>)) {
      const queueId = Number(q);
      const offset = Number(off);
      if (Number.isInteger(queueId) && Number.isFinite(offset)) out.push({ group, topic, queueId, offset });
    }
  }
  return out;
}

/** Picks the slave-sync keys out of a broker's resolved options (which must declare SLAVE_SYNC_OPTION_SPEC). */
export function pickSlaveSyncOptions(all: object): SlaveSyncOptions {
  const src = all as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const k of Object.keys(SLAVE_SYNC_OPTION_SPEC)) if (k in src && src[k] !== undefined) picked[k] = src[k];
  return resolveOptions(SLAVE_SYNC_OPTION_SPEC, picked, 'slave sync');
}
