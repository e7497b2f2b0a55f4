/**
 * Our system for the peer benchmark: real `mq namesrv`, one `mq broker` set (ASYNC_FLUSH, the default) and
 * `mq gateway` (memory coordination) processes on 127.0.0.1, started the way `mq dev` does (each its own process,
 * port 0, a temp store). Driven two ways:
 *   - through the Thrift gateway: batched `send`; `get` with auto-ack (invisibleMs 0: the offset is committed on
 *     return) and `get` with receipts (invisibleMs > 0) acked on the next get, each mode its own consumer group on
 *     the same topic;
 *   - direct to the broker with our RocketMQ client (src/client): batch send, pull with the offset committed on the
 *     next pull.
 * CPU is accounted per process: gateway, broker, name server.
 */
import fs from 'fs';
import path from 'path';
import pino from 'pino';
import thrift from 'thrift';
import { sleep } from '../../src/common';
import { MQClient } from '../../src/client';
import { MessageGatewayService, T } from '../../src/gateway';
import { spawnMq, tempDir } from '../../test/helpers/proc';
import type { MqProcess } from '../../test/helpers/proc';
import { freePort } from './measure';
import type { RolePid } from './cpu';
import type { PeerDest, PeerSystem } from './types';

const MiB = 1024 * 1024;
/** Queues per topic (RocketMQ's default for new topics is 8 too). */
const QUEUES = 8;
const DURABILITY = 'commit log, fsync 500 ms';

interface RawClient {
  send(req: T.SendRequest): Promise<T.SendResult[]>;
  get(req: T.GetRequest): Promise<T.GetResult>;
}

interface ThriftConn {
  c: RawClient;
  close(): void;
}

function thriftClient(port: number): ThriftConn {
  const conn = thrift.createConnection('127.0.0.1', port, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol, max_attempts: 1 });
  conn.on('error', (e: Error) => console.error('thrift connection error', e.message));
  const c = thrift.createClient(MessageGatewayService as unknown as thrift.TClientConstructor<RawClient>, conn) as unknown as RawClient;
  return { c, close: () => conn.end() };
}

/**
 * Starts the processes; resolves to [gateway, direct client]. With `cpuProfDir`, each process runs under
 * `node --cpu-prof` and writes its profile there when it stops.
 */
