import { expect } from 'chai';
import http from 'http';
import type { AddressInfo } from 'net';
import { MqError, sleep } from '../../src/common';
import { javaStringHashCode } from '../../src/common/message';
import { MQClient } from '../../src/client';
import { FakeBroker, FakeNameServer, Fleet, deadAddr, silent } from './fakes';
import { startDnsmasq } from './address/dnsmasq';
import type { Dnsmasq } from './address/dnsmasq';

/** Polls `f` (bounded: 100 tries, 50 ms apart) until it returns true. */
async function until(f: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await f()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('client/MQClient', function () {
  this.timeout(20000);
  const fleet = new Fleet();
  const clients: MQClient[] = [];
  let seq = 0;

  function track(c: MQClient): MQClient {
    clients.push(c);
    return c;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.shutdown()));
    await fleet.close();
  });

  it('rejects unknown options and a missing name-server source, naming the option', () => {
    expect(() => new MQClient({ namesrvAdr: 'x' })).to.throw(MqError, /unknown option namesrvAdr/);
    expect(() => new MQClient({})).to.throw(MqError, /namesrvAddr, namesrvDomain or namesrvAddrServerUrl/);
  });

  describe('offsets, heartbeat, admin', () => {
    let ns: FakeNameServer;
    let master: FakeBroker;
    let slave: FakeBroker;
    let other: FakeBroker;
    let topic: string;
    let c: MQClient;

    beforeEach(async () => {
      ns = await FakeNameServer.start(fleet);
      master = await FakeBroker.start(fleet, 'a-master');
      slave = await FakeBroker.start(fleet, 'a-slave');
      other = await FakeBroker.start(fleet, 'b-master');
      topic = `ClientTest_${process.pid}_${++seq}`;
      ns.routes.set(topic, [
        { brokerName: 'broker-a', addrs: { 0: master.addr, 1: slave.addr } },
        { brokerName: 'broker-b', addrs: { 0: other.addr } },
      ]);
      c = track(new MQClient({ namesrvAddr: ns.addr, instanceName: 'it', clientIP: '10.9.8.7' }, { logger: silent }));
      await c.start();
    });

    it('reads -1 for a consumer offset the broker does not have, then the stored one', async () => {
      const q = { topic, brokerName: 'broker-a', queueId: 2 };
      expect(await c.queryConsumerOffset('g1', q)).to.equal(-1);
      await c.updateConsumerOffset('g1', q, 42);
      expect(master.consumerOffsets.get(`g1@${topic}@2`)).to.equal(42);
      expect(await c.queryConsumerOffset('g1', q)).to.equal(42);
      master.store(topic, 2, Buffer.from('x'), {});
      expect(await c.getMaxOffset(q)).to.equal(1);
    });

    it('heartbeats the consumer groups to every broker, or only masters without groups', async () => {
      await c.getRoute(topic);
      expect(await c.sendHeartbeat()).to.deep.equal([master.addr, other.addr].sort());
      expect(slave.heartbeats).to.have.length(0);
      c.registerConsumerGroup({ group: 'g1', subscriptions: { [topic]: 'TagA || TagB' } });
      expect(await c.sendHeartbeat()).to.have.length(3);
      const hb = slave.heartbeats[0] as {
        clientID: string;
        producerDataSet: Array<{ groupName: string }>;
        consumerDataSet: Array<{ groupName: string; subscriptionDataSet: Array<{ topic: string; subString: string; codeSet: number[] }> }>;
      };
      expect(hb.clientID).to.equal('10.9.8.7@it');
      expect(hb.producerDataSet[0].groupName).to.equal('MQGATEWAY_PRODUCER');
      expect(hb.consumerDataSet[0].groupName).to.equal('g1');
      const sub = hb.consumerDataSet[0].subscriptionDataSet[0];
      expect(sub.topic).to.equal(topic);
      expect(sub.subString).to.equal('TagA || TagB');
      expect(sub.codeSet).to.deep.equal([javaStringHashCode('TagA'), javaStringHashCode('TagB')]);
    });

    it('creates a topic on every master of a cluster and parses cluster info with bare keys', async () => {
      const info = await c.getClusterInfo();
      expect(info.clusterAddrTable.C).to.deep.equal(['broker-a', 'broker-b']);
      expect(info.brokerAddrTable['broker-a'].brokerAddrs[1]).to.equal(slave.addr);
      const created = await c.createTopic({ topic: 'NewTopic_1', clusterName: 'C', writeQueueNums: 8 });
      expect(created).to.deep.equal(['broker-a', 'broker-b']);
      for (const b of [master, other]) {
        expect(b.createdTopics).to.have.length(1);
        expect(b.createdTopics[0]).to.include({ topic: 'NewTopic_1', writeQueueNums: '8', readQueueNums: '8', perm: '6' });
      }
      expect(slave.createdTopics).to.have.length(0);
      let err: unknown;
      try {
        await c.createTopic({ topic: 'NewTopic_2', clusterName: 'NoSuchCluster' });
      } catch (e) {
        err = e;
      }
      expect(MqError.is(err, 'NOT_FOUND')).to.equal(true);
    });

    it('sends a message back for retry to the master of its broker set', async () => {
      await c.consumerSendMsgBack({
        group: 'g1',
        topic,
        brokerName: 'broker-a',
        physicalOffset: 1234,
        msgId: 'ABC',
        delayLevel: 0,
        maxReconsumeTimes: 16,
      });
      expect(master.sendBacks[0]).to.include({ offset: '1234', group: 'g1', delayLevel: '0', originTopic: topic, maxReconsumeTimes: '16' });
    });
  });

  describe('name servers and route refresh', () => {
    it('tries the name servers in turn when one is down', async () => {
      const ns = await FakeNameServer.start(fleet);
      const broker = await FakeBroker.start(fleet, 'b');
      const topic = `Turn_${process.pid}_${++seq}`;
      ns.routes.set(topic, [{ brokerName: 'b', addrs: { 0: broker.addr } }]);
      const c = track(new MQClient({ namesrvAddr: `${await deadAddr(fleet)};${ns.addr}`, instanceName: 't' }, { logger: silent }));
      await c.start();
      const [r] = await c.send(topic, [{ body: Buffer.from('x') }]);
      expect(r.ok).to.equal(true);
    });

    it('picks up route changes at the next periodic refresh', async () => {
      const ns = await FakeNameServer.start(fleet);
      const a = await FakeBroker.start(fleet, 'a');
      const b = await FakeBroker.start(fleet, 'b');
      const topic = `Refresh_${process.pid}_${++seq}`;
      ns.routes.set(topic, [{ brokerName: 'a', addrs: { 0: a.addr }, writeQueueNums: 1 }]);
      const c = track(new MQClient({ namesrvAddr: ns.addr, instanceName: 't', pollNameServerInterval: 100 }, { logger: silent }));
      await c.start();
      expect((await c.publishQueues(topic)).map((q) => q.brokerName)).to.deep.equal(['a']);
      // A second broker set joins; a write-wiped first set (perm 4) no longer takes sends (ref §7.3).
      ns.routes.set(topic, [
        { brokerName: 'a', addrs: { 0: a.addr }, writeQueueNums: 1, perm: 4 },
        { brokerName: 'b', addrs: { 0: b.addr }, writeQueueNums: 1 },
      ]);
      await until(() => c.routes.cached(topic)?.publishQueues.map((q) => q.brokerName).join() === 'b', 'the refreshed route');
      for (let i = 0; i < 3; i++) {
        const [r] = await c.send(topic, [{ body: Buffer.from('x') }]);
        expect(r.ok && r.brokerName).to.equal('b');
      }
      expect(a.sends).to.have.length(0);
    });

    it('learns the name servers from an HTTP address server', async () => {
      const ns = await FakeNameServer.start(fleet);
      const broker = await FakeBroker.start(fleet, 'b');
      const topic = `Http_${process.pid}_${++seq}`;
      ns.routes.set(topic, [{ brokerName: 'b', addrs: { 0: broker.addr } }]);
      const server = http.createServer((_req, res) => res.end(`${ns.addr}\n`));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rocketmq/nsaddr`;
        const c = track(new MQClient({ namesrvAddrServerUrl: url, instanceName: 't' }, { logger: silent }));
        await c.start();
        expect(c.nameServers()).to.deep.equal([ns.addr]);
        const [r] = await c.send(topic, [{ body: Buffer.from('x') }]);
        expect(r.ok).to.equal(true);
        // Shutdown tells the brokers in the routes that this client is gone.
        c.registerConsumerGroup({ group: 'g-http', subscriptions: { [topic]: '*' } });
        await c.shutdown();
        expect(broker.unregisters.map((u) => u.consumerGroup ?? u.producerGroup).sort()).to.deep.equal(['MQGATEWAY_PRODUCER', 'g-http']);
        expect(broker.unregisters[0].clientID).to.equal(c.clientId);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });

  describe('blue/green through a DNS name served by dnsmasq', () => {
    let dns: Dnsmasq | undefined;
    after(async () => {
      await dns?.stop();
    });

    it('moves to the new cluster when the DNS answer changes and drops routes of the old one', async () => {
      // Two name servers on the same port of two loopback addresses, as A records with one namesrvDnsPort.
      const blue = await FakeNameServer.start(fleet, '127.0.0.2');
      const port = Number(blue.addr.split(':')[1]);
      const green = await FakeNameServer.start(fleet, '127.0.0.3', port);
      const blueBroker = await FakeBroker.start(fleet, 'blue-broker');
      const greenBroker = await FakeBroker.start(fleet, 'green-broker');
      const topic = `BlueGreen_${process.pid}`;
      const blueOnly = `BlueOnly_${process.pid}`;
      blue.routes.set(topic, [{ brokerName: 'blue-a', addrs: { 0: blueBroker.addr } }]);
      blue.routes.set(blueOnly, [{ brokerName: 'blue-a', addrs: { 0: blueBroker.addr } }]);
      green.routes.set(topic, [{ brokerName: 'green-a', addrs: { 0: greenBroker.addr } }]);
      dns = await startDnsmasq(['127.0.0.2 ns.cluster.test'], [], 'ns.cluster.test');
      const c = track(
        new MQClient(
          {
            namesrvDomain: 'ns.cluster.test',
            namesrvDnsServer: dns.server,
            namesrvDnsPort: port,
            namesrvDnsRecordType: 'A',
            namesrvDnsRefreshMs: 100,
            instanceName: 'bg',
          },
          { logger: silent },
        ),
      );
      await c.start();
      expect(c.nameServers()).to.deep.equal([blue.addr]);
      const [r1] = await c.send(topic, [{ body: Buffer.from('before') }]);
      expect(r1.ok && r1.brokerName).to.equal('blue-a');
      const [r2] = await c.send(blueOnly, [{ body: Buffer.from('before') }]);
      expect(r2.ok && r2.brokerName).to.equal('blue-a');

      await dns.setHosts(['127.0.0.3 ns.cluster.test']);
      await until(() => c.nameServers().join() === green.addr, 'the client to use the green name server');
      // The switch refreshes every route from the green name server.
      await until(() => c.routes.cached(topic)?.brokers.has('green-a') === true, 'the green route');
      const [r3] = await c.send(topic, [{ body: Buffer.from('after') }]);
      expect(r3.ok && r3.brokerName).to.equal('green-a');
      expect(greenBroker.sends.map((s) => s.messages[0].body.toString())).to.deep.equal(['after']);
      // The blue-only topic is unknown to green: its old route is gone, so nothing reaches the blue cluster.
      await until(() => c.routes.cached(blueOnly) === undefined, 'the blue-only route to be dropped');
      const [r4] = await c.send(blueOnly, [{ body: Buffer.from('after') }]);
      expect(!r4.ok && r4.error.code).to.equal('TOPIC_NOT_FOUND');
      expect(blueBroker.sends).to.have.length(2);
    });
  });
});
