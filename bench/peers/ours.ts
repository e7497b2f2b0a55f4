/**
 * Our system for the peer benchmark: real `mq namesrv`, two `mq broker` sets and `mq gateway` (memory coordination)
 * processes on 127.0.0.1. One broker set runs ASYNC_FLUSH (the default), the other SYNC_FLUSH in a cluster of its
 * own, so a topic created in that cluster lives only there. Driven these ways:
 *   - through the Thrift gateway, get with auto-ack (invisibleMs 0: the offset is committed on return);
 *   - through the Thrift gateway, get with receipts (invisibleMs > 0) acked on the next get;
 *   - direct to the broker with our RocketMQ client (src/client): send, pull with the offset committed on the next pull;
 *   - publishing only: the gateway and the direct client against the SYNC_FLUSH broker set.
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
import type { PeerDest, PeerSystem } from './types';

const MiB = 1024 * 1024;
/** Queues per topic (RocketMQ's default for new topics is 8 too). */
const QUEUES = 8;
const DURABILITY = 'commit log, fsync every 500 ms';
const DURABILITY_SYNC = 'SYNC_FLUSH: fsync before the result';
/** Cluster of the SYNC_FLUSH broker set. */
const SYNC_CLUSTER = 'BenchSyncFlush';

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
 * Starts the processes; resolves to [gateway auto-ack, gateway with receipts, direct client] on the ASYNC_FLUSH broker
 * set, then [gateway, direct client] on the SYNC_FLUSH one (publish scenarios only).
 */
