/**
 * Broker benchmark (`node dist/bench/broker`): over-the-wire send throughput (pipelined; 500 B, 2 KiB, 1 MiB,
 * 5 MiB) and pull throughput against a real `mq broker` process, next to the in-process MessageStore figures of the
 * same run (same sizes, same disk) and their ratio; first, the long-polling wake-up latency: the time from issuing a
 * send to an idle queue until a pull held on that queue answers (p50/p99/max). Prints figures; asserts nothing.
 * `node dist/bench/broker latency` runs only the wake-up part.
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import { encodeProperties } from '../../src/common/message';
import { RemotingClient, RemotingCommand, RequestCode } from '../../src/remoting';
import { encodeSendMessageHeaderV2 } from '../../src/remoting/header/send-message';
import { MessageStore } from '../../src/store';
import type { MessageInner } from '../../src/store';
import { msg } from '../../test/store/store-fixtures';
import { handleBenchArgs } from '../usage';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MQ_BIN = path.join(ROOT, 'bin', 'mq');

interface Case {
  label: string;
  body: number;
  /** Requests kept in flight. */
  window: number;
  budgetMs: number;
  maxMsgs: number;
}

const CASES: Case[] = [
  { label: '500 B', body: 500, window: 128, budgetMs: 2500, maxMsgs: 400_000 },
  { label: '2 KiB', body: 2048, window: 128, budgetMs: 2500, maxMsgs: 200_000 },
  { label: '1 MiB', body: 1024 * 1024, window: 8, budgetMs: 2500, maxMsgs: 400 },
  { label: '5 MiB', body: 5 * 1024 * 1024, window: 4, budgetMs: 2500, maxMsgs: 80 },
];

interface Figures {
  msgs: number;
  bytes: number;
  ms: number;
}

function perSec(f: Figures): { msgs: number; mb: number } {
  const s = f.ms / 1000;
  return { msgs: f.msgs / s, mb: f.bytes / 1048576 / s };
}

function fmt(f: Figures): string {
  const r = perSec(f);
  return `${Math.round(r.msgs).toLocaleString('en-US').padStart(9)} msg/s ${r.mb.toFixed(1).padStart(7)} MB/s`;
}

/** Runs `one(i)` with `window` calls in flight until the budget or the count is used up. */
async function pipelined(window: number, budgetMs: number, maxMsgs: number, one: (i: number) => Promise<number>): Promise<Figures> {
  const start = Date.now();
  let issued = 0;
  let done = 0;
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const next = (): void => {
      if (issued >= maxMsgs || Date.now() - start > budgetMs) {
        if (done === issued) resolve();
        return;
      }
      const i = issued++;
      one(i).then((n) => {
        done++;
        bytes += n;
        next();
      }, reject);
    };
    for (let k = 0; k < window; k++) next();
  });
  return { msgs: done, bytes, ms: Date.now() - start };
}

function inner(topic: string, body: Buffer, i: number): MessageInner {
  return msg(topic, i % 4, body, { TAGS: 'TagA', KEYS: `k${i}`, CLUSTER: 'DefaultCluster' });
}

function sendReq(topic: string, body: Buffer, i: number): RemotingCommand {
  return RemotingCommand.createRequest(
    RequestCode.SEND_MESSAGE_V2,
    encodeSendMessageHeaderV2({
      producerGroup: 'BenchPG', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: i % 4, sysFlag: 0,
      bornTimestamp: Date.now(), flag: 0, properties: encodeProperties({ TAGS: 'TagA', KEYS: `k${i}` }),
      reconsumeTimes: 0, unitMode: false, batch: false,
    }),
    body,
  );
}

function pullReq(topic: string, queueId: number, offset: number, suspendMs = 0): RemotingCommand {
  return RemotingCommand.createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: 'BenchCG', topic, queueId, queueOffset: offset, maxMsgNums: 32,
    sysFlag: suspendMs > 0 ? 6 : 4, commitOffset: 0, suspendTimeoutMillis: suspendMs, subscription: '*', subVersion: 0,
  });
}

function createTopicReq(topic: string, queues: number): RemotingCommand {
  return RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
    topic, defaultTopic: 'TBW102', readQueueNums: queues, writeQueueNums: queues, perm: 6, topicFilterType: 'SINGLE_TAG', order: false,
  });
}

