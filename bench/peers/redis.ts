/**
 * Redis streams as a peer: redis-server on 127.0.0.1 with the append-only file fsynced every second (no RDB saves),
 * XADD to publish (a batch is one pipeline of XADDs), XREADGROUP + XACK to consume with acknowledgement.
 */
import Redis from 'ioredis';
import { tempDir } from '../../test/helpers/proc';
import { freePort, waitForPort } from './measure';
import { firstLine, installed, startServer } from './server-process';
import type { PeerDest, PeerSystem } from './types';

/** One entry of an XREADGROUP reply: [id, [field, value, ...]]. */
type Entry = [Buffer, Buffer[]];
/** An XREADGROUP reply: [[stream, entries]] or null when nothing was read. */
type ReadReply = Array<[Buffer, Entry[]]> | null;

/** Starts redis-server; throws with a "skipped" reason when it is missing or does not come up. */
export async function startRedis(): Promise<PeerSystem> {
  if (!installed('redis-server')) throw new Error('redis-server is not installed (scripts/test-all.sh installs it)');
  const tmp = tempDir('mq-bench-redis-');
  // Also removed when the run is interrupted (the normal path removes it after stopping the server).
  process.once('exit', tmp.cleanup);
  const port = await freePort();
  // RDB snapshots off (--save ''), so the only disk work is the AOF, the durability class stated for Redis.
  const proc = startServer('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', tmp.dir]);
  const clients: Redis[] = [];
  /** A client of its own (blocking reads need one each); closed at stop. */
  const client = (): Redis => {
    // One retry at most: a dead server should fail the phase, not stall it (ioredis keeps Nagle off by default).
    const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: false });
    r.on('error', (e: Error) => console.error('redis client error', e.message));
    clients.push(r);
    return r;
  };
  const stopAll = async (): Promise<void> => {
    for (const c of clients) c.disconnect();
    await proc.stop();
    tmp.cleanup();
  };
  try {
    await waitForPort(port, 20000, 'redis-server');
  } catch (err) {
    await stopAll();
    throw new Error(`Redis did not start: ${(err as Error).message}; output: ${proc.output().slice(-300)}`);
  }
  const main = client();
  await main.ping();
  const version = /v=(\S+)/.exec(firstLine('redis-server', ['--version']))?.[1] ?? '?';

  return {
    name: `Redis streams ${version}`,
    durability: 'AOF, fsync every 1 s',
    publishes: true,
    async createDest(label: string): Promise<PeerDest> {
      const key = `bench:${label}:${process.pid}`;
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
        drain: async (total, consumers, deadline) => {
          let n = 0;
          const rs = Array.from({ length: consumers }, () => client());
          await Promise.all(
            rs.map(async (r, i) => {
              while (n < total && Date.now() < deadline) {
                const got = await readAck(r, `c${i}`, 256, 0);
                n += got.length;
                // Everything was pre-filled before the drain, so an empty read means this consumer is done.
                if (got.length === 0) break;
              }
            }),
          );
          for (const r of rs) r.disconnect();
          return n;
        },
        subscribe: async (onBody) => {
          const r = client();
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
    async stop(): Promise<void> {
      await stopAll();
    },
  };
}