export async function startOurs(cpuProfDir?: string): Promise<PeerSystem[]> {
  const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfDir)}`] : [];
  const logger = pino({ level: 'warn' });
  const store = tempDir('mq-bench-peers-');
  // Also removed when the run is interrupted (the normal path removes it after stopping the server).
  process.once('exit', store.cleanup);
  const procs: MqProcess[] = [];
  const roles: RolePid[] = [];
  const conns: ThriftConn[] = [];
  let direct: MQClient | undefined;
  const stopAll = async (): Promise<void> => {
    for (const c of conns) c.close();
    await direct?.shutdown().catch(() => undefined);
    for (const p of procs.reverse()) await p.stop();
    store.cleanup();
  };
  let port: number;
  let cluster: string;
  const brokerArgs = async (name: string, namesrvAddr: string): Promise<string[]> => {
    fs.mkdirSync(path.join(store.dir, name));
    return ['broker', `--brokerName=${name}`, `--storePathRootDir=${path.join(store.dir, name)}`, `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', `--haListenPort=${await freePort()}`, '--httpPort=-1', `--mappedFileSizeCommitLog=${256 * MiB}`];
  };
  try {
    const ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1'], { nodeArgs });
    procs.push(ns);
    roles.push({ role: 'namesrv', pid: ns.child.pid as number });
    const namesrvAddr = `127.0.0.1:${ns.fields.listenPort}`;
    const broker = await spawnMq(await brokerArgs('bench-peers', namesrvAddr), { readyTimeoutMs: 30000, nodeArgs });
    procs.push(broker);
    roles.push({ role: 'broker', pid: broker.child.pid as number });
    const gw = await spawnMq(['gateway', `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', '--listenHost=127.0.0.1', '--httpPort=-1', '--logLevel=warn', '--sendTimeoutMs=30000'], { nodeArgs });
    procs.push(gw);
    roles.push({ role: 'gateway', pid: gw.child.pid as number });
    port = Number(gw.fields.listenPort);
    direct = new MQClient({ namesrvAddr, instanceName: `bench-peers-${process.pid}`, sendMsgTimeout: 30000 }, { logger });
    await direct.start();
    for (let i = 0; i < 100; i++) {
      const info = await direct.getClusterInfo().catch(() => null);
      if (info && Object.keys(info.brokerAddrTable).length >= 1) break;
      await sleep(100);
    }
    const clusters = Object.keys((await direct.getClusterInfo()).clusterAddrTable);
    if (clusters.length !== 1) throw new Error(`expected one cluster, the name server has ${clusters.join(', ') || 'none'}`);
    cluster = clusters[0];
  } catch (err) {
    await stopAll();
    throw err;
  }
  const client = direct;
  // One Thrift connection per lane: Python/PHP/Go callers keep one call at a time on a connection.
  for (let i = 0; i < 32; i++) conns.push(thriftClient(port));

  /** A fresh topic with QUEUES queues, once its route is visible. */
  const createTopic = async (label: string): Promise<string> => {
    const t = `BenchPeers_${label}_${process.pid}`;
    await client.createTopic({ topic: t, clusterName: cluster, writeQueueNums: QUEUES, readQueueNums: QUEUES });
    for (let i = 0; i < 100; i++) {
      const r = await client.getRoute(t).catch(() => null);
      if (r && r.publishQueues.length === QUEUES) return t;
      await sleep(50);
    }
    throw new Error(`no route for ${t} after 5 s`);
  };

  /** One send call on the lane's connection; a batch is one SendRequest with every body. */
  const gatewayPublish = async (t: string, lane: number, bodies: Buffer[]): Promise<void> => {
    const r = await conns[lane % conns.length].c.send(new T.SendRequest({ messages: bodies.map((body) => new T.Message({ topic: t, body })) }));
    const bad = r.find((x) => x.error);
    if (bad) throw new Error(`gateway send failed: ${bad.error?.message}`);
  };

  /** Receipts stay invisible this long when acked by receipt (far longer than any phase: nothing is redelivered). */
  const RECEIPT_INVISIBLE_MS = 60000;

  const gateway: PeerSystem = {
    name: 'ours: gateway (Thrift)',
    key: 'gateway',
    durability: DURABILITY,
    batches: true,
    consumeModes: ['auto-ack', 'receipts'],
    // Printed in this order: gateway, broker, name server.
    pids: () => [...roles].reverse(),
    async createDest(label: string): Promise<PeerDest> {
      const t = await createTopic(label);
      /** One get that acks `acks` first, in the mode's own consumer group. */
      const get = async (c: RawClient, mode: string, max: number, waitMs: number, acks: string[]): Promise<T.GetResult> =>
        c.get(new T.GetRequest({ topic: t, consumerGroup: `bench_${label}_${mode}`, maxMessages: max, waitMs, invisibleMs: mode === 'receipts' ? RECEIPT_INVISIBLE_MS : 0, ack: acks }));
      return {
        publish: (lane, bodies) => gatewayPublish(t, lane, bodies),
        drain: async (mode, total, consumers, batch, deadline) => {
          if (!['auto-ack', 'receipts'].includes(mode)) throw new Error(`gateway: unknown consume mode ${mode}`);
          let n = 0;
          await Promise.all(
            Array.from({ length: consumers }, async (_, i) => {
              const c = conns[i].c;
              // Receipts of the previous batch, acked by the next get (one round trip per batch, as a user would).
              let pending: string[] = [];
              while (n < total && Date.now() < deadline) {
                // A short wait: the gateway may hand another consumer the queues that still have messages.
                const r = await get(c, mode, batch, 100, pending);
                if (mode === 'receipts') {
                  n += r.acked ?? 0;
                  pending = r.messages.map((m) => m.receipt as string);
                } else n += r.messages.length;
              }
              // The receipts of the last batch are acked with a get that fetches nothing.
              if (pending.length > 0) n += (await get(c, mode, 0, 0, pending)).acked ?? 0;
            }),
          );
          return n;
        },
        subscribe: async (onBody) => {
          // Two long-polling consumers on connections of their own, auto-ack.
          const cs = [thriftClient(port), thriftClient(port)];
          let stop = false;
          const loops = cs.map(async (x) => {
            while (!stop) {
              const r = await get(x.c, 'auto-ack', 64, 500, []);
              for (const m of r.messages) onBody(m.body);
            }
          });
          return async () => {
            stop = true;
            await Promise.all(loops);
            for (const x of cs) x.close();
          };
        },
        // Topics stay until the store is removed at the end (deleting a topic does not free commit-log space).
        remove: async () => undefined,
      };
    },
    // The processes are stopped once, by the direct system (stopped last).
    stop: async () => undefined,
  };

  const directSystem: PeerSystem = {
    name: 'ours: direct (src/client)',
    key: 'direct',
    durability: DURABILITY,
    batches: true,
    consumeModes: ['pull'],
    pids: () => [...roles].reverse().filter((r) => r.role !== 'gateway'),
    async createDest(label: string): Promise<PeerDest> {
      const t = await createTopic(label);
      const group = `bench_${label}`;
      // The direct consumer reads the queues itself (no rebalancing needed: one process owns every queue).
      const queues = await client.subscribeQueues(t);
      return {
        publish: async (_lane, bodies) => {
          const r = await client.send(
            t,
            bodies.map((body) => ({ body })),
          );
          if (r.some((x) => !x.ok)) throw new Error('direct send failed');
        },
        drain: async (_mode, total, consumers, batch, deadline) => {
          let n = 0;
          await Promise.all(
            Array.from({ length: consumers }, async (_, i) => {
              // Consumer i reads queues i, i + consumers, ...; each pull commits the offset reached by the previous one.
              for (let qi = i; qi < queues.length; qi += consumers) {
                const q = queues[qi];
                let offset = 0;
                while (n < total && Date.now() < deadline) {
                  const r = await client.pull({ consumerGroup: group, brokerName: q.brokerName, topic: t, queueId: q.queueId, offset, maxMsgNums: batch, commitOffset: offset });
                  if (r.status !== 'FOUND') break;
                  n += r.messages.length;
                  offset = r.nextBeginOffset;
                }
                await client.updateConsumerOffset(group, { brokerName: q.brokerName, topic: t, queueId: q.queueId }, offset);
              }
            }),
          );
          return n;
        },
        subscribe: async (onBody) => {
          let stop = false;
          // One long-polling pull per queue, held by the broker up to 500 ms while the queue is empty.
          const loops = queues.map(async (q) => {
            let offset = 0;
            while (!stop) {
              const r = await client.pull({ consumerGroup: group, brokerName: q.brokerName, topic: t, queueId: q.queueId, offset, maxMsgNums: 64, suspendTimeoutMillis: 500, commitOffset: offset });
              for (const m of r.messages) onBody(m.body);
              offset = r.nextBeginOffset;
            }
          });
          return async () => {
            stop = true;
            await Promise.all(loops);
          };
        },
        remove: async () => undefined,
      };
    },
    stop: stopAll,
  };
  return [gateway, directSystem];
}
