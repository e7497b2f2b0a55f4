/**
 * The Redis backend: consumer-group state shared by every gateway replica. Each operation on a queue is one Lua
 * script (src/coord/lua/<name>-<numKeys>.lua), so it is atomic across replicas. Keys come from keys.ts.
 *
 * Failure behaviour: the client does not queue commands while disconnected and does not resend a command after a
 * reconnect (a resent claim could hand out a range twice), so every call fails fast with MqError('UNAVAILABLE',
 * retriable) while Redis is unreachable, and works again once ioredis has reconnected in the background.
 */
import Redis, { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import { MqError } from '../common';
import { CoordKeys } from './keys';
import type { QueueKeys } from './keys';
import { resolveRedisCoordOptions } from './options';
import type { RedisCoordOptions } from './options';
import { fromOffsets } from './ranges';
import { loadScripts } from './scripts';
import type {
  AckItem,
  AckOptions,
  AckResult,
  AckStatus,
  ClaimRequest,
  CommittedOffset,
  Coordinator,
  Lease,
  OffsetRange,
  OffsetReset,
  QueueRef,
  QueueSnapshot,
  ReclaimRequest,
  SeedOptions,
  TrimStatus,
} from './types';
import { noStateError, validateIntegers, validateQueueRef } from './validate';

type Arg = string | number;
/** The commands defineCommand adds, one per Lua file (name prefixed with "mqg"). */
interface ScriptCommands {
  mqgClaim(...args: Arg[]): Promise<unknown>;
  mqgTrim(...args: Arg[]): Promise<unknown>;
  mqgAck(...args: Arg[]): Promise<unknown>;
  mqgReclaim(...args: Arg[]): Promise<unknown>;
  mqgSeed(...args: Arg[]): Promise<unknown>;
}

const ACK_STATUS: readonly AckStatus[] = ['OK', 'ALREADY_ACKED', 'STALE'];

/** Dependencies injected by the caller. */
export interface RedisCoordinatorDeps {
  /** Connection state changes are logged here (child logger with component=coord). */
  logger?: Logger;
  /** Every key of a group expires after this long without use, in ms; 0 = never (the gateway's groupStateTtlMs). */
  groupStateTtlMs?: number;
}

export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  private readonly keys: CoordKeys;
  private readonly cmd: ScriptCommands;
  private readonly where: string;

  private constructor(
    private readonly redis: Redis,
    private readonly opts: RedisCoordOptions,
    private readonly log: Logger | undefined,
    private readonly ttlMs: number,
  ) {
    this.keys = new CoordKeys(opts.redisKeyPrefix);
    this.cmd = redis as unknown as ScriptCommands;
    this.where = describe(opts);
  }

  /**
   * Connects to Redis and resolves a ready coordinator; rejects with MqError('UNAVAILABLE') when Redis cannot be
   * reached within redisConnectTimeoutMs.
   */
  static async connect(input: Record<string, unknown> = {}, deps: RedisCoordinatorDeps = {}): Promise<RedisCoordinator> {
    const opts = resolveRedisCoordOptions(input);
    const log = deps.logger?.child({ component: 'coord' });
    const redis = createClient(opts);
    // ioredis prints unhandled 'error' events to the console; errors reach callers through rejected commands instead.
    redis.on('error', (err: Error) => log?.debug({ err: err.message }, 'redis error'));
    for (const state of ['ready', 'close', 'reconnecting', 'end'] as const) {
      redis.on(state, () => log?.info({ state, redis: describe(opts) }, 'redis connection state'));
    }
    for (const s of loadScripts()) {
      const name = `mqg${s.name[0].toUpperCase()}${s.name.slice(1)}`;
      redis.defineCommand(name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
    }
    const self = new RedisCoordinator(redis, opts, log, deps.groupStateTtlMs ?? 0);
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw self.unavailable('connect', err);
    }
    return self;
  }

  /** {@inheritDoc Coordinator.claim} */
  async claim(q: QueueRef, req: ClaimRequest): Promise<Lease | null> {
    validateQueueRef(q);
    validateIntegers('claim', { minOffset: req.minOffset, maxOffset: req.maxOffset, maxCount: req.maxCount, invisibleMs: req.invisibleMs, now: req.now });
    if (req.startOffsetIfNew !== -1) validateIntegers('claim', { startOffsetIfNew: req.startOffsetIfNew });
    const k = this.keys.queue(q);
    const reply = await this.run('claim', () =>
      this.cmd.mqgClaim(
        ...queueKeys(k),
        this.ttlMs,
        req.now,
        req.startOffsetIfNew,
        req.minOffset,
        req.maxOffset,
        req.maxCount,
        req.invisibleMs,
        this.keys.member(q.topic, q.queueKey),
        req.logId ?? '',
        req.subscription ?? '*',
        req.orderly ? '1' : '0',
        req.rewindAbove ?? -1,
      ),
    );
    const r = asArray(reply);
    if (r[0] === 'NO_STATE') throw noStateError(q);
    if (req.startOffsetIfNew >= 0) await this.noteGroup(q.group);
    const leases = parseLeases(reply);
    return leases[0] ?? null;
  }

  /** {@inheritDoc Coordinator.trim} */
  async trim(q: QueueRef, lease: Lease, readEnd: number, delivered: readonly number[]): Promise<TrimStatus> {
    validateQueueRef(q);
    validateIntegers('trim', { lease: lease.lease, from: lease.from, to: lease.to, readEnd });
    const reply = await this.run('trim', () =>
      this.cmd.mqgTrim(...queueKeys(this.keys.queue(q)), this.ttlMs, Date.now(), lease.lease, lease.from, lease.to, readEnd, formatRanges(fromOffsets(delivered))),
    );
    return reply === 'OK' ? 'OK' : 'STALE';
  }

  /** {@inheritDoc Coordinator.ack} */
  async ack(q: QueueRef, items: readonly AckItem[], opts: AckOptions = {}): Promise<AckResult> {
    validateQueueRef(q);
    const args: Arg[] = [this.ttlMs, Date.now(), opts.allOrNothing ? '1' : '0'];
    for (const it of items) {
      validateIntegers('ack', { lease: it.lease, offset: it.offset });
      args.push(it.lease, it.offset);
    }
    const reply = await this.run('ack', () => this.cmd.mqgAck(...queueKeys(this.keys.queue(q)), ...args));
    const r = asArray(reply).map(Number);
    return { applied: r[0] === 1, committed: r[1], statuses: r.slice(2).map((s) => ACK_STATUS[s] ?? 'STALE') };
  }

  /** {@inheritDoc Coordinator.reclaimExpired} */
  async reclaimExpired(q: QueueRef, req: ReclaimRequest): Promise<Lease[]> {
    validateQueueRef(q);
    validateIntegers('reclaimExpired', { ...req });
    const reply = await this.run('reclaimExpired', () =>
      this.cmd.mqgReclaim(...queueKeys(this.keys.queue(q)), this.ttlMs, req.now, req.invisibleMs, req.maxCount),
    );
    return parseLeases(reply);
  }

  /** {@inheritDoc Coordinator.seed} */
  async seed(q: QueueRef, offset: number, opts: SeedOptions = {}): Promise<number> {
    validateQueueRef(q);
    validateIntegers('seed', { offset });
    const reply = await this.run('seed', () =>
      this.cmd.mqgSeed(
        ...queueKeys(this.keys.queue(q)),
        this.ttlMs,
        opts.now ?? Date.now(),
        offset,
        this.keys.member(q.topic, q.queueKey),
        opts.logId ?? '',
        opts.replaceIfCursorAbove ?? -1,
        '0',
      ),
    );
    // Always (not once per process): after a flush the group must be listed again for the offset writer.
    await this.noteGroup(q.group);
    return Number(reply);
  }

  /** {@inheritDoc Coordinator.resetOffsets} */
  async resetOffsets(group: string, topic: string, offsets: readonly OffsetReset[]): Promise<void> {
    for (const o of offsets) {
      const q = { group, topic, queueKey: `${o.brokerName}:${o.queueId}` };
      validateQueueRef(q);
      validateIntegers('resetOffsets', { queueId: o.queueId, offset: o.offset });
      await this.run('resetOffsets', () =>
        this.cmd.mqgSeed(...queueKeys(this.keys.queue(q)), this.ttlMs, Date.now(), o.offset, this.keys.member(topic, q.queueKey), '', -1, '1'),
      );
    }
    if (offsets.length > 0) await this.noteGroup(group);
  }

  /** {@inheritDoc Coordinator.deleteGroup} */
  async deleteGroup(group: string): Promise<void> {
    const members = await this.run('deleteGroup', () => this.redis.smembers(this.keys.groupQueues(group)));
    const keys: string[] = [this.keys.groupQueues(group), this.keys.flushLock(group)];
    for (const m of members) {
      const k = this.keys.queue({ group, ...this.keys.parseMember(m) });
      keys.push(k.state, k.leases, k.lowest, k.deadlines, k.done);
    }
    // All keys of a group share one slot (hash tag), so one DEL works on Redis Cluster too.
    await this.run('deleteGroup', () => this.redis.del(...keys));
    await this.run('deleteGroup', () => this.redis.srem(this.keys.groups(), group));
  }

  /** {@inheritDoc Coordinator.acquireFlush} */
  async acquireFlush(group: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.flushLock(group);
    const got = await this.run('acquireFlush', () => this.redis.set(key, owner, 'PX', ttlMs, 'NX'));
    if (got === 'OK') return true;
    const holder = await this.run('acquireFlush', () => this.redis.get(key));
    if (holder !== owner) return false;
    await this.run('acquireFlush', () => this.redis.pexpire(key, ttlMs));
    return true;
  }

  /** {@inheritDoc Coordinator.inspect} */
  async inspect(q: QueueRef): Promise<QueueSnapshot | null> {
    validateQueueRef(q);
    const k = this.keys.queue(q);
    // MULTI so that the hash and the lease count are read at one instant.
    const res = await this.run('inspect', () => this.redis.multi().hmget(k.state, 'cur', 'com', 'free', 'log').hlen(k.leases).exec());
    const [[e1, v], [e2, n]] = res as [[Error | null, (string | null)[]], [Error | null, number]];
    if (e1 || e2) throw this.unavailable('inspect', e1 ?? e2);
    if (v[0] === null) return null;
    return { cursor: Number(v[0]), committed: Number(v[1]), free: parseRanges(v[2] ?? ''), inflight: Number(n), logId: v[3] ?? '' };
  }

  /** {@inheritDoc Coordinator.committedOffsets} */
  async committedOffsets(group: string): Promise<CommittedOffset[]> {
    const members = await this.run('committedOffsets', () => this.redis.smembers(this.keys.groupQueues(group)));
    if (members.length === 0) {
      // The group's keys expired (groupStateTtlMs) or were deleted: it is no longer listed.
      await this.run('committedOffsets', () => this.redis.srem(this.keys.groups(), group));
      return [];
    }
    const refs = members.map((m) => ({ group, ...this.keys.parseMember(m) }));
    const res = await this.run('committedOffsets', () => {
      const p = this.redis.pipeline();
      for (const r of refs) p.hmget(this.keys.queue(r).state, 'com', 'log');
      return p.exec();
    });
    const out: CommittedOffset[] = [];
    const gone: string[] = [];
    refs.forEach((r, i) => {
      const [err, v] = (res ?? [])[i] ?? [null, null];
      if (err) throw this.unavailable('committedOffsets', err);
      const [com, log] = (v ?? [null, null]) as (string | null)[];
      if (com !== null && com !== undefined) out.push({ topic: r.topic, queueKey: r.queueKey, offset: Number(com), logId: log ?? '' });
      else gone.push(members[i]);
    });
    // Members whose state expired are dropped from the set.
    if (gone.length > 0) await this.run('committedOffsets', () => this.redis.srem(this.keys.groupQueues(group), ...gone));
    return out;
  }

  /** {@inheritDoc Coordinator.groups} */
  async groups(): Promise<string[]> {
    return this.run('groups', () => this.redis.smembers(this.keys.groups()));
  }

  /** {@inheritDoc Coordinator.generationsRead} */
  async generationsRead(): Promise<Record<string, string>> {
    return this.run('generations', () => this.redis.hgetall(this.keys.generations()));
  }

  /** {@inheritDoc Coordinator.generationsAdd} */
  async generationsAdd(field: string, value: string): Promise<string> {
    const key = this.keys.generations();
    await this.run('generations', () => this.redis.hsetnx(key, field, value));
    return (await this.run('generations', () => this.redis.hget(key, field))) ?? value;
  }

  /** {@inheritDoc Coordinator.generationsSet} */
  async generationsSet(field: string, value: string): Promise<void> {
    await this.run('generations', () => this.redis.hset(this.keys.generations(), field, value));
  }

  /** Closes the connection (QUIT); the state stays in Redis. */
  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      // Already disconnected: nothing left to release.
      this.redis.disconnect();
    }
  }

  /**
   * Records the group in the groups set (a separate key: it lives in another cluster slot, so the scripts cannot
   * write it), each time a state is created, so that a flushed Redis lists the group again. A failure here is not
   * the caller's: the claim already happened and must be returned, so it is only logged.
   */
  private async noteGroup(group: string): Promise<void> {
    try {
      await this.redis.sadd(this.keys.groups(), group);
    } catch (err) {
      this.log?.warn({ err: err instanceof Error ? err.message : String(err), group }, 'could not record group in Redis');
    }
  }

  /** Runs one Redis call and maps any failure to MqError('UNAVAILABLE', retriable). */
  private async run<T>(op: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw this.unavailable(op, err);
    }
  }

  private unavailable(op: string, err: unknown): MqError {
    const why = err instanceof Error ? err.message : String(err);
    return new MqError(
      'UNAVAILABLE',
      `coord: Redis ${this.where} failed during ${op}: ${why} (check that Redis is up, or raise redisCommandTimeoutMs=${this.opts.redisCommandTimeoutMs})`,
      { retriable: true, cause: err, details: { redis: this.where, op } },
    );
  }
}