async function startBroker(dir: string): Promise<{ child: ChildProcess; addr: string }> {
  const child = spawn(
    process.execPath,
    [MQ_BIN, 'broker', '--listenPort=0', '--httpPort=-1', `--storePathRootDir=${dir}`, '--mappedFileSizeCommitLog=268435456'],
    { env: { ...process.env, MQ_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /broker ready listenPort=(\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`broker exited ${code}: ${out}`)));
  });
  return { child, addr: `127.0.0.1:${port}` };
}

/** Pulls every message of a 4-queue topic, one pull in flight per queue. */
async function pullAll(client: RemotingClient, addr: string, topic: string, total: number): Promise<Figures> {
  const start = Date.now();
  let msgs = 0;
  let bytes = 0;
  await Promise.all(
    [0, 1, 2, 3].map(async (q) => {
      let offset = 0;
      for (;;) {
        const res = await client.invokeSync(addr, pullReq(topic, q, offset), 30000);
        if (res.code !== 0) break;
        offset = Number(res.extFields!.nextBeginOffset);
        bytes += res.body?.length ?? 0;
        msgs += Number(res.extFields!.nextBeginOffset) - Number(pullOffsetOf(res, offset));
        if (msgs >= total) break;
      }
    }),
  );
  return { msgs, bytes, ms: Date.now() - start };
}

/** Messages in a pull body: records back to back, each starting with its total size. */
function pullOffsetOf(res: RemotingCommand, next: number): number {
  let n = 0;
  const b = res.body;
  if (b) for (let p = 0; p + 4 <= b.length; p += b.readInt32BE(p)) n++;
  return next - n;
}

async function storeFigures(dir: string): Promise<Map<string, { put: Figures; get: Figures }>> {
  const store = new MessageStore({ storePathRootDir: dir, mappedFileSizeCommitLog: 268435456 }, { logger: pino({ level: 'warn' }) });
  await store.load();
  await store.start();
  const out = new Map<string, { put: Figures; get: Figures }>();
  try {
    for (const c of CASES) {
      const body = Buffer.alloc(c.body, 7);
      const topic = `Store_${c.body}`;
      const put = await pipelined(c.window, c.budgetMs, c.maxMsgs, async (i) => {
        const r = await store.putMessage(inner(topic, body, i));
        if (r.status !== 'PUT_OK') throw new Error(`store put ${r.status}`);
        return c.body;
      });
      await new Promise((r) => setTimeout(r, 200));
      const start = Date.now();
      let msgs = 0;
      let bytes = 0;
      for (let q = 0; q < 4; q++) {
        let offset = 0;
        for (;;) {
          const r = await store.getMessage('G', topic, q, offset, 32, 8 * 1024 * 1024);
          if (r.status !== 'FOUND') break;
          msgs += r.messageCount;
          bytes += r.bufferTotalSize;
          offset = r.nextBeginOffset;
        }
      }
      out.set(c.label, { put, get: { msgs, bytes, ms: Math.max(1, Date.now() - start) } });
    }
  } finally {
    await store.shutdown();
  }
  return out;
}

/**
 * Wake-up latency: a pull is held on an idle queue, then a send is issued; measured from issuing the send to the
 * held pull's response (so it includes the send's own trip to the broker and the store append). The send's round
 * trip is recorded too, for reference. The first `warmup` rounds are not counted (JIT, caches).
 */
