/**
 * The consumption situations of issue 9, one per test, with real `mq` processes and a real redis-server; each fails
 * on the gateway before issue 9:
 *  - a late-joined slave (its store starts later than the master's) serving reads while the master is down, then the
 *    master back: nothing below the slave's min offset is skipped;
 *  - a broker set rebuilt empty at the same address: the group reads the new log from its start;
 *  - a blue/green-style switch to a cluster with the same broker names: green is read from its oldest message;
 *  - Redis FLUSHALL mid-run: the group continues from the broker's committed offset (no replay of the history)
 *    and is committed to the brokers again afterwards;
 *  - a Sentinel failover of Redis (redis-sentinel): gets go on and nothing is lost;
 *  - redelivery of large bodies with a small reply budget: exactly maxReconsumeTimes deliveries, then the DLQ;
 *  - leases that expire before their trim with a tag filter: never a message of another tag;
 *  - orderly with two consumers and a redelivery: one holder per queue, the head first, in order;
 *  - 200 one-off groups: their state expires after groupStateTtlMs;
 *  - a long poll during a master outage (a lagging slave): it waits out waitMs without a pull storm.
 */
import { expect } from 'chai';
import { sleep } from '../../src/common';
import { T } from '../../src/gateway';
import type { MqProcess } from '../helpers/proc';
import { redisAvailable } from '../helpers/redis';
import { scrape } from './cluster';
import { connect } from './thrift-client';
import type { TestClient } from './thrift-client';
import { RedisNode, Topology, redisCommand, sentinelAvailable, startGatewayAt } from './topology';

const SECRET = 'consumption-secret';

type GetReq = Parameters<TestClient['get']>[0];

/** Gets until `want` distinct bodies were seen or `ms` passed; acks everything at-least-once. Returns all bodies. */
async function consume(c: TestClient, req: GetReq, want: number, ms: number): Promise<string[]> {
  const seen: string[] = [];
  const distinct = new Set<string>();
  let ack: string[] = [];
  const until = Date.now() + ms;
  while (distinct.size < want && Date.now() < until) {
    const r = await c.get({ waitMs: 300, maxMessages: 64, ...req, ack });
    ack = (req.invisibleMs ?? 0) > 0 ? r.messages.map((m) => m.receipt ?? '') : [];
    for (const m of r.messages) {
      seen.push(m.body.toString());
      distinct.add(m.body.toString());
    }
  }
  if (ack.length > 0) await c.get({ ...req, maxMessages: 0, ack });
  return seen;
}

async function sendBodies(c: TestClient, topic: string, bodies: string[], extra: Partial<ConstructorParameters<typeof T.Message>[0]> = {}): Promise<void> {
  for (let i = 0; i < bodies.length; i += 32) {
    const r = await c.send(bodies.slice(i, i + 32).map((b) => new T.Message({ topic, body: Buffer.from(b), ...extra })));
    expect(r.every((x) => !x.error), JSON.stringify(r.find((x) => x.error))).to.equal(true);
  }
}

/** consume() that rides out failing calls (a broker or Redis away): errors only pause it. */
async function consumeTolerant(c: TestClient, req: GetReq, want: number, ms: number): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + ms;
  while (new Set(seen).size < want && Date.now() < end) {
    try {
      seen.push(...(await consume(c, req, want - new Set(seen).size, Math.min(2000, end - Date.now()))));
    } catch {
      await sleep(200);
    }
  }
  return seen;
}

const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

