/**
 * The Redis backend: consumer-group state shared by every gateway replica. Each operation on a queue is one Lua
 * script (src/coord/lua/<name>-<numKeys>.lua), so it is atomic across replicas. Keys come from keys.ts.
 *
 * Failure behaviour: the client does not queue commands while disconnected and does not resend a command after a
 * reconnect (a resent claim could hand out a range twice), so every call fails fast with MqError('UNAVAILABLE',
 * retriable) while Redis is unreachable, and works again once ioredis has reconnected in the background.
 */
import Redis from 'ioredis';
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
  QueueRef,
  QueueSnapshot,
  ReclaimRequest,
  TrimStatus,
} from './types';
import { validateIntegers, validateQueueRef } from './validate';

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
}

export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  private readonly keys: CoordKeys;
  private readonly cmd: ScriptCommands;
  /** Groups already recorded in the groups set by this process. */
  private readonly knownGroups = new Set<string>();
  private readonly where: string;

  private constructor(
    private readonly redis: Redis,
    private readonly opts: RedisCoordOptions,
    private readonly log: Logger | undefined,
  ) {
    this.keys = new CoordKeys(opts.redisKeyPrefix);
    this.cmd = redis as unknown as ScriptCommands;
    this.where = redactUrl(opts.redisUrl);
  }

  /**
   * Connects to Redis and resolves a ready coordinator; rejects with MqError('UNAVAILABLE') when Redis cannot be
   * reached within redisConnectTimeoutMs.
   */
  static async connect(input: Record<string, unknown> = {}, deps: RedisCoordinatorDeps = {}): Promise<RedisCoordinator> {
    const opts = resolveRedisCoordOptions(input);
    const log = deps.logger?.child({ component: 'coord' });
    const redis = new Redis(opts.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: opts.redisConnectTimeoutMs,
      commandTimeout: opts.redisCommandTimeoutMs,
      retryStrategy: (times) => Math.min(times * 50, opts.redisReconnectMaxDelayMs),
    });
    // ioredis prints unhandled 'error' events to the console; errors reach callers through rejected commands instead.
    redis.on('error', (err: Error) => log?.debug({ err: err.message }, 'redis error'));
    for (const state of ['ready', 'close', 'reconnecting', 'end'] as const) {
      redis.on(state, () => log?.info({ state, redis: redactUrl(opts.redisUrl) }, 'redis connection state'));
    }
    for (const s of loadScripts()) {
      const name = `mqg${s.name[0].toUpperCase()}${s.name.slice(1)}`;
      redis.defineCommand(name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
    }
    const self = new RedisCoordinator(redis, opts, log);
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
    validateIntegers('claim', { ...req });
    const k = this.keys.queue(q);
    const reply = await this.run('claim', () =>
      this.cmd.mqgClaim(...queueKeys(k, true), req.startOffsetIfNew, req.minOffset, req.maxOffset, req.maxCount, req.invisibleMs, req.now, this.keys.member(q.topic, q.queueKey)),
    );
    await this.noteGroup(q.group);
    const leases = parseLeases(reply);
    return leases[0] ?? null;
  }

  /** {@inheritDoc Coordinator.trim} */
  async trim(q: QueueRef, lease: Lease, readEnd: number, delivered: readonly number[]): Promise<TrimStatus> {
    validateQueueRef(q);
    validateIntegers('trim', { lease: lease.lease, from: lease.from, to: lease.to, readEnd });
    const reply = await this.run('trim', () =>
      this.cmd.mqgTrim(...queueKeys(this.keys.queue(q), false), lease.lease, lease.from, lease.to, readEnd, formatRanges(fromOffsets(delivered))),
    );
    return reply === 'OK' ? 'OK' : 'STALE';
  }

  /** {@inheritDoc Coordinator.ack} */
  async ack(q: QueueRef, items: readonly AckItem[], opts: AckOptions = {}): Promise<AckResult> {
    validateQueueRef(q);
    const args: Arg[] = [opts.allOrNothing ? '1' : '0'];
    for (const it of items) {
      validateIntegers('ack', { lease: it.lease, offset: it.offset });
      args.push(it.lease, it.offset);
    }
    const reply = await this.run('ack', () => this.cmd.mqgAck(...queueKeys(this.keys.queue(q), false), ...args));
    const r = asArray(reply).map(Number);
    return { applied: r[0] === 1, committed: r[1], statuses: r.slice(2).map((s) => ACK_STATUS[s] ?? 'STALE') };
  }

  /** {@inheritDoc Coordinator.reclaimExpired} */
  async reclaimExpired(q: QueueRef, req: ReclaimRequest): Promise<Lease[]> {
    validateQueueRef(q);
    validateIntegers('reclaimExpired', { ...req });
    const reply = await this.run('reclaimExpired', () =>
      this.cmd.mqgReclaim(...queueKeys(this.keys.queue(q), false), req.now, req.invisibleMs, req.maxCount),
    );
    return parseLeases(reply);
  }

  /** {@inheritDoc Coordinator.seed} */
  async seed(q: QueueRef, offset: number): Promise<number> {
    validateQueueRef(q);
    validateIntegers('seed', { offset });
    const reply = await this.run('seed', () => this.cmd.mqgSeed(...queueKeys(this.keys.queue(q), true), offset, this.keys.member(q.topic, q.queueKey)));
    await this.noteGroup(q.group);
    return Number(reply);
  }

  /** {@inheritDoc Coordinator.inspect} */
  async inspect(q: QueueRef): Promise<QueueSnapshot | null> {
    validateQueueRef(q);
    const k = this.keys.queue(q);
    // MULTI so that the hash and the lease count are read at one instant.
    const res = await this.run('inspect', () => this.redis.multi().hmget(k.state, 'cur', 'com', 'free').hlen(k.leases).exec());
    const [[e1, v], [e2, n]] = res as [[Error | null, (string | null)[]], [Error | null, number]];
    if (e1 || e2) throw this.unavailable('inspect', e1 ?? e2);
    if (v[0] === null) return null;
    return { cursor: Number(v[0]), committed: Number(v[1]), free: parseRanges(v[2] ?? ''), inflight: Number(n) };
  }

  /** {@inheritDoc Coordinator.committedOffsets} */
  async committedOffsets(group: string): Promise<CommittedOffset[]> {
    const members = await this.run('committedOffsets', () => this.redis.smembers(this.keys.groupQueues(group)));
    if (members.length === 0) return [];
    const refs = members.map((m) => ({ group, ...this.keys.parseMember(m) }));
    const res = await this.run('committedOffsets', () => {
      const p = this.redis.pipeline();
      for (const r of refs) p.hget(this.keys.queue(r).state, 'com');
      return p.exec();
    });
    const out: CommittedOffset[] = [];
    refs.forEach((r, i) => {
      const [err, v] = (res ?? [])[i] ?? [null, null];
      if (err) throw this.unavailable('committedOffsets', err);
      if (v !== null && v !== undefined) out.push({ topic: r.topic, queueKey: r.queueKey, offset: Number(v) });
    });
    return out;
  }

  /** {@inheritDoc Coordinator.groups} */
  async groups(): Promise<string[]> {
    return this.run('groups', () => this.redis.smembers(this.keys.groups()));
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
   * Records the group in the groups set once per process (a separate key: it lives in another cluster slot, so the
   * scripts cannot write it). A failure here is not the caller's: the claim already happened and must be returned,
   * so it is only logged and retried on the next call.
   */
  private async noteGroup(group: string): Promise<void> {
    if (this.knownGroups.has(group)) return;
    try {
      await this.redis.sadd(this.keys.groups(), group);
      this.knownGroups.add(group);
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

/** KEYS of a script: the four queue keys, plus the group's queue set for scripts that may create state. */
function queueKeys(k: QueueKeys, withGroup: boolean): string[] {
  const keys = [k.state, k.leases, k.lowest, k.deadlines];
  return withGroup ? [...keys, k.groupQueues] : keys;
}

function asArray(reply: unknown): unknown[] {
  return Array.isArray(reply) ? reply : [];
}

/** Parses the flat lease list of claim and reclaim: 6 entries per lease. */
function parseLeases(reply: unknown): Lease[] {
  const r = asArray(reply);
  const out: Lease[] = [];
  for (let i = 0; i + 5 < r.length; i += 6) {
    out.push({
      lease: Number(r[i]),
      from: Number(r[i + 1]),
      to: Number(r[i + 2]),
      deadline: Number(r[i + 3]),
      attempt: Number(r[i + 4]),
      offsets: parseRanges(String(r[i + 5])),
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