/** KEYS of a script (see lib.lua). */
function queueKeys(k: QueueKeys): string[] {
  return [k.state, k.leases, k.lowest, k.deadlines, k.done, k.groupQueues];
}

/** host:port list → ioredis nodes. */
function nodesOf(list: string): Array<{ host: string; port: number }> {
  return list
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
    .map((x) => {
      const i = x.lastIndexOf(':');
      return { host: x.slice(0, i), port: Number(x.slice(i + 1)) };
    });
}

/**
 * The ioredis client for the configured deployment: redisClusterNodes → Redis Cluster; redisSentinels → the primary
 * that the Sentinels name redisSentinelMaster (followed across failovers); else the single server redisUrl. The
 * password and db of redisUrl apply to the Sentinel-managed servers too.
 */
function createClient(opts: RedisCoordOptions): Redis {
  const common = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: opts.redisConnectTimeoutMs,
    commandTimeout: opts.redisCommandTimeoutMs,
    retryStrategy: (times: number) => Math.min(times * 50, opts.redisReconnectMaxDelayMs),
  };
  if (opts.redisClusterNodes !== '') {
    const url = new URL(opts.redisUrl);
    return new Cluster(nodesOf(opts.redisClusterNodes), {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: common.retryStrategy,
      redisOptions: { ...common, password: url.password ? decodeURIComponent(url.password) : undefined },
    }) as unknown as Redis;
  }
  if (opts.redisSentinels !== '') {
    const url = new URL(opts.redisUrl);
    const db = Number(url.pathname.replace('/', '') || '0');
    return new Redis({
      ...common,
      sentinels: nodesOf(opts.redisSentinels),
      name: opts.redisSentinelMaster,
      db,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      sentinelRetryStrategy: common.retryStrategy,
    });
  }
  return new Redis(opts.redisUrl, common);
}