export async function startOurs(): Promise<PeerSystem[]> {
  const logger = pino({ level: 'warn' });
  const store = tempDir('mq-bench-peers-');
  // Also removed when the run is interrupted (the normal path removes it after stopping the server).
  process.once('exit', store.cleanup);
  const procs: MqProcess[] = [];
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
    const ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1']);
    procs.push(ns);
    const namesrvAddr = `127.0.0.1:${ns.fields.listenPort}`;
    procs.push(await spawnMq(await brokerArgs('bench-peers', namesrvAddr), { readyTimeoutMs: 30000 }));
    procs.push(await spawnMq([...(await brokerArgs('bench-peers-sync', namesrvAddr)), `--brokerClusterName=${SYNC_CLUSTER}`, '--flushDiskType=SYNC_FLUSH'], { readyTimeoutMs: 30000 }));
    const gw = await spawnMq(['gateway', `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', '--listenHost=127.0.0.1', '--httpPort=-1', '--logLevel=warn', '--sendTimeoutMs=30000']);
    procs.push(gw);
    port = Number(gw.fields.listenPort);
    direct = new MQClient({ namesrvAddr, instanceName: `bench-peers-${process.pid}`, sendMsgTimeout: 30000 }, { logger });
    await direct.start();
    for (let i = 0; i < 100; i++) {
      const info = await direct.getClusterInfo().catch(() => null);
      if (info && Object.keys(info.brokerAddrTable).length >= 2) break;
      await sleep(100);
    }
    const clusters = Object.keys((await direct.getClusterInfo()).clusterAddrTable);
    if (!clusters.includes(SYNC_CLUSTER) || clusters.length !== 2) throw new Error(`expected two clusters, the name server has ${clusters.join(', ')}`);
    cluster = clusters.find((c) => c !== SYNC_CLUSTER) as string;
  } catch (err) {
    await stopAll();
    throw err;
  }
  const client = direct;
  // One Thrift connection per lane: Python/PHP/Go callers keep one call at a time on a connection.
  for (let i = 0; i < 32; i++) conns.push(thriftClient(port));

  /** A fresh topic with QUEUES queues on the ASYNC_FLUSH or the SYNC_FLUSH broker set, once its route is visible. */
  const createTopic = async (label: string, sync: boolean): Promise<string> => {
    const t = `BenchPeers_${label}_${process.pid}`;
    await client.createTopic({ topic: t, clusterName: sync ? SYNC_CLUSTER : cluster, writeQueueNums: QUEUES, readQueueNums: QUEUES });
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

  /** The gateway systems; `invisibleMs` 0 is auto-ack, above 0 every message is acked by receipt. */
  const gatewaySystem = (invisibleMs: number, sync: boolean): PeerSystem => ({
    name: sync ? 'ours: gateway, SYNC_FLUSH' : invisibleMs > 0 ? 'ours: gateway, receipts+ack' : 'ours: gateway (auto-ack get)',
    durability: sync ? DURABILITY_SYNC : DURABILITY,
    ours: invisibleMs > 0 ? undefined : sync ? 'gw sync' : 'gateway',
    publishes: invisibleMs === 0,
    publishOnly: sync,
    async createDest(label: string): Promise<PeerDest> {
      const t = await createTopic(label, sync);
      const group = `bench_${label}`;
      /** One get that acks `acks` first; returns the messages and how many receipts were accepted. */
      const get = async (c: RawClient, max: number, waitMs: number, acks: string[]): Promise<T.GetResult> =>
        c.get(new T.GetRequest({ topic: t, consumerGroup: group, maxMessages: max, waitMs, invisibleMs, ack: acks }));
      return {
        publish: (lane, bodies) => gatewayPublish(t, lane, bodies),
        drain: async (total, consumers, deadline) => {
          let n = 0;
          await Promise.all(
            Array.from({ length: consumers }, async (_, i) => {
              const c = conns[i].c;
              // Receipts of the previous batch, acked by the next get (one round trip per batch, as a user would).
              let pending: string[] = [];
              while (n < total && Date.now() < deadline) {
                // A short wait: the gateway may hand another consumer the queues that still have messages.
                const r = await get(c, 256, 100, pending);
                if (invisibleMs > 0) {
                  n += r.acked ?? 0;
                  pending = r.messages.map((m) => m.receipt as string);
                } else n += r.messages.length;
              }
              // The receipts of the last batch are acked with a get that fetches nothing.
              if (pending.length > 0) n += (await get(c, 0, 0, pending)).acked ?? 0;
            }),
          );
          return n;
        },
        subscribe: async (onBody) => {
          // Two long-polling consumers on connections of their own.
          const cs = [thriftClient(port), thriftClient(port)];
          let stop = false;
          const loops = cs.map(async (x) => {
            let pending: string[] = [];
            while (!stop) {
              const r = await get(x.c, 64, 500, pending);
              pending = invisibleMs > 0 ? r.messages.map((m) => m.receipt as string) : [];
              for (const m of r.messages) onBody(m.body);
            }
            if (pending.length > 0) await get(x.c, 0, 0, pending);
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
    // The processes are stopped once, by the direct system.
    stop: async () => undefined,
  });

  const directSystem = (sync: boolean): PeerSystem => ({
    name: sync ? 'ours: direct, SYNC_FLUSH' : 'ours: direct (src/client)',
    durability: sync ? DURABILITY_SYNC : DURABILITY,
    ours: sync ? 'dir sync' : 'direct',
    publishes: true,
    publishOnly: sync,
    async createDest(label: string): Promise<PeerDest> {
      const t = await createTopic(label, sync);
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
        drain: async (total, consumers, deadline) => {
          let n = 0;
          await Promise.all(
            Array.from({ length: consumers }, async (_, i) => {
              // Consumer i reads queues i, i + consumers, ...; each pull commits the offset reached by the previous one.
              for (let qi = i; qi < queues.length; qi += consumers) {
                const q = queues[qi];
                let offset = 0;
                while (n < total && Date.now() < deadline) {
                  const r = await client.pull({ consumerGroup: group, brokerName: q.brokerName, topic: t, queueId: q.queueId, offset, maxMsgNums: 256, commitOffset: offset });
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
    // The processes are stopped once, by the ASYNC_FLUSH direct system (the last of ours to be stopped).
    stop: sync ? async () => undefined : stopAll,
  });
  return [gatewaySystem(0, false), gatewaySystem(60000, false), directSystem(false), gatewaySystem(0, true), directSystem(true)];
}
