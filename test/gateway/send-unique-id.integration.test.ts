/**
 * SendResult.uniqueId (issue 9 rule 7): the gateway returns the UNIQ_KEY its client made for each message, and a
 * send that the client retried on another broker set after a broker failure leaves copies that all carry that same
 * UNIQ_KEY. The failure: broker-a stores the message but answers only after the attempt's share of the deadline (a
 * stalled disk), so the client fails over to broker-b, which stores it again. Both copies are read back with our
 * puller. Everything runs in this process on real listeners: name server, two brokers with real stores, gateway.
 */
import { expect } from 'chai';
import pino from 'pino';
import { sleep } from '../../src/common';
import { BrokerController, resolveBrokerConfig } from '../../src/broker';
import type { BrokerStore } from '../../src/broker';
import { storeOptionsOf } from '../../src/broker/config';
import { MQClient } from '../../src/client';
import { GatewayController, T } from '../../src/gateway';
import { NamesrvController, resolveNamesrvOptions } from '../../src/namesrv';
import { MessageStore } from '../../src/store';
import { tempDir, uniqueName } from '../helpers/proc';
import { connect } from './thrift-client';
import type { TestClient } from './thrift-client';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });

/** The store's own methods, with puts answered `delayMs` late (after they are stored) while `slow.on` is set. */
function stalling(store: MessageStore, slow: { on: boolean; delayMs: number }): BrokerStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const f = v as (...a: unknown[]) => unknown;
      if (prop === 'putMessage' || prop === 'putMessages') {
        return async (...a: unknown[]) => {
          const r = await f.apply(target, a);
          if (slow.on) await sleep(slow.delayMs);
          return r;
        };
      }
      return f.bind(target);
    },
  }) as unknown as BrokerStore;
}

describe('gateway send: uniqueId is the same on every stored copy of a retried send', function () {
  this.timeout(60000);
  const stops: Array<() => Promise<unknown> | void> = [];
  after(async () => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
  });

  it('a send retried after broker-a failed leaves copies on broker-a and broker-b with the returned uniqueId', async () => {
    const ns = new NamesrvController(resolveNamesrvOptions({ listenPort: 0 }), { logger });
    const nsPort = await ns.start();
    stops.push(() => ns.shutdown());
    const namesrvAddr = `127.0.0.1:${nsPort}`;
    const slow = { on: false, delayMs: 2500 };
    for (const name of ['broker-ua', 'broker-ub']) {
      const dir = tempDir('mq-uniq-');
      const cfg = resolveBrokerConfig({
        brokerName: name,
        namesrvAddr,
        listenPort: 0,
        haListenPort: 0,
        httpPort: -1,
        storePathRootDir: dir.dir,
        mappedFileSizeCommitLog: 16 * 1024 * 1024,
        registerNameServerPeriod: 1000,
      });
      const store = new MessageStore(storeOptionsOf(cfg), { logger });
      await store.load();
      await store.start();
      const broker = new BrokerController(cfg, { logger, store: name === 'broker-ua' ? stalling(store, slow) : store });
      await broker.start();
      stops.push(dir.cleanup, () => store.shutdown(), () => broker.shutdown());
    }
    const admin = new MQClient({ namesrvAddr, clientIP: '127.0.0.1' }, { logger });
    await admin.start();
    stops.push(() => admin.shutdown());
    const topic = uniqueName('UNIQ');
    await admin.createTopic({ topic, clusterName: 'DefaultCluster', writeQueueNums: 1, readQueueNums: 1 });
    for (let i = 0; (await admin.publishQueues(topic).catch(() => [])).length < 2; i++) {
      if (i > 100) throw new Error('route never showed both broker sets');
      await sleep(100);
    }
    const gw = new GatewayController(
      { namesrvAddr, listenPort: 0, listenHost: '127.0.0.1', sendTimeoutMs: 4000 },
      { logger },
    );
    const client: TestClient = connect(await gw.start());
    stops.push(() => gw.shutdown(), () => client.close());

    // Healthy: one copy, uniqueId is the stored UNIQ_KEY.
    const [first] = await client.send([new T.Message({ topic, body: Buffer.from('healthy') })]);
    expect(first.error ?? null).to.equal(null);
    expect(first.uniqueId).to.match(/^[0-9A-F]{32}$/);

    // broker-a stalls: sends that pick it first time out there and go to broker-b. Round-robin reaches broker-a within
    // two sends (and fault avoidance keeps later sends away from it), so a few sends give at least one retried send.
    slow.on = true;
    const sent: T.SendResult[] = [];
    for (let i = 0; i < 4; i++) {
      const [r] = await client.send([new T.Message({ topic, body: Buffer.from(`m${i}`) })]);
      expect(r.error ?? null, `send ${i}`).to.equal(null);
      sent.push(r);
    }
    slow.on = false;
    await sleep(slow.delayMs + 500);

    const copies = new Map<string, string[]>();
    for (const brokerName of ['broker-ua', 'broker-ub']) {
      const pr = await admin.pull({ consumerGroup: 'G_uniq', brokerName, topic, queueId: 0, offset: 0, maxMsgNums: 32 });
      for (const m of pr.messages) {
        expect(m.uniqId, 'every stored copy carries UNIQ_KEY').to.be.a('string');
        copies.set(m.uniqId as string, [...(copies.get(m.uniqId as string) ?? []), `${brokerName}:${m.body.toString()}`]);
      }
    }
    // Every returned uniqueId is stored; one of the stalled sends was stored twice, on both sets, under that id.
    for (const r of [first, ...sent]) expect(copies.has(r.uniqueId as string), r.uniqueId).to.equal(true);
    const retried = sent.filter((r) => (copies.get(r.uniqueId as string) ?? []).length > 1);
    expect(retried.length, JSON.stringify([...copies])).to.be.greaterThan(0);
    for (const r of retried) {
      const where = copies.get(r.uniqueId as string) as string[];
      expect(new Set(where.map((w) => w.split(':')[0]))).to.deep.equal(new Set(['broker-ua', 'broker-ub']));
      // The same message (same body) under the same id.
      expect(new Set(where.map((w) => w.split(':')[1])).size).to.equal(1);
      expect(r.brokerName).to.equal('broker-ub');
    }
    // Distinct messages never share an id.
    expect(new Set(sent.map((r) => r.uniqueId)).size).to.equal(sent.length);
  });
});