/** Where the state lives, without a password, for messages and logs. */
function describe(opts: RedisCoordOptions): string {
  if (opts.redisClusterNodes !== '') return `cluster ${opts.redisClusterNodes}`;
  if (opts.redisSentinels !== '') return `sentinel ${opts.redisSentinelMaster}@${opts.redisSentinels}`;
  return redactUrl(opts.redisUrl);
}

function asArray(reply: unknown): unknown[] {
  return Array.isArray(reply) ? reply : [];
}

/** Parses the flat lease list of claim and reclaim: 8 entries per lease (lease_reply in lib.lua). */
function parseLeases(reply: unknown): Lease[] {
  const r = asArray(reply);
  const out: Lease[] = [];
  for (let i = 0; i + 7 < r.length; i += 8) {
    out.push({
      lease: Number(r[i]),
      from: Number(r[i + 1]),
      to: Number(r[i + 2]),
      deadline: Number(r[i + 3]),
      attempt: Number(r[i + 4]),
      offsets: parseRanges(String(r[i + 5])),
      subscription: String(r[i + 6]),
      expired: Number(r[i + 7]),
    });
  }
  return out;
}

/** "a-b,c-d" -> ranges (the format of lib.lua). */
function parseRanges(s: string): OffsetRange[] {
  if (s === '') return [];
  return s.split(',').map((p) => {
    const [a, b] = p.split('-').map(Number);
    return [a, b] as const;
  });
}

function formatRanges(ranges: readonly OffsetRange[]): string {
  return ranges.map(([a, b]) => `${a}-${b}`).join(',');
}

/** The Redis URL without a password, for messages and logs. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
