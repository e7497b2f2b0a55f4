/**
 * get's reading semantics against a real broker: a long poll returns with the message that arrives while it waits,
 * without polling the broker in a loop (the broker's pull counter grows by a handful during a 3 s idle wait); tag
 * expressions are exact although the broker filters by hash ("Aa" and "BB" share Java's hashCode); a new group starts
 * at the oldest retained message; maxMessages=0 returns nothing; a reply stays within getMaxResponseBytes.
 */
import { expect } from 'chai';
import { sleep } from '../../src/common';
import { T } from '../../src/gateway';
import type { MqProcess } from '../helpers/proc';
import { startCluster, startGateway } from './cluster';
import type { TestCluster } from './cluster';
import { connect } from './thrift-client';
import type { TestClient } from './thrift-client';

async function brokerPulls(cluster: TestCluster): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${cluster.brokers[0].fields.httpPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('mq_broker_pull_requests_total'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('gateway: long polling and tag filtering (integration)', function () {
  this.timeout(60000);
  let cluster: TestCluster;
  let gw: MqProcess;
  let c: TestClient;

  before(async () => {
    cluster = await startCluster(['lp-a'], ['--httpPort=0']);
    gw = await startGateway(cluster.namesrvAddr, ['--getMaxResponseBytes=3000000']);
    c = connect(Number(gw.fields.listenPort));
  });

  after(async () => {
    c?.close();
    await gw?.stop();
    await cluster?.stop();
  });

  it('a long poll returns with the message sent while it waits, without polling in a loop', async () => {
    const topic = await cluster.createTopic('GwLp', 4);
    // Learn the (empty) queues first, so the measured wait holds pulls on the broker.
    expect((await c.get({ topic, consumerGroup: 'lp', maxMessages: 4, waitMs: 0 })).messages).to.have.length(0);
    const before = await brokerPulls(cluster);
    const idle = await c.get({ topic, consumerGroup: 'lp', maxMessages: 4, waitMs: 3000 });
    expect(idle.messages).to.have.length(0);
    const pullsWhileIdle = (await brokerPulls(cluster)) - before;
    // One held pull per queue (4), maybe re-issued once; a busy loop would make hundreds.
    expect(pullsWhileIdle).to.be.at.most(12);
    const waiting = c.get({ topic, consumerGroup: 'lp', maxMessages: 4, waitMs: 25000 });
    await sleep(300);
    const sender = connect(Number(gw.fields.listenPort));
    let sentAt = 0;
    try {
      await sender.send([new T.Message({ topic, body: Buffer.from('wake up') })]);
      sentAt = Date.now();
    } finally {
      sender.close();
    }
    const got = await waiting;
    expect(got.messages.map((m) => m.body.toString())).to.deep.equal(['wake up']);
    // Woken by the broker's arrival notice, not by a re-check (the broker's 5 s pullHoldRecheckMills, the
    // gateway's 5 s longest hold): well within those on a loaded machine too.
    expect(Date.now() - sentAt).to.be.below(2500);
  });

  it('filters tags exactly, although "Aa" and "BB" have the same hash on the broker', async () => {
    const topic = await cluster.createTopic('GwTags', 1);
    const tags = ['Aa', 'BB', 'C', 'Aa', 'BB', 'C'];
    await c.send(tags.map((t, i) => new T.Message({ topic, body: Buffer.from(`${t}-${i}`), tags: t })));
    const only = async (expr: string, group: string): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await c.get({ topic, consumerGroup: group, tagExpression: expr, maxMessages: 32, waitMs: 200 });
        out.push(...r.messages.map((m) => `${m.tags}:${m.body.toString()}`));
        if (r.messages.length === 0 && out.length > 0) break;
      }
      return out;
    };
    expect(await only('Aa', 'tags1')).to.deep.equal(['Aa:Aa-0', 'Aa:Aa-3']);
    expect(await only('BB || C', 'tags2')).to.deep.equal(['BB:BB-1', 'C:C-2', 'BB:BB-4', 'C:C-5']);
    expect(await only('*', 'tags3')).to.have.length(6);
  });

  it('a new group starts at the oldest message; maxMessages=0 returns nothing', async () => {
    const topic = await cluster.createTopic('GwNew', 1);
    await c.send([1, 2, 3].map((i) => new T.Message({ topic, body: Buffer.from(`m${i}`) })));
    expect((await c.get({ topic, consumerGroup: 'first', maxMessages: 0, waitMs: 1000 })).messages).to.have.length(0);
    const a = await c.get({ topic, consumerGroup: 'first', maxMessages: 2, waitMs: 1000 });
    expect(a.messages.map((m) => m.body.toString())).to.deep.equal(['m1', 'm2']);
    const b = await c.get({ topic, consumerGroup: 'late', maxMessages: 10, waitMs: 1000 });
    expect(b.messages.map((m) => m.body.toString())).to.deep.equal(['m1', 'm2', 'm3']);
    expect(b.messages.map((m) => m.deliveryAttempt)).to.deep.equal([1, 1, 1]);
  });

  it('keeps a reply within getMaxResponseBytes; the rest comes with the next get', async () => {
    const topic = await cluster.createTopic('GwBytes', 1);
    const mib = (i: number): Buffer => Buffer.alloc(1024 * 1024, i);
    await c.send([1, 2, 3].map((i) => new T.Message({ topic, body: mib(i) })));
    const first = await c.get({ topic, consumerGroup: 'bytes', maxMessages: 10, waitMs: 1000 });
    expect(first.messages.map((m) => m.body[0])).to.deep.equal([1, 2]);
    const second = await c.get({ topic, consumerGroup: 'bytes', maxMessages: 10, waitMs: 1000 });
    expect(second.messages.map((m) => m.body[0])).to.deep.equal([3]);
  });
});
