import { expect } from 'chai';
import { Registry } from 'prom-client';
import { MqError } from '../../../src/common';
import { RequestCode } from '../../../src/remoting';
import { MQClient } from '../../../src/client';
import type { SendResult } from '../../../src/client';
import { FakeBroker, FakeNameServer, Fleet, deadAddr, silent } from '../fakes';

function ok(r: SendResult): Extract<SendResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected a stored message, got ${r.error.code}: ${r.error.message}`);
  return r;
}

function failed(r: SendResult): MqError {
  if (r.ok) throw new Error(`expected a failure, got a message stored on ${r.brokerName}`);
  return r.error;
}

describe('client/producer against fake brokers', function () {
  this.timeout(20000);
  const fleet = new Fleet();
  const clients: MQClient[] = [];
  let ns: FakeNameServer;
  let a: FakeBroker;
  let b: FakeBroker;
  let topicSeq = 0;
  let topic = '';

  async function client(extra: Record<string, unknown> = {}, registry?: Registry): Promise<MQClient> {
    const c = new MQClient({ namesrvAddr: ns.addr, instanceName: 'test', ...extra }, { logger: silent, registry });
    clients.push(c);
    await c.start();
    return c;
  }

  beforeEach(async () => {
    ns = await FakeNameServer.start(fleet);
    a = await FakeBroker.start(fleet, 'broker-a');
    b = await FakeBroker.start(fleet, 'broker-b');
    topic = `ProducerTest_${process.pid}_${++topicSeq}`;
    ns.routes.set(topic, [
      { brokerName: 'broker-a', addrs: { 0: a.addr }, writeQueueNums: 2 },
      { brokerName: 'broker-b', addrs: { 0: b.addr }, writeQueueNums: 2 },
    ]);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.shutdown()));
    await fleet.close();
  });

  it('round-robins single sends over every writable queue of every broker set', async () => {
    const c = await client();
    const seen = new Map<string, number>();
    for (let i = 0; i < 8; i++) {
      const [r] = await c.send(topic, [{ body: Buffer.from(`m${i}`) }]);
      const k = `${ok(r).brokerName}/${ok(r).queueId}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).to.deep.equal(['broker-a/0', 'broker-a/1', 'broker-b/0', 'broker-b/1']);
    expect([...seen.values()]).to.deep.equal([2, 2, 2, 2]);
    // One message per request goes as SEND_MESSAGE_V2.
    expect(a.sends.every((s) => s.code === RequestCode.SEND_MESSAGE_V2 && !s.header.batch)).to.equal(true);
  });

  it('sends a batch to one queue as one SEND_BATCH_MESSAGE whose body decodes to the messages', async () => {
    const c = await client();
    const msgs = [0, 1, 2, 3, 4].map((i) => ({
      body: Buffer.from(`body-${i}`),
      tags: i % 2 === 0 ? 'TagA' : 'TagB',
      keys: [`k${i}`, 'shared'],
      properties: { color: `c${i}` },
    }));
    const results = (await c.send(topic, msgs)).map(ok);
    const sends = [...a.sends, ...b.sends];
    expect(sends).to.have.length(1);
    const s = sends[0];
    expect(s.code).to.equal(RequestCode.SEND_BATCH_MESSAGE);
    expect(s.header.batch).to.equal(true);
    expect(s.header.topic).to.equal(topic);
    expect(s.messages.map((m) => m.body.toString())).to.deep.equal(msgs.map((m) => m.body.toString()));
    s.messages.forEach((m, i) => {
      expect(m.properties.TAGS).to.equal(msgs[i].tags);
      expect(m.properties.KEYS).to.equal(`k${i} shared`);
      expect(m.properties.color).to.equal(`c${i}`);
      expect(m.properties.UNIQ_KEY).to.equal(results[i].uniqId).and.match(/^[0-9A-F]{32}$/);
    });
    // Results come back in order, on one queue, with consecutive offsets and distinct offset msgIds.
    expect(new Set(results.map((r) => `${r.brokerName}/${r.queueId}`)).size).to.equal(1);
    expect(results.map((r) => r.queueOffset)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(new Set(results.map((r) => r.msgId)).size).to.equal(5);
    expect(results.every((r) => r.status === 'OK')).to.equal(true);
  });

  it('splits a batch whose body would exceed maxMessageSize', async () => {
    const c = await client({ maxMessageSize: 1000 });
    const results = (await c.send(topic, [0, 1, 2].map(() => ({ body: Buffer.alloc(600, 1) })))).map(ok);
    expect(results).to.have.length(3);
    expect([...a.sends, ...b.sends]).to.have.length(3);
  });

  it('sends a sharding key to the same queue every time, in order', async () => {
    const c = await client();
    const places = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const rs = (await c.send(topic, [
        { body: Buffer.from(`x${i}a`), shardingKey: 'order-17' },
        { body: Buffer.from(`x${i}b`), shardingKey: 'order-17' },
      ])).map(ok);
      for (const r of rs) places.add(`${r.brokerName}/${r.queueId}`);
      expect(rs[1].queueOffset).to.equal(rs[0].queueOffset + 1);
    }
    expect(places.size).to.equal(1);
  });

  it('retries on another broker set after SYSTEM_BUSY, then avoids the busy set', async () => {
    const registry = new Registry();
    const c = await client({ faultAvoidanceMs: 60000 }, registry);
    a.behaviour = 'busy';
    for (let i = 0; i < 4; i++) {
      const [r] = await c.send(topic, [{ body: Buffer.from('x') }]);
      expect(ok(r).brokerName).to.equal('broker-b');
    }
    // broker-a was tried once, then avoided for faultAvoidanceMs.
    expect(a.sends.length).to.equal(1);
    expect(b.sends.length).to.equal(4);
    const text = await registry.metrics();
    expect(text).to.contain('mq_client_send_attempts_total{broker="broker-a",outcome="busy"} 1');
    expect(text).to.contain('mq_client_send_attempts_total{broker="broker-b",outcome="ok"} 4');
  });

  it('retries on another broker set after a timeout within the deadline', async () => {
    const c = await client({ faultAvoidanceMs: 0 });
    a.behaviour = 'hang';
    // Four calls walk all four queues round-robin, so broker-a is tried at least once.
    for (let i = 0; i < 4; i++) {
      const [r] = await c.send(topic, [{ body: Buffer.from('x') }], { deadlineMs: 1000 });
      expect(ok(r).brokerName).to.equal('broker-b');
    }
    expect(a.sends.length).to.be.greaterThan(0);
  });

  it('retries on another broker set when the master refuses connections', async () => {
    ns.routes.set(topic, [
      { brokerName: 'broker-a', addrs: { 0: await deadAddr(fleet) }, writeQueueNums: 2 },
      { brokerName: 'broker-b', addrs: { 0: b.addr }, writeQueueNums: 2 },
    ]);
    const c = await client({ faultAvoidanceMs: 0 });
    for (let i = 0; i < 4; i++) {
      const [r] = await c.send(topic, [{ body: Buffer.from('x') }]);
      expect(ok(r).brokerName).to.equal('broker-b');
    }
  });

  it('retries the only broker set after a SYSTEM_ERROR', async () => {
    ns.routes.set(topic, [{ brokerName: 'broker-a', addrs: { 0: a.addr }, writeQueueNums: 2 }]);
    const c = await client();
    a.failNext = 1;
    const [r] = await c.send(topic, [{ body: Buffer.from('x') }]);
    expect(ok(r).brokerName).to.equal('broker-a');
    expect(a.sends).to.have.length(2);
  });

  it('gives up after retryTimesWhenSendFailed with the broker error', async () => {
    ns.routes.set(topic, [{ brokerName: 'broker-a', addrs: { 0: a.addr }, writeQueueNums: 2 }]);
    const c = await client({ retryTimesWhenSendFailed: 1 });
    a.failNext = 5;
    const [r] = await c.send(topic, [{ body: Buffer.from('x') }]);
    const e = failed(r);
    expect(e.code).to.equal('INTERNAL');
    expect(e.message).to.contain('create mapped file failed');
    expect(a.sends).to.have.length(2);
  });

  it('reports BUSY with retryAfterMs when every broker set answers SYSTEM_BUSY', async () => {
    const c = await client({ busyRetryAfterMs: 750 });
    a.behaviour = 'busy';
    b.behaviour = 'busy';
    const rs = await c.send(topic, [{ body: Buffer.from('x') }, { body: Buffer.from('y') }]);
    for (const r of rs) {
      const e = failed(r);
      expect(e.code).to.equal('BUSY');
      expect(e.retriable).to.equal(true);
      expect(e.details.retryAfterMs).to.equal(750);
      expect(e.message).to.match(/SYSTEM_BUSY/);
    }
    expect(a.sends.length).to.equal(1);
    expect(b.sends.length).to.equal(1);
  });

  it('rejects an oversized body with PAYLOAD_TOO_LARGE before sending anything', async () => {
    const c = await client({ maxMessageSize: 1024 });
    let err: unknown;
    try {
      await c.send(topic, [{ body: Buffer.alloc(10) }, { body: Buffer.alloc(2000) }]);
    } catch (e) {
      err = e;
    }
    expect(MqError.is(err, 'PAYLOAD_TOO_LARGE')).to.equal(true);
    expect((err as MqError).details.index).to.equal(1);
    expect((err as MqError).message).to.match(/maxMessageSize/);
    expect(a.sends.length + b.sends.length).to.equal(0);
  });

  it('returns FLUSH_DISK_TIMEOUT as a status of a stored message, without retrying', async () => {
    const c = await client();
    a.behaviour = 'flush-disk-timeout';
    b.behaviour = 'flush-disk-timeout';
    const [r] = await c.send(topic, [{ body: Buffer.from('x') }]);
    expect(ok(r).status).to.equal('FLUSH_DISK_TIMEOUT');
    expect(a.sends.length + b.sends.length).to.equal(1);
  });

  it('maps an unknown topic to TOPIC_NOT_FOUND', async () => {
    const c = await client();
    const [r] = await c.send(`${topic}_missing`, [{ body: Buffer.from('x') }]);
    expect(failed(r).code).to.equal('TOPIC_NOT_FOUND');
  });

  it('rejects invalid topics and reserved properties with INVALID_ARGUMENT', async () => {
    const c = await client();
    for (const bad of [
      () => c.send('bad topic', [{ body: Buffer.from('x') }]),
      () => c.send(topic, [{ body: Buffer.from('x'), properties: { UNIQ_KEY: 'mine' } }]),
      () => c.send(topic, []),
    ]) {
      let err: unknown;
      try {
        await bad();
      } catch (e) {
        err = e;
      }
      expect(MqError.is(err, 'INVALID_ARGUMENT'), String(err)).to.equal(true);
    }
  });
});
