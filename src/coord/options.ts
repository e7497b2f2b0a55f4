/** Options of the Redis coordination backend (the memory backend has none). */
import { opt, resolveOptions } from '../common';
import type { Resolved } from '../common';

export const REDIS_COORD_OPTIONS = {
  redisUrl: opt('redis://127.0.0.1:6379/0', 'Redis server for consumer-group state, as redis://[:password@]host:port/db'),
  redisSentinels: opt('', 'Redis Sentinels as host:port,host:port; set = the primary they name redisSentinelMaster is used (password and db from redisUrl)'),
  redisSentinelMaster: opt('mymaster', 'the master name the Sentinels of redisSentinels watch'),
  redisClusterNodes: opt('', 'Redis Cluster seed nodes as host:port,host:port; set = Redis Cluster (password from redisUrl; keys are hash-tagged per group)'),
  redisKeyPrefix: opt('mqg', 'prefix of every Redis key of the consumer-group state; replicas that share state use the same one'),
  redisConnectTimeoutMs: opt(2000, 'how long to wait for a connection to Redis, in ms', { min: 1, max: 60000 }),
  redisCommandTimeoutMs: opt(2000, 'how long one Redis command may take before the call fails with UNAVAILABLE, in ms', {
    min: 1,
    max: 60000,
  }),
  redisReconnectMaxDelayMs: opt(1000, 'the longest pause between reconnection attempts after Redis went away, in ms', {
    min: 10,
    max: 60000,
  }),
};

export type RedisCoordOptions = Resolved<typeof REDIS_COORD_OPTIONS>;

/** Validates user input (unknown keys are rejected) and fills in defaults. */
export function resolveRedisCoordOptions(input: Record<string, unknown> = {}): RedisCoordOptions {
  return resolveOptions(REDIS_COORD_OPTIONS, input, 'coord');
}
