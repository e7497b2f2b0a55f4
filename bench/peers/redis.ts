/**
 * Redis as two peers, each on a redis-server of its own on 127.0.0.1 with the append-only file fsynced every second
 * (no RDB saves):
 *   - Redis LIST, the queue most users build on Redis: RPUSH of a batch in one command (lanes share one connection,
 *     so batches are pipelined); consumers LPOP with a COUNT (one round trip per batch), BLMPOP when waiting
 *     (latency). The pop is the acknowledgement: a message is removed when handed out (at most once, no redelivery);
 *     the acknowledged Redis peer is the stream.
 *   - Redis Streams: XADD (a batch is one pipeline of XADDs); XREADGROUP + XACK of each batch read, the consumer-group
 *     API that redelivers unacknowledged entries.
 */
import Redis from 'ioredis';
import { tempDir } from '../../test/helpers/proc';
import type { RolePid } from './cpu';
import { freePort, waitForPort } from './measure';
import { firstLine, installed, startServer } from './server-process';
import type { PeerDest, PeerSystem } from './types';

/** One entry of an XREADGROUP reply: [id, [field, value, ...]]. */
type Entry = [Buffer, Buffer[]];
/** An XREADGROUP reply: [[stream, entries]] or null when nothing was read. */
type ReadReply = Array<[Buffer, Entry[]]> | null;

interface RedisServer {
  version: string;
  pids(): RolePid[];
  /** A client of its own (blocking reads need one each); closed at stop. */
  client(): Redis;
  main: Redis;
  stop(): Promise<void>;
}

async function startRedisServer(): Promise<RedisServer> {
  if (!installed('redis-server')) throw new Error('redis-server is not installed (scripts/test-all.sh installs it)');
  const tmp = tempDir('mq-bench-redis-');
  // Also removed when the run is interrupted (the normal path removes it after stopping the server).
  process.once('exit', tmp.cleanup);
  const port = await freePort();
  // RDB snapshots off (--save ''), so the only disk work is the AOF, the durability class stated for Redis.
  const proc = startServer('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', tmp.dir]);
  const clients: Redis[] = [];
  const client = (): Redis => {
    // One retry at most: a dead server should fail the phase, not stall it (ioredis keeps Nagle off by default).
    const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: false });
    r.on('error', (e: Error) => console.error('redis client error', e.message));
    clients.push(r);
    return r;
  };
  const stop = async (): Promise<void> => {
    for (const c of clients) c.disconnect();
    await proc.stop();
    tmp.cleanup();
  };
  try {
    await waitForPort(port, 20000, 'redis-server');
  } catch (err) {
    await stop();
    throw new Error(`Redis did not start: ${(err as Error).message}; output: ${proc.output().slice(-300)}`);
  }
  const main = client();
  await main.ping();
  const version = /v=(\S+)/.exec(firstLine('redis-server', ['--version']))?.[1] ?? '?';
  return { version, pids: () => (proc.child.pid ? [{ role: 'server', pid: proc.child.pid }] : []), client, main, stop };
}

/** Disconnects a set of clients once a drain is over. */
function closeAll(rs: Redis[]): void {
  for (const r of rs) r.disconnect();
}

