import { expect } from 'chai';
import zlib from 'zlib';
import { MqError, sleep } from '../../../src/common';
import { SysFlag, createOffsetMsgId, javaStringHashCode } from '../../../src/common/message';
import { PullSysFlag } from '../../../src/remoting/header/pull-message';
import { MQClient } from '../../../src/client';
import { FakeBroker, FakeNameServer, Fleet, silent } from '../fakes';

describe('client/puller against fake brokers', function () {
  this.timeout(20000);
  const fleet = new Fleet();
  const clients: MQClient[] = [];
  let ns: FakeNameServer;
  let master: FakeBroker;
  let slave: FakeBroker;
  let topic = '';
  let seq = 0;

  async function client(): Promise<MQClient> {
    const c = new MQClient({ namesrvAddr: ns.addr, instanceName: 'pull-test' }, { logger: silent });
    clients.push(c);
    await c.start();
    return c;
  }

  beforeEach(async () => {
    ns = await FakeNameServer.start(fleet);
    master = await FakeBroker.start(fleet, 'broker-a-master');
    slave = await FakeBroker.start(fleet, 'broker-a-slave');
    topic = `PullTest_${process.pid}_${++seq}`;
    ns.routes.set(topic, [{ brokerName: 'broker-a', addrs: { 0: master.addr, 1: slave.addr }, readQueueNums: 2 }]);
    for (const b of [master, slave]) {
      b.store(topic, 0, Buffer.from('first'), { TAGS: 'TagA', KEYS: 'k1 k2', UNIQ_KEY: 'AAAA', color: 'red' });
      b.store(topic, 0, Buffer.from('second'), { TAGS: 'TagB' });
      // "Aa" and "BB" have the same Java hash code: the broker's hash filter lets both through.
      b.store(topic, 0, Buffer.from('third'), { TAGS: 'BB' });
      b.store(topic, 0, Buffer.from('fourth'), { TAGS: 'Aa' });
    }
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.shutdown()));
    await fleet.close();
  });

  it('decodes real record bytes into messages with ids, tags, keys and properties', async () => {
    const c = await client();
    const r = await c.pull({ consumerGroup: 'g1', brokerName: 'broker-a', topic, queueId: 0, offset: 0, maxMsgNums: 32 });
    expect(r.status).to.equal('FOUND');
    expect(r.brokerId).to.equal(0);
    expect(r.nextBeginOffset).to.equal(4);
    expect(r.maxOffset).to.equal(4);
    expect(r.messages.map((m) => m.body.toString())).to.deep.equal(['first', 'second', 'third', 'fourth']);
    const m = r.messages[0];
    expect(m.topic).to.equal(topic);
    expect(m.queueOffset).to.equal(0);
    expect(m.tags).to.equal('TagA');
    expect(m.keys).to.deep.equal(['k1', 'k2']);
    expect(m.uniqId).to.equal('AAAA');
    expect(m.properties.color).to.equal('red');
    expect(m.brokerName).to.equal('broker-a');
    expect(m.bornHost).to.deep.equal({ ip: '10.1.2.3', port: 40000 });
    expect(m.msgId).to.equal(createOffsetMsgId({ ip: '127.0.0.1', port: 10911 }, m.physicalOffset));
    // The request carried the subscription flag, and no commit flag (no commitOffset given).
    expect(master.pulls[0].sysFlag & PullSysFlag.SUBSCRIPTION).to.not.equal(0);
    expect(master.pulls[0].sysFlag & PullSysFlag.COMMIT_OFFSET).to.equal(0);
  });

  it('filters again by exact tag string after the broker hash filter', async () => {
    expect(javaStringHashCode('Aa')).to.equal(javaStringHashCode('BB'));
    const c = await client();
    const r = await c.pull({
      consumerGroup: 'g1',
      brokerName: 'broker-a',
      topic,
      queueId: 0,
      offset: 0,
      maxMsgNums: 32,
      subscription: 'TagA || Aa',
    });
    expect(r.status).to.equal('FOUND');
    expect(r.messages.map((m) => m.body.toString())).to.deep.equal(['first', 'fourth']);
    expect(r.nextBeginOffset).to.equal(4);
  });

  it('maps PULL_NOT_FOUND, PULL_RETRY_IMMEDIATELY and PULL_OFFSET_MOVED to the Java status names', async () => {
    const c = await client();
    const base = { consumerGroup: 'g1', brokerName: 'broker-a', topic, queueId: 0, maxMsgNums: 32 };
    expect((await c.pull({ ...base, offset: 4 })).status).to.equal('NO_NEW_MSG');
    expect((await c.pull({ ...base, offset: 0, subscription: 'Nope' })).status).to.equal('NO_MATCHED_MSG');
    const moved = await c.pull({ ...base, offset: 99 });
    expect(moved.status).to.equal('OFFSET_ILLEGAL');
    expect(moved.nextBeginOffset).to.equal(4);
  });

  it('inflates zlib-compressed bodies written by other producers', async () => {
    const big = Buffer.alloc(10000, 'z');
    master.store(topic, 1, zlib.deflateSync(big), { TAGS: 'T' }, SysFlag.COMPRESSED);
    const c = await client();
    const r = await c.pull({ consumerGroup: 'g1', brokerName: 'broker-a', topic, queueId: 1, offset: 0, maxMsgNums: 1 });
    expect(r.messages[0].body.equals(big)).to.equal(true);
  });

  it('sets the commit flag only when pulling from the master', async () => {
    const c = await client();
    const base = { consumerGroup: 'g1', brokerName: 'broker-a', topic, queueId: 0, maxMsgNums: 1, commitOffset: 1 };
    master.suggestBrokerId = 1;
    const r1 = await c.pull({ ...base, offset: 0 });
    expect(r1.brokerId).to.equal(0);
    expect(master.pulls[0].sysFlag & PullSysFlag.COMMIT_OFFSET).to.not.equal(0);
    expect(master.pulls[0].commitOffset).to.equal(1);
    // The master suggested broker 1: the next pull of this queue goes to the slave, without the commit flag.
    const r2 = await c.pull({ ...base, offset: 1 });
    expect(r2.brokerId).to.equal(1);
    expect(r2.messages[0].body.toString()).to.equal('second');
    expect(slave.pulls[0].sysFlag & PullSysFlag.COMMIT_OFFSET).to.equal(0);
  });

  it('falls back to the slave when the master disappears from the route', async () => {
    const c = await client();
    const base = { consumerGroup: 'g1', brokerName: 'broker-a', topic, queueId: 0, offset: 0, maxMsgNums: 32 };
    expect((await c.pull(base)).brokerId).to.equal(0);
    // The master dies; the name server's route keeps only the slave (ref §7.3).
    ns.routes.set(topic, [{ brokerName: 'broker-a', addrs: { 1: slave.addr }, readQueueNums: 2 }]);
    await master.server.close();
    // The first pull fails against the dead master and triggers a route refresh; pulls then go to the slave.
    let served: number | undefined;
    let firstError: unknown;
    for (let i = 0; i < 50 && served === undefined; i++) {
      try {
        const r = await c.pull(base);
        served = r.brokerId;
        expect(r.messages).to.have.length(4);
      } catch (err) {
        firstError ??= err;
        await sleep(50);
      }
    }
    expect(served).to.equal(1);
    if (firstError !== undefined) expect(MqError.is(firstError) && firstError.retriable).to.equal(true);
    // The publish side no longer sees a writable set (no master), the subscribe side still sees its queues.
    expect(await c.publishQueues(topic)).to.have.length(0);
    expect(await c.subscribeQueues(topic)).to.have.length(2);
  });
});
