/**
 * The identity of a store: a random id created with the store and kept in `<storePathRootDir>/storeIdentity.json`
 * for the store's life, so that a reader can tell one log from another under the same broker name. A rebuilt (empty)
 * store, another cluster's broker set with the same name, or a slave that copied another master all get or keep a
 * different id; a restart keeps it.
 *
 *   storeIdentity.json := { "storeId": <32 hex>, "createdAt": <ms>, "origin": "created" | "master" }
 *
 * "created": this store made the id (a master). "master": a slave copied it from the master it replicates (the
 * slave's log is that master's log). Written atomically (tmp + fsync + rename, previous copy kept as `.bak`).
 *
 * A topic epoch (kept in topics.json with the topic) tells a re-created topic from the one deleted before it;
 * {@link newTopicEpoch} makes one. Topics without one (built-in topics, older files) have epoch {@link DEFAULT_EPOCH}.
 */
import { randomBytes } from 'crypto';
import * as path from 'path';
import { JsonConfigFile } from './json-config-file';

/** File name of the identity under storePathRootDir. */
export const STORE_IDENTITY_FILE = 'storeIdentity.json';

/** Epoch of topics that carry none (built-in topics, topics.json written before epochs existed). */
export const DEFAULT_EPOCH = '0';

export interface StoreIdentityRecord {
  storeId: string;
  createdAt: number;
  origin: 'created' | 'master';
}

const ID_PATTERN = /^[0-9a-f]{8,64}$/;

/** A new store id: 128 random bits in hex. */
export function newStoreId(): string {
  return randomBytes(16).toString('hex');
}

/** A new topic epoch: 64 random bits in hex (never equal to {@link DEFAULT_EPOCH}). */
export function newTopicEpoch(): string {
  return randomBytes(8).toString('hex');
}

/** Whether `id` has the shape of a store id (what a slave accepts from its master). */
export function isStoreId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

/** The log id reported to readers for one topic of a store: `<storeId>.<topicEpoch>`. */
export function logIdOf(storeId: string, topicEpoch: string | undefined): string {
  return `${storeId}.${topicEpoch ?? DEFAULT_EPOCH}`;
}

/** Loads, creates and replaces the identity file of one store directory. */
export class StoreIdentity {
  private readonly file: JsonConfigFile<StoreIdentityRecord>;
  private record: StoreIdentityRecord | undefined;

  /** @param rootDir the store's storePathRootDir. */
  constructor(rootDir: string) {
    this.file = new JsonConfigFile<StoreIdentityRecord>(path.join(rootDir, STORE_IDENTITY_FILE), {
      encode: (v) => JSON.stringify(v, null, 2),
      decode: (t) => {
        const v = JSON.parse(t) as StoreIdentityRecord;
        if (!isStoreId(v.storeId)) throw new Error('storeId missing or malformed');
        return v;
      },
    });
  }

  /** The current id, undefined before one was loaded, created or adopted. */
  get storeId(): string | undefined {
    return this.record?.storeId;
  }

  get origin(): StoreIdentityRecord['origin'] | undefined {
    return this.record?.origin;
  }

  /** Reads the file (or its .bak); undefined when the store has no identity yet. */
  async load(): Promise<string | undefined> {
    this.record = await this.file.load();
    return this.record?.storeId;
  }

  /** Loads the identity, creating and writing a new one when there is none (a master's store). */
  async loadOrCreate(): Promise<string> {
    const have = await this.load();
    if (have) return have;
    return this.write({ storeId: newStoreId(), createdAt: Date.now(), origin: 'created' });
  }

  /** Takes the master's id (a slave), written before it is used. */
  async adopt(storeId: string): Promise<string> {
    if (!isStoreId(storeId)) throw new Error(`not a store id: ${JSON.stringify(storeId)}`);
    return this.write({ storeId, createdAt: Date.now(), origin: 'master' });
  }

  private async write(r: StoreIdentityRecord): Promise<string> {
    await this.file.save(r);
    this.record = r;
    return r.storeId;
  }
}
