/**
 * Two gateway replicas sharing a real redis-server, in front of a real name server and two broker sets:
 *  - auto mode: 4 concurrent consumers of one group (two per replica) and a second group: each message reaches
 *    exactly one consumer per group;
 *  - at-least-once: a consumer that dies before acking; every message is processed, and only that consumer's
 *    messages come twice (with deliveryAttempt 2);
 *  - a receipt issued by replica A is acked on replica B; repeated, forged and mixed receipts are judged one by one
 *    (GetResult.ackResults) without failing the call or dropping the valid ones;
 *  - a poison message lands in %DLQ%<group> after maxReconsumeTimes and is read back from there with get;
 *  - Redis killed: get fails with UNAVAILABLE; Redis back (empty): get recovers from the offsets the gateways
 *    wrote to the brokers, and no message is lost;
 *  - a 20 MiB frame and random garbage on a replica's port leave it serving.
 */
import { expect } from 'chai';
import { spawn } from 'child_process';
import crypto from 'crypto';
import path from 'path';
import { sleep } from '../../src/common';
import { T } from '../../src/gateway';
import type { MqProcess } from '../helpers/proc';
import { redisAvailable, startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { startCluster, startGateway } from './cluster';
import type { TestCluster } from './cluster';
import { connect, failure, rawExchange } from './thrift-client';
import type { TestClient } from './thrift-client';

const SECRET = 'it-secret';

/** Runs consumer-child.js: it gets up to `max` messages at-least-once, prints them, and is SIGKILLed unacked. */
async function takeAndDie(port: number, topic: string, group: string, max: number, invisibleMs: number): Promise<string[]> {
  const child = spawn(process.execPath, [path.join(__dirname, 'consumer-child.js'), String(port), topic, group, String(max), String(invisibleMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumer child not ready: ${out}`)), 20000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY\n') || out.includes('FAILED')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGKILL');
  await exited;
  expect(out).to.not.include('FAILED');
  return out
    .split('\n')
    .filter((l) => l.startsWith('GOT '))
    .map((l) => l.slice(4));
}

function bodies(prefix: string, n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`${prefix}-${i}`));
}

async function sendAll(c: TestClient, topic: string, list: Buffer[]): Promise<void> {
  for (let i = 0; i < list.length; i += 25) {
    const r = await c.send(list.slice(i, i + 25).map((body) => new T.Message({ topic, body, tags: 'T' })));
    expect(r.every((x) => !x.error), JSON.stringify(r.find((x) => x.error))).to.equal(true);
  }
}

describe('gateway: two replicas sharing Redis (integration)', function () {
  this.timeout(120000);
  let redis: TestRedis;
  let cluster: TestCluster;
  let gwA: MqProcess;
  let gwB: MqProcess;
  const clients: TestClient[] = [];
  const client = (p: MqProcess): TestClient => {
    const c = connect(Number(p.fields.listenPort));
    clients.push(c);
    return c;
  };

  before(async function () {
    if (!redisAvailable()) {
      console.log('    redis-server is not installed; skipping');
      this.skip();
    }
    redis = await startRedis();
    cluster = await startCluster(['gw-a', 'gw-b']);
    const flags = [
      '--coord=redis',
      `--redisUrl=${redis.url}`,
      `--receiptSecret=${SECRET}`,
      '--maxReconsumeTimes=2',
      '--reclaimCheckIntervalMs=50',
      '--offsetFlushIntervalMs=300',
      '--redisCommandTimeoutMs=500',
      '--redisReconnectMaxDelayMs=100',
    ];
    [gwA, gwB] = await Promise.all([startGateway(cluster.namesrvAddr, flags), startGateway(cluster.namesrvAddr, flags)]);
  });

  after(async () => {
    for (const c of clients) c.close();
    await gwA?.stop();
    await gwB?.stop();
    await cluster?.stop();
    await redis?.dispose();
  });

  it('auto mode: each message reaches exactly one of 4 consumers per group, on either replica', async () => {
    const topic = await cluster.createTopic('GwAuto', 2);
    const sent = bodies('auto', 200);
    const producer = client(gwA);
    const want = new Set(sent.map((b) => b.toString()));
    const g1 = 'g1_' + crypto.randomBytes(3).toString('hex');
    const g2 = 'g2_' + crypto.randomBytes(3).toString('hex');
    const seen1: string[] = [];
    const seen2: string[] = [];
    const consumer = async (c: TestClient, group: string, into: string[], total: () => number): Promise<void> => {
      const until = Date.now() + 30000;
      while (total() < sent.length && Date.now() < until) {
        const r = await c.get({ topic, consumerGroup: group, maxMessages: 16, waitMs: 300 });
        for (const m of r.messages) into.push(m.body.toString());
      }
    };
    // Consumers start before the messages exist: the first gets long-poll.
    const runs = [
      consumer(client(gwA), g1, seen1, () => seen1.length),
      consumer(client(gwA), g1, seen1, () => seen1.length),
      consumer(client(gwB), g1, seen1, () => seen1.length),
      consumer(client(gwB), g1, seen1, () => seen1.length),
      consumer(client(gwB), g2, seen2, () => seen2.length),
    ];
    await sendAll(producer, topic, sent);
    await Promise.all(runs);
    expect(seen1.length).to.equal(sent.length);
    expect(new Set(seen1)).to.deep.equal(want);
    expect(seen2.length).to.equal(sent.length);
    expect(new Set(seen2)).to.deep.equal(want);
  });

  it('at-least-once: a consumer killed before acking causes the only duplicates', async () => {
    const topic = await cluster.createTopic('GwAlo', 2);
    const sent = bodies('alo', 120);
    await sendAll(client(gwB), topic, sent);
    const group = 'alo_' + crypto.randomBytes(3).toString('hex');
    // The doomed consumer is a process that takes a batch and is killed (SIGKILL) before acking.
    const taken = await takeAndDie(Number(gwA.fields.listenPort), topic, group, 10, 1500);
    expect(taken.length).to.be.greaterThan(0);
    const processed = new Map<string, number>();
    const attempts = new Map<string, number>();
    const survivor = async (c: TestClient): Promise<void> => {
      let receipts: string[] = [];
      const until = Date.now() + 30000;
      while (Date.now() < until) {
        const r = await c.get({ topic, consumerGroup: group, maxMessages: 8, waitMs: 300, invisibleMs: 10000, ack: receipts });
        receipts = [];
        for (const m of r.messages) {
          const k = m.body.toString();
          processed.set(k, (processed.get(k) ?? 0) + 1);
          attempts.set(k, m.deliveryAttempt ?? 1);
          receipts.push(m.receipt ?? '');
        }
        if (processed.size === sent.length && r.messages.length === 0) break;
      }
      if (receipts.length > 0) await c.get({ topic, consumerGroup: group, maxMessages: 0, ack: receipts });
    };
    await Promise.all([survivor(client(gwA)), survivor(client(gwB)), survivor(client(gwB))]);
    // Every message was processed by a survivor, exactly once each.
    expect(processed.size).to.equal(sent.length);
    expect([...processed.values()].every((n) => n === 1)).to.equal(true);
    // The messages delivered twice overall are exactly the doomed consumer's, redelivered with attempt 2.
    const doomedBodies = new Set(taken);
    for (const k of doomedBodies) expect(attempts.get(k), k).to.equal(2);
    for (const [k, a] of attempts) if (!doomedBodies.has(k)) expect(a, k).to.equal(1);
  });

  it('a receipt from replica A is acked on replica B; repeated, forged and mixed acks are judged one by one', async () => {
    const topic = await cluster.createTopic('GwAck', 1);
    await sendAll(client(gwA), topic, bodies('ack', 5));
    const group = 'ack_' + crypto.randomBytes(3).toString('hex');
    const a = client(gwA);
    const b = client(gwB);
    const got = (await a.get({ topic, consumerGroup: group, maxMessages: 3, waitMs: 2000, invisibleMs: 60000 })).messages;
    expect(got.length).to.equal(3);
    const receipts = got.map((m) => m.receipt ?? '');
    const forged = receipts[0].slice(0, -2) + (receipts[0].endsWith('AA') ? 'BB' : 'AA');
    const A = T.AckStatus;
    const r1 = await b.get({ topic, consumerGroup: group, maxMessages: 0, ack: [forged] });
    expect([r1.acked, r1.ackResults]).to.deep.equal([0, [A.INVALID]]);
    const r2 = await b.get({ topic, consumerGroup: group, maxMessages: 0, ack: receipts.slice(0, 2) });
    expect([r2.acked, r2.ackResults]).to.deep.equal([2, [A.ACKED, A.ACKED]]);
    // The last receipt of the lease twice in one call, mixed with repeated and forged ones: each judged on its own,
    // the valid one applied, and the fetch part of the same call still delivers the rest.
    const r3 = await a.get({ topic, consumerGroup: group, maxMessages: 10, waitMs: 2000, invisibleMs: 60000, ack: [receipts[1], forged, receipts[2], receipts[2], receipts[0]] });
    expect([r3.acked, r3.ackResults]).to.deep.equal([1, [A.ALREADY_ACKED, A.INVALID, A.ACKED, A.ALREADY_ACKED, A.ALREADY_ACKED]]);
    expect(r3.messages.map((m) => m.body.toString()).sort()).to.deep.equal(['ack-3', 'ack-4']);
    // Acked again after the whole lease was acked: ALREADY_ACKED, not a failure.
    const r4 = await b.get({ topic, consumerGroup: group, maxMessages: 0, ack: [...receipts, ...r3.messages.map((m) => m.receipt ?? '')] });
    expect(r4.ackResults).to.deep.equal([A.ALREADY_ACKED, A.ALREADY_ACKED, A.ALREADY_ACKED, A.ACKED, A.ACKED]);
    // Nothing comes back: the acks were applied for the group, on both replicas.
    expect((await b.get({ topic, consumerGroup: group, maxMessages: 10, waitMs: 300, invisibleMs: 60000 })).messages).to.have.length(0);
    // Every message carries the producer-side unique id (UNIQ_KEY), distinct per message.
    const ids = [...got, ...r3.messages].map((m) => m.uniqueId);
    expect(new Set(ids).size).to.equal(5);
    expect(ids.every((x) => typeof x === 'string' && x.length > 0)).to.equal(true);
  });

  it('a poison message moves to %DLQ%<group> after maxReconsumeTimes and is readable with get', async () => {
    const topic = await cluster.createTopic('GwDlq', 1);
    const poison = Buffer.from('poison-' + crypto.randomBytes(4).toString('hex'));
    const r = await client(gwA).send([new T.Message({ topic, body: poison, tags: 'P', keys: ['pk'], properties: { why: 'bad' } })]);
    expect(r[0].error).to.equal(null);
    const group = 'dlq_' + crypto.randomBytes(3).toString('hex');
    const c = client(gwA);
    const d = client(gwB);
    const attempts: number[] = [];
    const until = Date.now() + 30000;
    // Never acked: delivered maxReconsumeTimes (2) times, then moved.
    while (attempts.length < 3 && Date.now() < until) {
      const got = await c.get({ topic, consumerGroup: group, maxMessages: 1, waitMs: 400, invisibleMs: 300 });
      for (const m of got.messages) attempts.push(m.deliveryAttempt ?? 1);
      if (attempts.length === 2) break;
    }
    expect(attempts).to.deep.equal([1, 2]);
    let dead: T.ReceivedMessage[] = [];
    for (let i = 0; i < 60 && dead.length === 0; i++) {
      // The move happens on the next get after the second lease expired; the DLQ route then appears.
      await c.get({ topic, consumerGroup: group, maxMessages: 1, waitMs: 200, invisibleMs: 300 }).then((x) => {
        if (x.messages.length > 0) attempts.push(x.messages[0].deliveryAttempt ?? 1);
      });
      dead = await d.get({ topic: `%DLQ%${group}`, consumerGroup: `${group}_dlq`, maxMessages: 5, waitMs: 200 }).then(
        (x) => x.messages,
        (e: T.GatewayError) => {
          if (e.code !== T.ErrorCode.TOPIC_NOT_FOUND) throw e;
          return [];
        },
      );
    }
    expect(attempts, 'never delivered a third time').to.deep.equal([1, 2]);
    expect(dead).to.have.length(1);
    expect(dead[0].body.equals(poison)).to.equal(true);
    expect(dead[0].topic).to.equal(`%DLQ%${group}`);
    expect([dead[0].tags, dead[0].keys, dead[0].properties]).to.deep.equal(['P', ['pk'], { why: 'bad' }]);
  });

  it('Redis down: get fails with UNAVAILABLE; Redis back: get recovers and no message is lost', async () => {
    const topic = await cluster.createTopic('GwRedis', 1);
    const group = 'redis_' + crypto.randomBytes(3).toString('hex');
    const c = client(gwA);
    const before = bodies('before', 20);
    await sendAll(c, topic, before);
    const got = new Set<string>();
    for (let i = 0; i < 50 && got.size < before.length; i++) {
      for (const m of (await c.get({ topic, consumerGroup: group, maxMessages: 32, waitMs: 300 })).messages) got.add(m.body.toString());
    }
    expect(got.size).to.equal(before.length);
    await sleep(800); // committed offsets reach the brokers (offsetFlushIntervalMs=300)
    await redis.stop();
    const e = await failure(c.get({ topic, consumerGroup: group, maxMessages: 8, waitMs: 200 }));
    expect([T.ErrorCode[e.code], e.retryable]).to.deep.equal(['UNAVAILABLE', true]);
    // Sends do not need Redis.
    const during = bodies('during', 20);
    await sendAll(c, topic, during);
    await redis.restart();
    const after = new Set<string>();
    const until = Date.now() + 30000;
    while (after.size < during.length && Date.now() < until) {
      const r = await c.get({ topic, consumerGroup: group, maxMessages: 32, waitMs: 300 }).catch((err: T.GatewayError) => {
        if (err.code !== T.ErrorCode.UNAVAILABLE) throw err;
        return new T.GetResult({ messages: [] });
      });
      for (const m of r.messages) {
        const k = m.body.toString();
        if (k.startsWith('during')) after.add(k);
        // Messages consumed before the outage were committed on the brokers: none comes back.
        expect(k.startsWith('before'), k).to.equal(false);
      }
    }
    expect(after.size).to.equal(during.length);
  });

  it('a 20 MiB frame and random garbage leave a replica serving', async () => {
    const topic = await cluster.createTopic('GwFrame', 1);
    const c = client(gwB);
    const e = await failure(c.send([new T.Message({ topic, body: Buffer.alloc(20 * 1024 * 1024, 7) })]));
    expect(e.code).to.equal(T.ErrorCode.PAYLOAD_TOO_LARGE);
    expect((await rawExchange(Number(gwB.fields.listenPort), crypto.randomBytes(1024 * 1024))).closed).to.equal(true);
    const r = await c.send([new T.Message({ topic, body: Buffer.from('still here') })]);
    expect(r[0].error).to.equal(null);
    expect(gwB.child.exitCode).to.equal(null);
  });
});
