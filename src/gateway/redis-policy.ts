/**
 * The gateway keeps leases, acks and committed offsets in Redis (coord=redis). A Redis that evicts keys under memory
 * pressure (`maxmemory-policy` other than `noeviction`) would silently drop them: messages delivered twice, or acked
 * work redone. The gateway therefore refuses to start on such a Redis, naming the setting.
 *
 * The policy is read with `CONFIG GET maxmemory-policy`, or from `INFO memory` where CONFIG is disabled (managed
 * Redis services often rename it). When neither answers, the start goes on with a warning. A Redis that cannot be
 * reached at all is reported by the coordinator's own connect right after.
 */
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { MqError } from '../common';

function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/** Reads Redis's maxmemory-policy; undefined when it cannot be learned. */
async function readPolicy(redis: Redis): Promise<string | undefined> {
  try {
    const r = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(r) && r.length >= 2) return String(r[1]);
  } catch {
    // CONFIG may be disabled or renamed: fall back to INFO.
  }
  try {
    const info = await redis.info('memory');
    const m = /^maxmemory_policy:(\S+)/m.exec(info);
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

/** Throws INVALID_OPTION when the Redis at redisUrl may evict keys. */
export async function checkRedisEviction(opts: Record<string, unknown>, log?: Logger): Promise<void> {
  const url = String(opts.redisUrl);
  const timeout = Number(opts.redisConnectTimeoutMs ?? 2000);
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeout,
    commandTimeout: Number(opts.redisCommandTimeoutMs ?? 2000),
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  let policy: string | undefined;
  try {
    await redis.connect();
    policy = await readPolicy(redis);
  } catch {
    // Unreachable: the coordinator's connect reports it.
    return;
  } finally {
    redis.disconnect();
  }
  if (policy === undefined) {
    log?.warn({ redis: redact(url) }, 'could not read Redis maxmemory-policy (CONFIG and INFO refused); make sure it is noeviction');
    return;
  }
  if (policy !== 'noeviction') {
    throw new MqError(
      'INVALID_OPTION',
      `Redis at ${redact(url)} has maxmemory-policy ${policy}: it may evict the gateway's leases and offsets under memory pressure. Set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction)`,
      { details: { option: 'redisUrl', setting: 'maxmemory-policy', value: policy } },
    );
  }
}