/** Waits until `check` resolves true (bounded). */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('gateway: consumption you can trust (integration)', function () {
  this.timeout(180000);
  const cleanups: Array<() => Promise<void> | void> = [];
  const clients: TestClient[] = [];
  const client = (p: MqProcess): TestClient => {
    const c = connect(Number(p.fields.listenPort));
    clients.push(c);
    return c;
  };

  before(function () {
    if (!redisAvailable()) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('redis-server is required (Debian: redis-server)');
      this.skip();
    }
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const f of cleanups.splice(0).reverse()) await Promise.resolve(f()).catch(() => undefined);
  });

  /** A name server and one broker set (master, optionally a slave added but not started). */
  async function oneSet(opts: { slave?: boolean; role?: 'ASYNC_MASTER' | 'SYNC_MASTER'; file?: number } = {}) {
    const topo = new Topology();
    cleanups.push(() => topo.stop());
    await topo.startNamesrv();
    const extra = [`--mappedFileSizeCommitLog=${opts.file ?? 64 * 1024 * 1024}`];
    const master = await topo.addBroker('broker-a', opts.role ?? 'ASYNC_MASTER', extra);
    const slave = opts.slave ? await topo.addBroker('broker-a', 'SLAVE', extra) : undefined;
    await master.start();
    await topo.startAdmin();
    await topo.waitRegistered(['broker-a']);
    return { topo, master, slave };
  }

  async function gateway(topo: Topology, extra: string[] = []): Promise<MqProcess> {
    const g = await startGatewayAt(topo.namesrvAddr, 0, ['--offsetFlushIntervalMs=300', '--reclaimCheckIntervalMs=0', ...extra]);
    cleanups.push(async () => {
      await g.kill9();
    });
    return g;
  }

  async function redisNode(): Promise<RedisNode> {
    const r = await RedisNode.create();
    await r.start();
    cleanups.push(() => r.dispose());
    return r;
  }

  it('a late-joined slave serving reads while the master is down skips nothing; the master back delivers the rest', async () => {
    const { topo, master, slave } = await oneSet({ slave: true, file: 1024 * 1024 });
    const topic = await topo.createTopic('GwLate', 1, 1);
    const gw = await gateway(topo);
    const c = client(gw);
    // About 3.6 MiB before the slave joins: its store starts at the master's last commit-log file.
    const pad = 'x'.repeat(3000);
    const bodies = range('late-', 0, 1200).map((b) => `${b}-${pad}`);
    await sendBodies(c, topic, bodies);
    const group = 'late_g';
    const first = await consume(c, { topic, consumerGroup: group, maxMessages: 50 }, 100, 20000);
    expect(new Set(first).size).to.equal(100);
    await slave!.start();
    const q = { topic, brokerName: 'broker-a', queueId: 0 };
    await sleep(3000);
    await master.kill9();
    await until(async () => !(await topo.admin.getRoute(topic)).brokers.get('broker-a')?.brokerAddrs[0], 15000, 'the route to lose the master');
    // Only the slave serves: whatever it delivers, the messages it does not have must not be skipped.
    const during = await consumeTolerant(c, { topic, consumerGroup: group, maxMessages: 64 }, 1200, 5000);
    await master.start();
    await until(async () => (await topo.admin.getMaxOffset(q)) === 1200, 15000, 'the master back');
    const after = await consumeTolerant(c, { topic, consumerGroup: group, maxMessages: 64 }, 1200 - 100 - new Set(during).size, 30000);
    const all = new Set([...first, ...during, ...after]);
    const missing = bodies.filter((b) => !all.has(b)).map((b) => b.slice(0, b.indexOf('-', 5)));
    expect(missing.slice(0, 10), `${missing.length} messages skipped`).to.deep.equal([]);
  });

  it('a broker set rebuilt empty at the same address: the group reads the new log from its start', async () => {
    const { topo, master } = await oneSet();
    const topic = await topo.createTopic('GwRebuilt', 1, 1);
    const gw = await gateway(topo);
    const c = client(gw);
    await sendBodies(c, topic, range('old-', 0, 50));
    expect(new Set(await consume(c, { topic, consumerGroup: 'rb_g' }, 50, 15000)).size).to.equal(50);
    await sleep(800);
    await master.kill9();
    master.wipe();
    await master.start();
    await topo.waitRegistered(['broker-a']);
    await topo.createTopicNamed(topic, 1, 1);
    await sleep(1200);
    await sendBodies(c, topic, range('new-', 0, 10));
    const got = await consume(c, { topic, consumerGroup: 'rb_g' }, 10, 15000);
    expect([...new Set(got)].sort()).to.deep.equal(range('new-', 0, 10).sort());
  });

  it('a blue/green switch to a cluster with the same broker names: green is read from its oldest message', async () => {
    const redis = await redisNode();
    const blue = await oneSet();
    const green = await oneSet();
    const topic = await blue.topo.createTopic('GwBlueGreen', 1, 1);
    await green.topo.createTopicNamed(topic, 1, 1);
    const coord = ['--coord=redis', `--redisUrl=redis://127.0.0.1:${redis.port}/0`, `--receiptSecret=${SECRET}`];
    const gwBlue = await gateway(blue.topo, coord);
    const cb = client(gwBlue);
    await sendBodies(cb, topic, range('blue-', 0, 30));
    expect(new Set(await consume(cb, { topic, consumerGroup: 'bg_g', invisibleMs: 30000 }, 30, 15000)).size).to.equal(30);
    await sleep(800);
    await gwBlue.stop();
    const gwGreen = await gateway(green.topo, coord);
    const cg = client(gwGreen);
    // Green already holds more messages than blue's cursor: only the log identity (logId) tells the logs apart.
    await sendBodies(cg, topic, range('green-', 0, 45));
    const got = await consume(cg, { topic, consumerGroup: 'bg_g', invisibleMs: 30000 }, 45, 15000);
    expect([...new Set(got)].sort()).to.deep.equal(range('green-', 0, 45).sort());
    await sleep(800);
    expect(await green.topo.admin.queryConsumerOffset('bg_g', { topic, brokerName: 'broker-a', queueId: 0 })).to.equal(45);
  });

  it('Redis FLUSHALL mid-run: no replay of the history, nothing lost, offsets committed to the broker again', async () => {
    const redis = await redisNode();
    const { topo } = await oneSet();
    const topic = await topo.createTopic('GwFlush', 1, 1);
    const gw = await gateway(topo, ['--coord=redis', `--redisUrl=redis://127.0.0.1:${redis.port}/0`, `--receiptSecret=${SECRET}`]);
    const c = client(gw);
    await sendBodies(c, topic, range('f-', 0, 100));
    const req = { topic, consumerGroup: 'flush_g', invisibleMs: 30000, maxMessages: 20 };
    const first = await consume(c, req, 60, 15000);
    expect(new Set(first).size).to.equal(60);
    const q = { topic, brokerName: 'broker-a', queueId: 0 };
    await until(async () => (await topo.admin.queryConsumerOffset('flush_g', q)) === 60, 10000, 'offset 60 on the broker');
    expect(await redisCommand(redis.port, ['FLUSHALL'])).to.equal('+OK');
    const rest = await consume(c, { ...req, maxMessages: 64 }, 40, 15000);
    // Seeded again from the broker's offset: 60..99 once, 0..59 not again.
    expect([...new Set(rest)].sort()).to.deep.equal(range('f-', 60, 100).sort());
    await sendBodies(c, topic, range('f-', 100, 120));
    expect(new Set(await consume(c, { ...req, maxMessages: 64 }, 20, 15000)).size).to.equal(20);
    await until(async () => (await topo.admin.queryConsumerOffset('flush_g', q)) === 120, 10000, 'offset 120 on the broker after the flush');
  });

  it('a Sentinel failover of Redis: gets go on and nothing is lost', async function () {
    if (!sentinelAvailable()) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('redis-sentinel is required (Debian: redis-sentinel)');
      this.skip();
    }
    const primary = await redisNode();
    const replica = await RedisNode.create(['--replicaof', '127.0.0.1', String(primary.port)]);
    await replica.start();
    cleanups.push(() => replica.dispose());
    const sentinel = await RedisNode.sentinel(primary.port);
    await sentinel.start();
    cleanups.push(() => sentinel.dispose());
    await sleep(1500);
    const { topo } = await oneSet();
    const topic = await topo.createTopic('GwSentinel', 2, 1);
    const gw = await gateway(topo, [
      '--coord=redis',
      `--redisSentinels=127.0.0.1:${sentinel.port}`,
      '--redisSentinelMaster=mymaster',
      `--receiptSecret=${SECRET}`,
      '--redisCommandTimeoutMs=1000',
    ]);
    const c = client(gw);
    await sendBodies(c, topic, range('s-', 0, 100));
    const req = { topic, consumerGroup: 'sentinel_g', invisibleMs: 5000, maxMessages: 16 };
    const first = await consume(c, req, 50, 15000);
    await primary.kill9();
    // Until the Sentinel has promoted the replica, gets fail with UNAVAILABLE; then they work again.
    const rest: string[] = [];
    const end = Date.now() + 40000;
    const seen = new Set(first);
    while (seen.size < 100 && Date.now() < end) {
      try {
        const got = await consume(c, req, 100 - seen.size, 2000);
        for (const b of got) {
          rest.push(b);
          seen.add(b);
        }
      } catch {
        await sleep(300);
      }
    }
    expect(range('s-', 0, 100).filter((b) => !seen.has(b))).to.deep.equal([]);
    await sendBodies(c, topic, range('s-', 100, 110));
    expect(new Set(await consume(c, req, 10, 15000)).size).to.be.at.least(10);
  });

  it('large bodies redelivered with a small reply budget: exactly maxReconsumeTimes deliveries, then the DLQ', async () => {
    const { topo } = await oneSet();
    const topic = await topo.createTopic('GwBig', 1, 1);
    const gw = await gateway(topo, ['--getMaxResponseBytes=1048576', '--maxReconsumeTimes=3']);
    const c = client(gw);
    const big = (i: number): string => `big-${i}-` + 'y'.repeat(700 * 1024);
    await sendBodies(c, topic, [0, 1, 2, 3].map(big));
    const group = 'big_g';
    const deliveries = new Map<string, number[]>();
    const end = Date.now() + 40000;
    let dlq: string[] = [];
    while (Date.now() < end && dlq.length < 4) {
      // Never acked: each message is delivered again after invisibleMs until the DLQ takes it.
      const r = await c.get({ topic, consumerGroup: group, maxMessages: 4, waitMs: 200, invisibleMs: 400 });
      for (const m of r.messages) {
        const k = m.body.toString().slice(0, 6);
        deliveries.set(k, [...(deliveries.get(k) ?? []), m.deliveryAttempt ?? 0]);
      }
      // The DLQ topic exists once the first message moved there.
      const d = await c.get({ topic: `%DLQ%${group}`, consumerGroup: group, maxMessages: 4, waitMs: 0 }).catch(() => null);
      dlq = [...dlq, ...(d?.messages ?? []).map((m) => m.body.toString().slice(0, 6))];
    }
    expect([...deliveries.keys()].sort()).to.deep.equal(['big-0-', 'big-1-', 'big-2-', 'big-3-']);
    for (const [k, attempts] of deliveries) expect(attempts, k).to.deep.equal([1, 2, 3]);
    expect(dlq.sort()).to.deep.equal(['big-0-', 'big-1-', 'big-2-', 'big-3-']);
  });

  it('leases that expire before their trim, with a tag filter: a consumer of tag A never gets tag B', async () => {
    const { topo } = await oneSet();
    const topic = await topo.createTopic('GwTagLease', 1, 1);
    const gw = await gateway(topo);
    const c = client(gw);
    const pad = 'z'.repeat(8000);
    for (let i = 0; i < 2000; i += 50) {
      const r = await c.send(range('t-', i, i + 50).map((b, k) => new T.Message({ topic, body: Buffer.from(`${b}-${pad}`), tags: (i + k) % 2 === 0 ? 'A' : 'B' })));
      expect(r.every((x) => !x.error)).to.equal(true);
    }
    const wrong: string[] = [];
    let delivered = 0;
    const readers = [0, 1, 2, 3].map(async () => {
      const rc = client(gw);
      const end = Date.now() + 5000;
      while (Date.now() < end) {
        // invisibleMs = 1: every lease expires while it is being read, and is re-claimed by another consumer.
        const r = await rc.get({ topic, consumerGroup: 'tag_g', tagExpression: 'A', maxMessages: 32, waitMs: 0, invisibleMs: 1 });
        delivered += r.messages.length;
        for (const m of r.messages) if (m.tags !== 'A') wrong.push(`${m.body.toString().slice(0, 8)}:${m.tags}`);
      }
    });
    await Promise.all(readers);
    expect(delivered).to.be.greaterThan(0);
    expect(wrong.slice(0, 10), `${wrong.length} deliveries of another tag`).to.deep.equal([]);
  });

  it('orderly with two consumers and a redelivery: one holder per queue, the head first, in order', async () => {
    const { topo } = await oneSet();
    const topic = await topo.createTopic('GwOrderly', 1, 1);
    const gw = await gateway(topo);
    const c1 = client(gw);
    const c2 = client(gw);
    await sendBodies(c1, topic, range('o-', 0, 10), { shardingKey: 'k' });
    const req = { topic, consumerGroup: 'ord_g', orderly: true, invisibleMs: 1500, waitMs: 0 };
    const a = await c1.get({ ...req, maxMessages: 4 });
    expect(a.messages.map((m) => m.body.toString())).to.deep.equal(range('o-', 0, 4));
    // c1 holds the queue and does not ack (it crashed): c2 gets nothing newer meanwhile.
    const b = await c2.get({ ...req, maxMessages: 10 });
    expect(b.messages).to.have.length(0);
    await sleep(1700);
    const again = await c2.get({ ...req, maxMessages: 10 });
    expect(again.messages.map((m) => m.body.toString())).to.deep.equal(range('o-', 0, 4));
    expect(again.messages.map((m) => m.deliveryAttempt)).to.deep.equal([2, 2, 2, 2]);
    // Still held by c2 until it acks; then the rest in order.
    expect((await c1.get({ ...req, maxMessages: 10 })).messages).to.have.length(0);
    const rest = await c1.get({ ...req, maxMessages: 10, ack: again.messages.map((m) => m.receipt ?? '') });
    expect(rest.messages.map((m) => m.body.toString())).to.deep.equal(range('o-', 4, 10));
  });

  it('200 one-off groups: their state expires after groupStateTtlMs, their offsets stay on the broker', async () => {
    const redis = await redisNode();
    const { topo } = await oneSet();
    const topic = await topo.createTopic('GwOneOff', 2, 1);
    const gw = await gateway(topo, ['--coord=redis', `--redisUrl=redis://127.0.0.1:${redis.port}/0`, `--receiptSecret=${SECRET}`, '--groupStateTtlMs=3000']);
    const c = client(gw);
    await sendBodies(c, topic, range('g-', 0, 4));
    let most = 0;
    for (let i = 0; i < 200; i++) {
      const r = await c.get({ topic, consumerGroup: `oneoff_${i}`, maxMessages: 8, waitMs: 0 });
      expect(r.messages.length).to.be.greaterThan(0);
      if (i % 20 === 19) most = Math.max(most, Number((await redisCommand(redis.port, ['SCARD', 'mqg:groups'])).slice(1)));
    }
    // The groups had state while they were used (how many at once depends on the machine's speed)...
    expect(most).to.be.greaterThan(10);
    // ...and none is left a few TTLs later: no replica polls or commits them any more. The one key that stays is the
    // registry of cluster generations (mqg:generations, cluster state shared by the replicas, not a group's).
    const keysLeft = async (): Promise<number> =>
      Number((await redisCommand(redis.port, ['DBSIZE'])).slice(1)) - Number((await redisCommand(redis.port, ['EXISTS', 'mqg:generations'])).slice(1));
    await until(async () => (await keysLeft()) === 0, 30000, 'every group key to expire');
    await until(async () => (await redisCommand(redis.port, ['SCARD', 'mqg:groups'])) === ':0', 10000, 'the group list to empty');
    // The broker kept the offsets the gateway wrote before the state expired.
    const stored = await topo.admin.queryConsumerOffset('oneoff_0', { topic, brokerName: 'broker-a', queueId: 0 });
    expect(stored).to.be.at.least(0);
  });

  it('a long poll during a master outage with a lagging slave waits out waitMs without a pull storm', async () => {
    const { topo, master, slave } = await oneSet({ slave: true });
    const topic = await topo.createTopic('GwOutage', 1, 1);
    await slave!.start();
    await sleep(1500);
    const gw = await gateway(topo);
    const c = client(gw);
    await sendBodies(c, topic, range('p-', 0, 20));
    await sleep(1500);
    // The slave stops copying (SIGSTOP keeps its name-server registration), the master gets 10 more.
    slave!.proc!.child.kill('SIGSTOP');
    await sendBodies(c, topic, range('p-', 20, 30));
    expect(new Set(await consume(c, { topic, consumerGroup: 'lp_g' }, 30, 15000)).size).to.equal(30);
    // The master goes; the slave, with 20 of the 30 messages, serves alone: the gateway knows more than it has.
    await master.kill9();
    slave!.proc!.child.kill('SIGCONT');
    await until(async () => {
      const bd = (await topo.admin.getRoute(topic)).brokers.get('broker-a');
      return bd !== undefined && bd.brokerAddrs[0] === undefined && bd.brokerAddrs[1] !== undefined;
    }, 15000, 'a route with only the slave');
    await sleep(1500);
    // Calls during the switch may fail; once the slave serves, a get answers.
    await consumeTolerant(c, { topic, consumerGroup: 'lp_g' }, 1, 3000);
    const pulls = async (): Promise<number> => {
      const text = await scrape(gw);
      return [...text.matchAll(/^mq_client_pulls_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const before = await pulls();
    expect(before, 'the gateway exports mq_client_pulls_total').to.be.greaterThan(0);
    const t0 = Date.now();
    const r = await c.get({ topic, consumerGroup: 'lp_g', maxMessages: 10, waitMs: 3000 });
    const took = Date.now() - t0;
    const made = (await pulls()) - before;
    expect(r.messages).to.have.length(0);
    expect(took, 'the long poll ended early').to.be.at.least(2500);
    expect(made, 'pulls made by one long poll').to.be.below(60);
    await master.start();
    await topo.waitRegistered(['broker-a']);
    await sleep(1500);
    await sendBodies(c, topic, range('p-', 30, 35));
    expect([...new Set(await consumeTolerant(c, { topic, consumerGroup: 'lp_g' }, 5, 20000))].sort()).to.deep.equal(range('p-', 30, 35).sort());
  });
});