async function wakeLatency(client: RemotingClient, addr: string, rounds: number, warmup: number): Promise<{ wake: number[]; send: number[] }> {
  const topic = `BenchWake_${Date.now()}`;
  await client.invokeSync(addr, createTopicReq(topic, 1));
  const body = Buffer.alloc(500, 1);
  const wake: number[] = [];
  const sendRtt: number[] = [];
  let offset = 0;
  for (let i = 0; i < rounds + warmup; i++) {
    const held = client.invokeSync(addr, pullReq(topic, 0, offset, 15000), 30000);
    // Give the pull time to reach the broker and be held.
    await new Promise((r) => setTimeout(r, 5));
    const t0 = process.hrtime.bigint();
    const send = client.invokeSync(addr, sendReq(topic, body, 0)).then(() => Number(process.hrtime.bigint() - t0) / 1e6);
    const res = await held;
    const w = Number(process.hrtime.bigint() - t0) / 1e6;
    const s = await send;
    if (res.code !== 0) throw new Error(`held pull answered ${res.code} ${res.remark}`);
    if (i >= warmup) {
      wake.push(w);
      sendRtt.push(s);
    }
    offset = Number(res.extFields!.nextBeginOffset);
  }
  return { wake, send: sendRtt };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  handleBenchArgs(`usage: node dist/bench/broker [latency] [--help]        (or: npm run bench -- broker)

Over-the-wire send throughput (pipelined; 500 B, 2 KiB, 1 MiB, 5 MiB) and pull throughput against a real mq broker,
next to the in-process MessageStore figures of the same run; first the long-polling wake-up latency (send to an idle
queue until the held pull answers, p50/p99/max). "latency" runs only the wake-up part.

environment:
  BENCH_DIR   where the store directories are made (default the system temp directory)`, ['latency']);
  const base = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'mq-bench-broker-'));
  const client = new RemotingClient({ defaultTimeoutMs: 30000 });
  let broker: ChildProcess | undefined;
  try {
    console.log(`broker bench: ${os.cpus().length} cores, node ${process.version}, data in ${base}`);
    const b = await startBroker(path.join(base, 'broker'));
    broker = b.child;
    const { wake, send } = await wakeLatency(client, b.addr, 500, 100);
    const gap = wake.map((w, i) => w - send[i]).sort((x, y) => x - y);
    const lat = [...wake].sort((x, y) => x - y);
    const rtt = [...send].sort((x, y) => x - y);
    console.log('\nlong polling: send to an idle queue -> held pull answered (500 rounds after 100 warm-up; from issuing the send;\n  measured first, on a fresh broker, before any throughput run loads the disk)');
    console.log(
      `  wake p50 ${pct(lat, 50).toFixed(2)} ms  p99 ${pct(lat, 99).toFixed(2)} ms  max ${lat[lat.length - 1].toFixed(2)} ms` +
        `  (target: p99 <= 10 ms, ${pct(lat, 99) <= 10 ? 'met' : 'NOT met'})`,
    );
    console.log(`  for reference, the send's own round trip: p50 ${pct(rtt, 50).toFixed(2)} ms  p99 ${pct(rtt, 99).toFixed(2)} ms`);
    console.log(`  held pull answered after the send's ack by: p50 ${pct(gap, 50).toFixed(2)} ms  p99 ${pct(gap, 99).toFixed(2)} ms`);
    // `node dist/bench/broker latency` measures only the long-polling wake-up.
    if (process.argv.includes('latency')) return;
    const local = await storeFigures(path.join(base, 'store-only'));
    console.log('\nsend (pipelined, one connection; broker in its own process) vs in-process MessageStore.putMessage');
    const wire = new Map<string, { send: Figures; pull: Figures }>();
    for (const c of CASES) {
      const topic = `Wire_${c.body}`;
      await client.invokeSync(b.addr, createTopicReq(topic, 4));
      const body = Buffer.alloc(c.body, 7);
      let busy = 0;
      const send = await pipelined(c.window, c.budgetMs, c.maxMsgs, async (i) => {
        const res = await client.invokeSync(b.addr, sendReq(topic, body, i), 30000);
        // Flow control (SYSTEM_BUSY) is counted, not fatal: it is the broker protecting itself.
        if (res.code === 2) {
          busy++;
          return -1;
        }
        if (res.code !== 0) throw new Error(`send ${res.code} ${res.remark}`);
        return c.body;
      });
      send.msgs -= busy;
      send.bytes += busy;
      const pull = await pullAll(client, b.addr, topic, send.msgs);
      wire.set(c.label, { send, pull });
      const l = local.get(c.label)!;
      console.log(
        `  ${c.label.padEnd(6)} wire ${fmt(send)} | store ${fmt(l.put)} | wire/store ${(perSec(send).msgs / perSec(l.put).msgs).toFixed(2)}` +
          (busy > 0 ? `  (${busy} answered SYSTEM_BUSY)` : ''),
      );
    }
    console.log('\npull (one pull in flight per queue, 4 queues, 32 msgs per pull) vs in-process MessageStore.getMessage');
    for (const c of CASES) {
      const w = wire.get(c.label)!.pull;
      const l = local.get(c.label)!.get;
      console.log(`  ${c.label.padEnd(6)} wire ${fmt(w)} | store ${fmt(l)} | wire/store ${(perSec(w).mb / perSec(l).mb).toFixed(2)}`);
    }
  } finally {
    await client.close();
    if (broker && broker.exitCode === null) {
      broker.kill('SIGTERM');
      await new Promise((r) => broker!.once('exit', r));
    }
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
