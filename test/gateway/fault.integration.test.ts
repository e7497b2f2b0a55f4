/**
 * Randomized fault test of consumption (issue 9): real processes throughout.
 *
 * Main run: name server; broker-a = SYNC_MASTER + a SLAVE that joined after the master had written three 1 MiB
 * commit-log segments (its store starts later than the master's); broker-b = ASYNC_MASTER; Redis with AOF; two
 * gateway replicas sharing it; one producer and three at-least-once consumers in one group. At least 12 `kill -9`
 * faults over every component kind (masters, the slave, a gateway, Redis, the name server), each restarted with its
 * data. Afterwards every acknowledged message must have been delivered (lost = 0); duplicates are counted.
 *
 * Orderly run (shorter): the same cluster, a producer sending per-key sequences with shardingKey, two orderly
 * consumers; faults of the gateway and Redis kinds. (A broker set that disappears from the route - a killed master,
 * or a restarted name server before every set has registered again - remaps keys on send, which no consumer can
 * order.) Per key, no message may be delivered before its predecessor was processed.
 *
 * The seed is printed and can be set with MQ_FAULT_SEED; MQ_FAULT_FAULTS sets the number of faults (default 12).
 */
import { expect } from 'chai';
import { sleep } from '../../src/common';
import { T } from '../../src/gateway';
import { redisAvailable } from '../helpers/redis';
import type { MqProcess } from '../helpers/proc';
import { freePort } from '../helpers/redis';
import { connect } from './thrift-client';
import type { TestClient } from './thrift-client';
import { RedisNode, Topology, startGatewayAt } from './topology';
import type { BrokerNode } from './topology';

const SECRET = 'fault-secret';
const FILE = 1024 * 1024;

/** mulberry32: a small seeded generator, so that a run can be repeated. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A call with a time bound (a call on a connection whose gateway was killed may never be answered). */
function bounded<R>(p: Promise<R>, ms: number): Promise<R> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`no answer within ${ms} ms`)))]);
}

class Gateways {
  readonly procs: Array<MqProcess | undefined>;
  constructor(
    readonly ports: number[],
    private readonly namesrv: string,
    private readonly redisUrl: string,
  ) {
    this.procs = ports.map(() => undefined);
  }

  async start(i: number): Promise<void> {
    if (this.procs[i]) return;
    this.procs[i] = await startGatewayAt(this.namesrv, this.ports[i], [
      '--coord=redis',
      `--redisUrl=${this.redisUrl}`,
      `--receiptSecret=${SECRET}`,
      '--offsetFlushIntervalMs=500',
      '--reclaimCheckIntervalMs=100',
      '--redisCommandTimeoutMs=1000',
      '--sendTimeoutMs=4000',
      '--faultAvoidanceMs=1000',
    ]);
  }

  async kill9(i: number): Promise<void> {
    const p = this.procs[i];
    this.procs[i] = undefined;
    await p?.kill9();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((_, i) => this.kill9(i)));
  }
}

/** A Thrift client that reconnects (to the next gateway) after any failure. */
class Conn {
  private c: TestClient | undefined;
  private at: number;
  constructor(
    private readonly ports: number[],
    start: number,
  ) {
    this.at = start;
  }

  get(): TestClient {
    this.c ??= connect(this.ports[this.at % this.ports.length]);
    return this.c;
  }

  reset(): void {
    try {
      this.c?.close();
    } catch {
      // already closed
    }
    this.c = undefined;
    this.at++;
  }

  close(): void {
    this.c?.close();
  }
}

interface Stats {
  acknowledged: Set<string>;
  deliveries: number;
  delivered: Set<string>;
}

