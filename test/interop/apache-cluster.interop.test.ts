/**
 * Our gateway and our servers next to Apache RocketMQ's own (4.9.7 name server and broker from Maven Central jars):
 *  1. the gateway in front of an all-Apache cluster: tags, at-least-once redelivery, DLQ, orderly, long poll,
 *     5 MiB bodies (the Apache broker's maxMessageSize raised to 8 MiB);
 *  2. our name server with an Apache broker;
 *  3. an Apache name server with our broker;
 *  4. the gateway cases of 1 again in front of Apache 5.3.3's name server and broker (MQ_INTEROP_RMQ5_LIB).
 * Two Apache JVMs at a time: for 1-3 one Apache broker registers with both name servers (a 4.x broker accepts a
 * list); 4 starts its own pair after the first pair stopped.
 * Run by scripts/ci/suite-interop.sh, which fetches the jars (MQ_INTEROP_RMQ_LIB, MQ_INTEROP_RMQ5_LIB).
 */
import { expect } from 'chai';
import crypto from 'crypto';
import pino from 'pino';
import { MqError, sleep } from '../../src/common';
import { MQClient } from '../../src/client';
import { T } from '../../src/gateway';
import { spawnMq, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';
import { freePort } from '../helpers/redis';
import { connect } from '../gateway/thrift-client';
import type { TestClient } from '../gateway/thrift-client';
import { apacheAvailable, startApacheBroker, startApacheNamesrv } from './apache-rocketmq';
import type { JavaProcess } from './apache-rocketmq';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });

const gateways: MqProcess[] = [];
const clients: TestClient[] = [];
const admins: MQClient[] = [];

/** Stops every gateway, Thrift client and admin client the tests of this file made. */
async function closeClients(): Promise<void> {
  for (const c of clients.splice(0)) c.close();
  for (const a of admins.splice(0)) await a.shutdown().catch(() => undefined);
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
}

async function admin(namesrvAddr: string): Promise<MQClient> {
  const a = new MQClient({ namesrvAddr, instanceName: uniqueName('interop-admin') }, { logger });
  await a.start();
  admins.push(a);
  return a;
}

/** Creates a topic on the brokers of `cluster` (as our admin does: UPDATE_AND_CREATE_TOPIC) and waits for its route. */
async function createTopic(a: MQClient, cluster: string, prefix: string, queues: number): Promise<string> {
  const topic = uniqueName(prefix);
  for (let i = 0; i < 100; i++) {
    const info = await a.getClusterInfo().catch(() => null);
    if (info?.clusterAddrTable[cluster]) break;
    await sleep(200);
  }
  await a.createTopic({ topic, clusterName: cluster, writeQueueNums: queues, readQueueNums: queues });
  for (let i = 0; i < 150; i++) {
    try {
      const r = await a.getRoute(topic);
      if (r.publishQueues.length === queues) return topic;
    } catch (err) {
      if (!MqError.is(err, 'TOPIC_NOT_FOUND')) throw err;
    }
    await sleep(200);
  }
  throw new Error(`route of ${topic} never appeared`);
}

