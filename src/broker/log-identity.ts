/**
 * The broker's log identity: which log a (store, topic) answer describes, reported to readers as the response
 * extField `logId` = `<storeId>.<topicEpoch>` on PULL_MESSAGE, GET_MIN_OFFSET, GET_MAX_OFFSET, QUERY_CONSUMER_OFFSET
 * and SEARCH_OFFSET_BY_TIMESTAMP. RocketMQ clients ignore unknown extFields; our gateway uses it to tie a queue's
 * cursor to the log it describes (a rebuilt store, another cluster with the same broker names, a re-created topic
 * all report another logId).
 *
 *   - A master loads its store's identity, or creates it with the store (src/store/store-identity.ts).
 *   - A slave never makes one: it takes its master's from the metadata sync (GET_ALL_TOPIC_CONFIG answers carry the
 *     master's `storeId` extField). Until it has one it reports no logId. When its master's id differs from the one
 *     its non-empty store was copied under, the store came from another master: the slave refuses reads
 *     (SERVICE_NOT_AVAILABLE) rather than serve that log under either identity, and stops replicating into it.
 */
import type pino from 'pino';
import { StoreIdentity, logIdOf } from '../store/store-identity';

/** The response extField that carries the log identity. */
export const LOG_ID_FIELD = 'logId';
/** The GET_ALL_TOPIC_CONFIG response extField that carries the master's store id to its slaves. */
export const STORE_ID_FIELD = 'storeId';

export interface LogIdentityDeps {
  logger: pino.Logger;
  /** Whether the store holds no commit-log data (a slave may then take any master's id). */
  storeEmpty(): boolean;
  /** The topic's epoch; null when the topic does not exist here. */
  topicEpoch(topic: string): string | undefined | null;
  /** Called once when a slave finds its store came from another master. */
  onConflict?(reason: string): void;
}

export class LogIdentity {
  private readonly identity: StoreIdentity;
  private conflictReason: string | undefined;
  private adopting: Promise<unknown> = Promise.resolve();

  constructor(
    storePathRootDir: string,
    private readonly isSlave: boolean,
    private readonly deps: LogIdentityDeps,
  ) {
    this.identity = new StoreIdentity(storePathRootDir);
  }

  /** Loads the identity (a master creates it when the store has none). */
  async start(): Promise<void> {
    if (this.isSlave) await this.identity.load();
    else await this.identity.loadOrCreate();
  }

  /** The store id served, undefined on a slave that has not learned its master's yet. */
  get storeId(): string | undefined {
    return this.identity.storeId;
  }

  /** Why this slave refuses reads (its store came from another master), or undefined. */
  get conflict(): string | undefined {
    return this.conflictReason;
  }

  /** The logId of a topic, or undefined when unknown (no identity yet, unknown topic). */
  logId(topic: string): string | undefined {
    const id = this.identity.storeId;
    if (id === undefined || this.conflictReason !== undefined) return undefined;
    const epoch = this.deps.topicEpoch(topic);
    return epoch === null ? undefined : logIdOf(id, epoch);
  }

  /**
   * A slave learned its master's store id (metadata sync). Resolves once any change is on disk: true when this
   * store now holds the master's log identity, false when it belongs to another master (see {@link conflict}).
   */
  fromMaster(masterId: string): Promise<boolean> {
    const run = this.adopting.then(() => this.apply(masterId));
    this.adopting = run.catch(() => undefined);
    return run;
  }

  private async apply(masterId: string): Promise<boolean> {
    if (!this.isSlave) return true;
    if (this.conflictReason !== undefined) return false;
    const have = this.identity.storeId;
    if (have === masterId) return true;
    if (have !== undefined && !this.deps.storeEmpty()) {
      this.conflictReason =
        `the store of this slave was copied from another master (store id ${have}, the master's is ${masterId}); ` +
        'delete this slave\'s storePathRootDir and restart it to copy the master again';
      this.deps.logger.error({ storeId: have, masterStoreId: masterId }, 'slave store belongs to another master; reads refused');
      this.deps.onConflict?.(this.conflictReason);
      return false;
    }
    await this.identity.adopt(masterId);
    this.deps.logger.info({ from: have, storeId: masterId }, 'slave took its master\'s store identity');
    return true;
  }
}