/** Redis LIST: RPUSH / LPOP COUNT / BLMPOP. */
export async function startRedisList(): Promise<PeerSystem> {
  const srv = await startRedisServer();
  const { main } = srv;
  return {
    name: `Redis LIST ${srv.version}`,
    key: 'redis-list',
    durability: 'AOF fsync 1 s; pop = remove (no ack)',
    batches: true,
    consumeModes: ['pop'],
    pids: srv.pids,
    async createDest(label: string): Promise<PeerDest> {
      const key = `bench:list:${label}:${process.pid}`;
      return {
        publish: async (_lane, bodies) => {
          // One RPUSH carries the whole batch (Redis appends the values in order, one reply).
          await main.rpush(key, ...bodies);
        },
        drain: async (_mode, total, consumers, batch, deadline) => {
          let n = 0;
          const rs = Array.from({ length: consumers }, () => srv.client());
          await Promise.all(
            rs.map(async (r) => {
              while (n < total && Date.now() < deadline) {
                const got = (await r.lpopBuffer(key, batch)) as Buffer[] | null;
                // Everything was pushed before the drain, so an empty list means this consumer is done.
                if (!got || got.length === 0) break;
                n += got.length;
              }
            }),
          );
          closeAll(rs);
          return n;
        },
        subscribe: async (onBody) => {
          const r = srv.client();
          let stop = false;
          const loop = (async () => {
            while (!stop) {
              // BLMPOP timeout numkeys key LEFT COUNT n: waits up to 0.2 s, then [key, [values]] or null.
              const reply = (await r.callBuffer('BLMPOP', ['0.2', '1', key, 'LEFT', 'COUNT', '64'])) as [Buffer, Buffer[]] | null;
              for (const b of reply?.[1] ?? []) onBody(b);
            }
          })();
          return async () => {
            stop = true;
            await loop;
            r.disconnect();
          };
        },
        remove: async () => {
          await main.del(key);
        },
      };
    },
    stop: srv.stop,
  };
}

/** Redis Streams: XADD / XREADGROUP + XACK. */
export async function startRedisStreams(): Promise<PeerSystem> {
  const srv = await startRedisServer();
  const { main } = srv;
  return {
    name: `Redis Streams ${srv.version}`,
    key: 'redis-streams',
    durability: 'AOF fsync 1 s; XACK',
    batches: true,
    consumeModes: ['ack'],
    pids: srv.pids,
    async createDest(label: string): Promise<PeerDest> {
      const key = `bench:stream:${label}:${process.pid}`;
      const group = 'bench';
      // The group is created with the stream and reads from its start ('0'), as the other systems' consumers do.
      await main.xgroup('CREATE', key, group, '0', 'MKSTREAM');
      /** One XREADGROUP (optionally blocking) and one XACK of what it returned; returns the bodies. */
      const readAck = async (r: Redis, consumer: string, count: number, blockMs: number): Promise<Buffer[]> => {
        const args: Array<string | number> = ['GROUP', group, consumer, 'COUNT', count];
        if (blockMs > 0) args.push('BLOCK', blockMs);
        args.push('STREAMS', key, '>');
        // callBuffer: the bodies come back as Buffers (the plain command would decode them as UTF-8 strings).
        const reply = (await r.callBuffer('XREADGROUP', args)) as ReadReply;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) return [];
        await r.xack(key, group, ...entries.map((e) => e[0]));
        // The body is the value of the single field "d".
        return entries.map((e) => e[1][1]);
      };
      return {
        publish: async (_lane, bodies) => {
          // Lanes share one connection: ioredis writes commands as they come, so in-flight XADDs are pipelined.
          if (bodies.length === 1) {
            await main.xadd(key, '*', 'd', bodies[0]);
            return;
          }
          const p = main.pipeline();
          for (const b of bodies) p.xadd(key, '*', 'd', b);
          const res = await p.exec();
          const failed = res?.find(([e]) => e);
          if (failed) throw failed[0] as Error;
        },
        drain: async (_mode, total, consumers, batch, deadline) => {
          let n = 0;
          const rs = Array.from({ length: consumers }, () => srv.client());
          await Promise.all(
            rs.map(async (r, i) => {
              while (n < total && Date.now() < deadline) {
                const got = await readAck(r, `c${i}`, batch, 0);
                n += got.length;
                // Everything was pre-filled before the drain, so an empty read means this consumer is done.
                if (got.length === 0) break;
              }
            }),
          );
          closeAll(rs);
          return n;
        },
        subscribe: async (onBody) => {
          const r = srv.client();
          let stop = false;
          const loop = (async () => {
            while (!stop) for (const b of await readAck(r, 'lat', 64, 200)) onBody(b);
          })();
          return async () => {
            stop = true;
            await loop;
            r.disconnect();
          };
        },
        remove: async () => {
          await main.del(key);
        },
      };
    },
    stop: srv.stop,
  };
}