async function gateway(namesrvAddr: string, extra: string[] = []): Promise<TestClient> {
  const g = await spawnMq(
    ['gateway', `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', '--listenHost=127.0.0.1', '--httpPort=-1', ...extra],
    { readyTimeoutMs: 20000 },
  );
  gateways.push(g);
  const c = connect(Number(g.fields.listenPort));
  clients.push(c);
  return c;
}

/** Reads until `n` messages came or `tries` gets returned nothing new. */
async function drain(c: TestClient, req: Parameters<TestClient['get']>[0], n: number, tries = 40): Promise<T.ReceivedMessage[]> {
  const out: T.ReceivedMessage[] = [];
  for (let i = 0; i < tries && out.length < n; i++) {
    const r = await c.get({ maxMessages: 32, waitMs: 500, ...req });
    out.push(...r.messages);
  }
  return out;
}

function gatewayCases(title: string, env: () => { namesrvAddr: string; cluster: string; brokerName: string }): void {
  describe(`the gateway in front of ${title} namesrv + broker`, () => {
    let c: TestClient;
    let a: MQClient;
    before(async () => {
      a = await admin(env().namesrvAddr);
      c = await gateway(env().namesrvAddr, ['--maxReconsumeTimes=2', '--getMaxResponseBytes=12000000']);
    });

    it('sends and gets with exact tag filtering ("Aa" and "BB" share a hash code)', async () => {
      const topic = await createTopic(a, env().cluster, 'ApTags', 2);
      const tags = ['Aa', 'BB', 'C', 'Aa', 'BB', 'C'];
      const sent = await c.send(tags.map((t, i) => new T.Message({ topic, body: Buffer.from(`${t}-${i}`), tags: t, keys: [`k${i}`] })));
      expect(sent.map((s) => s.error)).to.deep.equal(tags.map(() => null));
      expect(sent.every((s) => s.brokerName === env().brokerName)).to.equal(true);
      const onlyAa = await drain(c, { topic, consumerGroup: uniqueName('tagsA'), tagExpression: 'Aa' }, 2);
      expect(onlyAa.map((m) => m.body.toString()).sort()).to.deep.equal(['Aa-0', 'Aa-3']);
      const all = await drain(c, { topic, consumerGroup: uniqueName('tagsAll') }, 6);
      expect(all.map((m) => m.body.toString()).sort()).to.deep.equal(tags.map((t, i) => `${t}-${i}`).sort());
      expect(all.find((m) => m.body.toString() === 'BB-1')!.keys).to.deep.equal(['k1']);
    });

    it('redelivers an unacked message (at-least-once) and forgets an acked one', async () => {
      const topic = await createTopic(a, env().cluster, 'ApAlo', 1);
      await c.send([new T.Message({ topic, body: Buffer.from('at-least-once') })]);
      const group = uniqueName('alo');
      const first = await drain(c, { topic, consumerGroup: group, invisibleMs: 800 }, 1);
      expect(first.map((m) => [m.body.toString(), m.deliveryAttempt])).to.deep.equal([['at-least-once', 1]]);
      await sleep(1200);
      const again = await drain(c, { topic, consumerGroup: group, invisibleMs: 30000 }, 1);
      expect(again.map((m) => [m.body.toString(), m.deliveryAttempt])).to.deep.equal([['at-least-once', 2]]);
      const acked = await c.get({ topic, consumerGroup: group, maxMessages: 0, ack: [again[0].receipt!] });
      expect(acked.acked).to.equal(1);
      expect((await c.get({ topic, consumerGroup: group, maxMessages: 5, waitMs: 1500, invisibleMs: 800 })).messages).to.have.length(0);
    });

    it('moves a poison message to %DLQ%<group> on the Apache broker after maxReconsumeTimes', async () => {
      const topic = await createTopic(a, env().cluster, 'ApDlq', 1);
      const poison = Buffer.from('poison-' + crypto.randomBytes(4).toString('hex'));
      await c.send([new T.Message({ topic, body: poison, tags: 'P', keys: ['pk'] })]);
      const group = uniqueName('dlq');
      const attempts: number[] = [];
      let dead: T.ReceivedMessage[] = [];
      for (let i = 0; i < 80 && dead.length === 0; i++) {
        const got = await c.get({ topic, consumerGroup: group, maxMessages: 1, waitMs: 200, invisibleMs: 300 });
        for (const m of got.messages) attempts.push(m.deliveryAttempt ?? 1);
        if (attempts.length >= 2) {
          dead = await c.get({ topic: `%DLQ%${group}`, consumerGroup: `${group}_dlq`, maxMessages: 5, waitMs: 200 }).then(
            (x) => x.messages,
            (e: T.GatewayError) => {
              if (e.code !== T.ErrorCode.TOPIC_NOT_FOUND) throw e;
              return [];
            },
          );
        }
      }
      expect(attempts).to.deep.equal([1, 2]);
      expect(dead).to.have.length(1);
      expect(dead[0].body.equals(poison)).to.equal(true);
      expect([dead[0].tags, dead[0].keys]).to.deep.equal(['P', ['pk']]);
    });

    it('keeps per-key order with shardingKey and orderly gets', async () => {
      const topic = await createTopic(a, env().cluster, 'ApOrder', 4);
      const msgs: T.Message[] = [];
      for (let s = 0; s < 10; s++) for (let k = 0; k < 4; k++) msgs.push(new T.Message({ topic, body: Buffer.from(`k${k}:${s}`), shardingKey: `k${k}` }));
      for (const m of msgs) expect((await c.send([m]))[0].error).to.equal(null);
      const group = uniqueName('ord');
      const seen: Record<string, number[]> = {};
      for (let i = 0; i < 60 && Object.values(seen).flat().length < 40; i++) {
        const r = await c.get({ topic, consumerGroup: group, maxMessages: 8, waitMs: 300, invisibleMs: 30000, orderly: true });
        for (const m of r.messages) {
          const [k, s] = m.body.toString().split(':');
          (seen[k] ??= []).push(Number(s));
        }
        if (r.messages.length > 0) await c.get({ topic, consumerGroup: group, maxMessages: 0, ack: r.messages.map((m) => m.receipt!) });
      }
      for (let k = 0; k < 4; k++) expect(seen[`k${k}`], `k${k}`).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('a long poll returns with a message sent while it waits', async () => {
      const topic = await createTopic(a, env().cluster, 'ApLp', 2);
      const group = uniqueName('lp');
      expect((await c.get({ topic, consumerGroup: group, maxMessages: 4, waitMs: 0 })).messages).to.have.length(0);
      const started = Date.now();
      const waiting = c.get({ topic, consumerGroup: group, maxMessages: 4, waitMs: 20000 });
      await sleep(1000);
      const sender = await gateway(env().namesrvAddr);
      await sender.send([new T.Message({ topic, body: Buffer.from('wake up') })]);
      const got = await waiting;
      expect(got.messages.map((m) => m.body.toString())).to.deep.equal(['wake up']);
      expect(Date.now() - started).to.be.below(15000);
    });

    it('carries 5 MiB bodies through the Apache broker (maxMessageSize raised to 8 MiB)', async () => {
      const topic = await createTopic(a, env().cluster, 'ApBig', 1);
      const bodies = [crypto.randomBytes(5 * 1024 * 1024), Buffer.alloc(5 * 1024 * 1024, 'x'), crypto.randomBytes(1024 * 1024)];
      for (const body of bodies) expect((await c.send([new T.Message({ topic, body })]))[0].error).to.equal(null);
      const got = await drain(c, { topic, consumerGroup: uniqueName('big') }, 3, 60);
      expect(got.map((m) => m.body.length)).to.deep.equal(bodies.map((b) => b.length));
      got.forEach((m, i) => expect(m.body.equals(bodies[i]), `body ${i}`).to.equal(true));
    });
  });
}

describe('interop: Apache RocketMQ servers with our gateway, name server and broker', function () {
  this.timeout(180000);
  const tmp = tempDir('mq-interop-apache-');
  let apacheNs: JavaProcess;
  let apacheBroker: JavaProcess;
  let ourNs: MqProcess;
  let ourBroker: MqProcess;

  before(async function () {
    if (!apacheAvailable()) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('Apache RocketMQ jars missing: run scripts/ci/suite-interop.sh');
      this.skip();
    }
    ourNs = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1']);
    apacheNs = await startApacheNamesrv(`${tmp.dir}/apache-ns`);
    apacheBroker = await startApacheBroker(`${tmp.dir}/apache-broker`, {
      namesrvAddr: `${apacheNs.addr};127.0.0.1:${ourNs.fields.listenPort}`,
      clusterName: 'ApacheCluster',
      brokerName: 'apache-a',
      extra: { maxMessageSize: 8 * 1024 * 1024 },
    });
    ourBroker = await spawnMq(
      [
        'broker', '--brokerClusterName=OurCluster', '--brokerName=ours-a', `--storePathRootDir=${tmp.dir}/our-broker`,
        `--namesrvAddr=${apacheNs.addr}`, '--listenPort=0', `--haListenPort=${await freePort()}`, '--httpPort=-1',
        `--mappedFileSizeCommitLog=${64 * 1024 * 1024}`, '--registerNameServerPeriod=1000',
      ],
      { readyTimeoutMs: 20000 },
    );
  });

  after(async () => {
    await closeClients();
    await ourBroker?.stop();
    await apacheBroker?.stop();
    await apacheNs?.stop();
    await ourNs?.stop();
    tmp.cleanup();
  });

  gatewayCases('Apache 4.9.7', () => ({ namesrvAddr: apacheNs.addr, cluster: 'ApacheCluster', brokerName: 'apache-a' }));

  describe('mixed clusters', () => {
    it('our name server routes to an Apache broker: the gateway sends and gets through it', async () => {
      const ns = `127.0.0.1:${ourNs.fields.listenPort}`;
      const a = await admin(ns);
      const topic = await createTopic(a, 'ApacheCluster', 'MixOurNs', 2);
      const route = await a.getRoute(topic);
      expect(route.publishQueues.map((q) => q.brokerName)).to.deep.equal(['apache-a', 'apache-a']);
      const c = await gateway(ns);
      const sent = await c.send([1, 2, 3].map((i) => new T.Message({ topic, body: Buffer.from(`mix-${i}`), tags: 'M' })));
      expect(sent.map((s) => [s.error, s.brokerName])).to.deep.equal([[null, 'apache-a'], [null, 'apache-a'], [null, 'apache-a']]);
      const got = await drain(c, { topic, consumerGroup: uniqueName('mix1'), tagExpression: 'M' }, 3);
      expect(got.map((m) => m.body.toString()).sort()).to.deep.equal(['mix-1', 'mix-2', 'mix-3']);
    });

    it('an Apache name server routes to our broker: the gateway sends and gets through it', async () => {
      const a = await admin(apacheNs.addr);
      const topic = await createTopic(a, 'OurCluster', 'MixApacheNs', 2);
      const route = await a.getRoute(topic);
      expect(route.publishQueues.map((q) => q.brokerName)).to.deep.equal(['ours-a', 'ours-a']);
      const info = await a.getClusterInfo();
      expect(Object.keys(info.clusterAddrTable).sort()).to.deep.equal(['ApacheCluster', 'OurCluster']);
      const c = await gateway(apacheNs.addr);
      const sent = await c.send([1, 2, 3].map((i) => new T.Message({ topic, body: Buffer.from(`mix-${i}`), tags: 'M' })));
      expect(sent.map((s) => [s.error, s.brokerName])).to.deep.equal([[null, 'ours-a'], [null, 'ours-a'], [null, 'ours-a']]);
      const got = await drain(c, { topic, consumerGroup: uniqueName('mix2'), tagExpression: 'M' }, 3);
      expect(got.map((m) => m.body.toString()).sort()).to.deep.equal(['mix-1', 'mix-2', 'mix-3']);
    });
  });
});

describe('interop: Apache RocketMQ 5.3.3 servers with our gateway', function () {
  this.timeout(180000);
  const tmp = tempDir('mq-interop-apache5-');
  let ns: JavaProcess;
  let broker: JavaProcess;

  before(async function () {
    if (!apacheAvailable(5)) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('Apache RocketMQ 5.x jars missing: run scripts/ci/suite-interop.sh');
      this.skip();
    }
    ns = await startApacheNamesrv(`${tmp.dir}/ns`, 5);
    broker = await startApacheBroker(`${tmp.dir}/broker`, {
      line: 5,
      namesrvAddr: ns.addr,
      clusterName: 'Apache5Cluster',
      brokerName: 'apache5-a',
      extra: { maxMessageSize: 8 * 1024 * 1024 },
    });
  });

  after(async () => {
    await closeClients();
    await broker?.stop();
    await ns?.stop();
    tmp.cleanup();
  });

  gatewayCases('Apache 5.3.3', () => ({ namesrvAddr: ns.addr, cluster: 'Apache5Cluster', brokerName: 'apache5-a' }));
});