describe('gateway: randomized faults, no acknowledged message lost (integration)', function () {
  this.timeout(420000);
  const seed = Number(process.env.MQ_FAULT_SEED ?? Math.floor(Math.random() * 1e9));
  const faultCount = Number(process.env.MQ_FAULT_FAULTS ?? 12);
  const random = rng(seed);
  const topo = new Topology();
  let masterA: BrokerNode;
  let slaveA: BrokerNode;
  let masterB: BrokerNode;
  let redis: RedisNode;
  let gws: Gateways;

  before(async function () {
    if (!redisAvailable()) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('redis-server is required (Debian: redis-server)');
      this.skip();
    }
    console.log(`    fault seed ${seed} (set MQ_FAULT_SEED=${seed} to repeat), ${faultCount} faults`);
    await topo.startNamesrv();
    const file = [`--mappedFileSizeCommitLog=${FILE}`];
    masterA = await topo.addBroker('broker-a', 'SYNC_MASTER', file);
    slaveA = await topo.addBroker('broker-a', 'SLAVE', file);
    masterB = await topo.addBroker('broker-b', 'ASYNC_MASTER', file);
    await masterA.start();
    await masterB.start();
    await topo.startAdmin();
    await topo.waitRegistered(['broker-a', 'broker-b']);
    redis = await RedisNode.create();
    await redis.start();
    gws = new Gateways([await freePort(), await freePort()], topo.namesrvAddr, `redis://127.0.0.1:${redis.port}/0`);
    await gws.start(0);
    await gws.start(1);
  });

  after(async () => {
    await gws?.stopAll();
    await topo.stop();
    await redis?.dispose();
  });

  /** Kills one component of `kind` and restarts it with its data after a pause. */
  async function fault(kind: string): Promise<void> {
    const pause = 800 + Math.floor(random() * 2500);
    switch (kind) {
      case 'master-a':
        await masterA.kill9();
        await sleep(pause);
        await masterA.start();
        break;
      case 'slave-a':
        await slaveA.kill9();
        await sleep(pause);
        await slaveA.start();
        break;
      case 'master-b':
        await masterB.kill9();
        await sleep(pause);
        await masterB.start();
        break;
      case 'gateway': {
        const i = random() < 0.5 ? 0 : 1;
        await gws.kill9(i);
        await sleep(pause);
        await gws.start(i);
        break;
      }
      case 'redis':
        await redis.kill9();
        await sleep(pause);
        await redis.start();
        break;
      case 'namesrv':
        await topo.killNamesrv();
        await sleep(pause);
        await topo.startNamesrv();
        break;
      default:
        throw new Error(kind);
    }
  }

  /** A fault plan: every kind at least once, the rest at random, shuffled by the seed. */
  function plan(kinds: string[], n: number): string[] {
    const out = [...kinds];
    while (out.length < n) out.push(kinds[Math.floor(random() * kinds.length)]);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  it('at-least-once: kill -9 of masters, the late slave, a gateway, Redis and the name server loses nothing', async () => {
    const topic = await topo.createTopic('Fault', 4, 2);
    const group = `fault_g_${seed}`;
    const stats: Stats = { acknowledged: new Set(), deliveries: 0, delivered: new Set() };
    let seq = 0;
    const body = (n: number): Buffer => Buffer.from(`m-${n}-` + 'x'.repeat(3000));
    const sendBatch = async (conn: Conn, size: number): Promise<void> => {
      const batch = Array.from({ length: size }, () => seq++);
      try {
        const r = await bounded(conn.get().send(batch.map((n) => new T.Message({ topic, body: body(n), keys: [`k${n}`] }))), 8000);
        r.forEach((x, i) => {
          if (!x.error) stats.acknowledged.add(`m-${batch[i]}`);
        });
      } catch {
        conn.reset();
        await sleep(100);
      }
    };
    // Three MiB on broker-a before its slave joins: the slave's store starts later than the master's.
    const pre = new Conn(gws.ports, 0);
    while (stats.acknowledged.size < 2400) await sendBatch(pre, 64);
    pre.close();
    await slaveA.start();
    await sleep(1500);

    let producing = true;
    let consuming = true;
    const producer = (async () => {
      const conn = new Conn(gws.ports, 1);
      while (producing) {
        await sendBatch(conn, 16);
        await sleep(20);
      }
      conn.close();
    })();
    const consumer = async (i: number): Promise<void> => {
      const conn = new Conn(gws.ports, i);
      let pending: string[] = [];
      while (consuming) {
        try {
          const r = await bounded(conn.get().get({ topic, consumerGroup: group, maxMessages: 32, waitMs: 500, invisibleMs: 4000, ack: pending }), 10000);
          pending = [];
          for (const m of r.messages) {
            const b = m.body.toString();
            const key = b.slice(0, b.indexOf('-', 2));
            stats.deliveries++;
            stats.delivered.add(key);
            pending.push(m.receipt ?? '');
          }
        } catch {
          // A receipt whose ack did not get through is redelivered later (a duplicate, never a loss).
          pending = [];
          conn.reset();
          await sleep(200);
        }
      }
      conn.close();
    };
    const consumers = [0, 1, 2].map((i) => consumer(i));

    const kinds = ['master-a', 'slave-a', 'master-b', 'gateway', 'redis', 'namesrv'];
    // The first fault takes broker-a's master while the consumers are still far behind in its backlog: only the
    // late slave serves broker-a then, and its store starts above the group's cursor.
    const faults = ['master-a', ...plan(kinds, faultCount - 1)];
    console.log(`    faults: ${faults.join(', ')}`);
    await sleep(300);
    for (const [i, k] of faults.entries()) {
      if (i === 0) {
        await fault(k);
        continue;
      }
      await sleep(1500 + Math.floor(random() * 2500));
      await fault(k);
    }
    await sleep(2000);
    producing = false;
    await producer;
    // Drain: wait (bounded) until every acknowledged message was delivered.
    const until = Date.now() + 90000;
    let missing = [...stats.acknowledged].filter((k) => !stats.delivered.has(k));
    while (missing.length > 0 && Date.now() < until) {
      await sleep(1000);
      missing = [...stats.acknowledged].filter((k) => !stats.delivered.has(k));
    }
    consuming = false;
    await Promise.all(consumers);
    const duplicates = stats.deliveries - stats.delivered.size;
    console.log(
      `    seed ${seed}: acknowledged ${stats.acknowledged.size}, delivered ${stats.delivered.size} distinct, lost ${missing.length}, duplicates ${duplicates}`,
    );
    expect(missing.slice(0, 20), `lost ${missing.length} acknowledged messages`).to.deep.equal([]);
  });

  it('orderly: per-key order through gateway and Redis faults', async () => {
    const topic = await topo.createTopic('FaultOrd', 2, 2);
    const group = `fault_o_${seed}`;
    const keys = Array.from({ length: 8 }, (_, i) => `key${i}`);
    const acknowledged = new Map<string, number>(keys.map((k) => [k, 0]));
    const processed = new Map<string, number>(keys.map((k) => [k, 0]));
    const violations: string[] = [];
    let deliveries = 0;
    let producing = true;
    let consuming = true;
    const producer = (async () => {
      const conn = new Conn(gws.ports, 0);
      while (producing) {
        // Each key's next message is sent only after its previous one was acknowledged.
        const batch = keys.map((k) => ({ k, n: (acknowledged.get(k) ?? 0) + 1 }));
        try {
          const r = await bounded(conn.get().send(batch.map(({ k, n }) => new T.Message({ topic, body: Buffer.from(`${k}:${n}`), shardingKey: k }))), 8000);
          r.forEach((x, i) => {
            if (!x.error) acknowledged.set(batch[i].k, batch[i].n);
          });
        } catch {
          conn.reset();
          await sleep(100);
        }
        await sleep(30);
      }
      conn.close();
    })();
    const consumer = async (i: number): Promise<void> => {
      const conn = new Conn(gws.ports, i);
      let pending: string[] = [];
      while (consuming) {
        try {
          const r = await bounded(conn.get().get({ topic, consumerGroup: group, maxMessages: 16, waitMs: 500, invisibleMs: 3000, orderly: true, ack: pending }), 10000);
          pending = [];
          for (const m of r.messages) {
            deliveries++;
            const [k, ns] = m.body.toString().split(':');
            const n = Number(ns);
            const done = processed.get(k) ?? 0;
            if (n === done + 1) processed.set(k, n);
            else if (n > done + 1) violations.push(`${k}: got ${n} after ${done}`);
            pending.push(m.receipt ?? '');
          }
        } catch {
          pending = [];
          conn.reset();
          await sleep(200);
        }
      }
      conn.close();
    };
    const consumers = [0, 1].map((i) => consumer(i));
    const faults = plan(['gateway', 'redis'], 4);
    console.log(`    orderly faults: ${faults.join(', ')}`);
    for (const k of faults) {
      await sleep(1500 + Math.floor(random() * 1500));
      await fault(k);
    }
    await sleep(1000);
    producing = false;
    await producer;
    const until = Date.now() + 60000;
    while (keys.some((k) => (processed.get(k) ?? 0) < (acknowledged.get(k) ?? 0)) && Date.now() < until) await sleep(500);
    consuming = false;
    await Promise.all(consumers);
    const sent = [...acknowledged.values()].reduce((a, b) => a + b, 0);
    const lost = keys.reduce((n, k) => n + Math.max(0, (acknowledged.get(k) ?? 0) - (processed.get(k) ?? 0)), 0);
    console.log(`    orderly seed ${seed}: acknowledged ${sent}, deliveries ${deliveries}, order violations ${violations.length}, not processed ${lost}`);
    expect(violations.slice(0, 10)).to.deep.equal([]);
    expect(lost).to.equal(0);
  });
});
