/** HaController by role, with in-memory stores: a slave finds its master through the registration answer. */
import { expect } from 'chai';
import crypto from 'crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { HaController, brokerSyncTarget } from '../../../src/broker/ha';
import type { MasterAddresses, OffsetEntry } from '../../../src/broker/ha';
import { FakeStore } from './fake-store';
import { waitUntil } from './wait';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });
const FAST = { haSendHeartbeatInterval: 100, haConnectRetryInterval: 50, haHousekeepingInterval: 2000 };

describe('HaController', function () {
  this.timeout(10000);
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('runs the HA service on a master and the HA client on a slave that learns the master from registration', async () => {
    const m = new FakeStore(1 << 20);
    const s = new FakeStore(1 << 20);
    const master = new HaController(
      { brokerRole: 'SYNC_MASTER', ha: { ...FAST, haListenPort: 0, haBindAddress: '127.0.0.1' } },
      { logger, store: m },
    );
    cleanups.push(() => master.shutdown());
    await master.start();
    expect(master.haPort).to.be.greaterThan(0);
    expect(m.replicationWaiter).to.be.a('function');
    let answer: MasterAddresses = {};
    const registry = new Registry();
    const slave = new HaController({ brokerRole: 'SLAVE', ha: FAST }, { logger, registry, store: s, masterAddresses: () => answer });
    cleanups.push(() => slave.shutdown());
    await slave.start();
    expect(slave.haPort).to.equal(-1);
    expect(await registry.metrics()).to.match(/^mq_broker_slave_connected 0$/m);
    expect(await m.put(crypto.randomBytes(100), true)).to.equal('SLAVE_NOT_AVAILABLE');
    // The name server's answer names the master once it is live.
    answer = { haServerAddr: `127.0.0.1:${master.haPort}`, masterAddr: '127.0.0.1:1' };
    await waitUntil(() => slave.client?.status === 'connected', 5000, 'slave connected');
    await waitUntil(() => s.getMaxPhyOffset() === 100, 5000, 'catch-up');
    expect(await registry.metrics()).to.match(/^mq_broker_slave_connected 1$/m);
    expect(await m.put(crypto.randomBytes(100), true)).to.equal('PUT_OK');
    expect(s.bytes(0).equals(m.bytes(0))).to.equal(true);
    // An empty answer (master gone from the name server) keeps the last address for reconnects.
    answer = {};
    await new Promise((r) => setTimeout(r, 1100));
    expect(slave.client?.masterAddress).to.equal(`127.0.0.1:${master.haPort}`);
  });

  it('rejects an unknown role', () => {
    expect(() => new HaController({ brokerRole: 'LEADER', ha: {} }, { logger, store: new FakeStore() })).to.throw(/brokerRole/);
  });

  it('brokerSyncTarget replaces topics (upserting only changes) and commits offsets', () => {
    const tc = (name: string, q = 4) => ({
      topicName: name,
      readQueueNums: q,
      writeQueueNums: q,
      perm: 6,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: false,
    });
    const table = new Map([['Keep', tc('Keep')], ['Change', tc('Change')], ['Gone', tc('Gone')]]);
    const upserts: string[] = [];
    const committed: OffsetEntry[] = [];
    const target = brokerSyncTarget(
      {
        all: () => [...table.values()],
        upsert: (t) => {
          upserts.push(t.topicName);
          table.set(t.topicName, t);
        },
        delete: (n) => table.delete(n),
      },
      { commit: (group, topic, queueId, offset) => committed.push({ group, topic, queueId, offset }), entries: () => committed },
    );
    target.applyTopicConfigs([tc('Keep'), tc('Change', 8), tc('New')], { timestamp: 1, counter: 1 });
    expect(upserts).to.deep.equal(['Change', 'New']);
    expect([...table.keys()].sort()).to.deep.equal(['Change', 'Keep', 'New']);
    expect(table.get('Change')?.readQueueNums).to.equal(8);
    target.setConsumerOffset('G', 'T', 1, 42);
    expect(target.consumerOffsets?.()).to.deep.equal([{ group: 'G', topic: 'T', queueId: 1, offset: 42 }]);
  });
});
