/** RouteInfoManager: the pure route tables (ref §7.1, §7.2, §3.2, §3.3). Time is passed in, never read. */
import { expect } from 'chai';
import type { TopicConfig } from '../../src/remoting';
import { RouteInfoManager } from '../../src/namesrv/route-info-manager';
import type { RegisterBrokerInput } from '../../src/namesrv/route-info-manager';

function topic(name: string, queues = 4, perm = 6): TopicConfig {
  return { topicName: name, readQueueNums: queues, writeQueueNums: queues, perm, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
}

function master(extra: Partial<RegisterBrokerInput> = {}): RegisterBrokerInput {
  return {
    clusterName: 'DefaultCluster',
    brokerName: 'broker-a',
    brokerAddr: '10.0.0.1:10911',
    brokerId: 0,
    haServerAddr: '10.0.0.1:10912',
    topicConfigTable: { TopicTest: topic('TopicTest') },
    dataVersion: { timestamp: 1000, counter: 1 },
    ...extra,
  };
}

function slave(extra: Partial<RegisterBrokerInput> = {}): RegisterBrokerInput {
  return master({ brokerAddr: '10.0.0.2:10911', brokerId: 1, haServerAddr: '10.0.0.2:10912', ...extra });
}

describe('namesrv/RouteInfoManager', () => {
  it('builds a route from a master registration (ref §3.2 shape)', () => {
    const m = new RouteInfoManager();
    expect(m.registerBroker(master(), 0)).to.deep.equal({ newBroker: true });
    expect(m.pickupTopicRouteData('TopicTest')).to.deep.equal({
      brokerDatas: [{ brokerAddrs: { '0': '10.0.0.1:10911' }, brokerName: 'broker-a', cluster: 'DefaultCluster' }],
      filterServerTable: {},
      queueDatas: [{ brokerName: 'broker-a', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 }],
    });
    expect(m.pickupTopicRouteData('Nope')).to.equal(undefined);
    expect(m.liveBrokerCount()).to.equal(1);
  });

  it('returns the live master\'s HA and main address to a registering slave, and ignores slave topic tables', () => {
    const m = new RouteInfoManager();
    // A slave before its master: nothing to return.
    expect(m.registerBroker(slave(), 0)).to.deep.equal({ newBroker: true });
    m.registerBroker(master(), 0);
    expect(m.registerBroker(slave({ topicConfigTable: { SlaveOnly: topic('SlaveOnly') } }), 1)).to.deep.equal({
      newBroker: false,
      haServerAddr: '10.0.0.1:10912',
      masterAddr: '10.0.0.1:10911',
    });
    expect(m.pickupTopicRouteData('SlaveOnly')).to.equal(undefined);
    expect(m.pickupTopicRouteData('TopicTest')?.brokerDatas[0].brokerAddrs).to.deep.equal({ '0': '10.0.0.1:10911', '1': '10.0.0.2:10911' });
  });

  it('applies a master\'s topic table only on first registration or a changed DataVersion (ref §3.3)', () => {
    const m = new RouteInfoManager();
    m.registerBroker(master(), 0);
    m.operateWritePermOfBroker('broker-a', 'wipe');
    // Same version: the wiped permission stays (ref §7.3 planned maintenance).
    m.registerBroker(master({ topicConfigTable: { TopicTest: topic('TopicTest'), New: topic('New') } }), 10);
    expect(m.pickupTopicRouteData('TopicTest')?.queueDatas[0].perm).to.equal(4);
    expect(m.pickupTopicRouteData('New')).to.equal(undefined);
    // New version: the table is applied again.
    m.registerBroker(master({ topicConfigTable: { TopicTest: topic('TopicTest'), New: topic('New', 8) }, dataVersion: { timestamp: 2000, counter: 2 } }), 20);
    expect(m.pickupTopicRouteData('TopicTest')?.queueDatas[0].perm).to.equal(6);
    expect(m.pickupTopicRouteData('New')?.queueDatas[0].writeQueueNums).to.equal(8);
  });

  it('wipes and restores write permission, counting the topics touched', () => {
    const m = new RouteInfoManager();
    m.registerBroker(master({ topicConfigTable: { A: topic('A'), B: topic('B', 2, 7) } }), 0);
    expect(m.operateWritePermOfBroker('broker-a', 'wipe')).to.equal(2);
    expect(m.pickupTopicRouteData('A')?.queueDatas[0].perm).to.equal(4);
    expect(m.pickupTopicRouteData('B')?.queueDatas[0].perm).to.equal(5);
    expect(m.operateWritePermOfBroker('broker-a', 'add')).to.equal(2);
    expect(m.pickupTopicRouteData('B')?.queueDatas[0].perm).to.equal(6);
    expect(m.operateWritePermOfBroker('nobody', 'wipe')).to.equal(0);
  });

  it('expires silent brokers with the time passed in; the name and topics go with the last address (ref §7.2)', () => {
    const m = new RouteInfoManager();
    m.registerBroker(master(), 0);
    m.registerBroker(slave(), 50_000);
    expect(m.scanNotActiveBroker(120_000, 120_000)).to.deep.equal([]);
    const gone = m.scanNotActiveBroker(120_001, 120_000);
    expect(gone.map((r) => r.brokerAddr)).to.deep.equal(['10.0.0.1:10911']);
    // The master is gone; the slave keeps the broker set and its queue data alive (ref §7.3).
    const route = m.pickupTopicRouteData('TopicTest');
    expect(route?.brokerDatas[0].brokerAddrs).to.deep.equal({ '1': '10.0.0.2:10911' });
    expect(route?.queueDatas).to.have.length(1);
    m.scanNotActiveBroker(170_001, 120_000);
    expect(m.pickupTopicRouteData('TopicTest')).to.equal(undefined);
    expect(m.getAllClusterInfo()).to.deep.equal({ brokerAddrTable: {}, clusterAddrTable: {} });
    expect(m.getAllTopicList()).to.deep.equal([]);
  });

  it('drops the broker registered over a channel when that channel is destroyed, and only that one', () => {
    const m = new RouteInfoManager();
    const chA = { id: 'a' };
    const chB = { id: 'b' };
    m.registerBroker(master({ channel: chA }), 0);
    m.registerBroker(master({ brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911', channel: chB }), 0);
    expect(m.onChannelDestroy({ id: 'other' }, '10.9.9.9:5555')).to.deep.equal([]);
    expect(m.onChannelDestroy(chA).map((r) => r.brokerAddr)).to.deep.equal(['10.0.0.1:10911']);
    expect(m.pickupTopicRouteData('TopicTest')?.brokerDatas.map((b) => b.brokerName)).to.deep.equal(['broker-b']);
    // A re-registration over a new connection is not undone by the old connection closing late.
    const chA2 = { id: 'a2' };
    m.registerBroker(master({ channel: chA2 }), 1);
    expect(m.onChannelDestroy(chA)).to.deep.equal([]);
    expect(m.liveBrokerCount()).to.equal(2);
  });

  it('unregisters one address; an address re-registering under a new id replaces its old id', () => {
    const m = new RouteInfoManager();
    m.registerBroker(master(), 0);
    m.registerBroker(slave(), 0);
    m.unregisterBroker('DefaultCluster', '10.0.0.1:10911', 'broker-a', 0);
    expect(m.pickupTopicRouteData('TopicTest')?.brokerDatas[0].brokerAddrs).to.deep.equal({ '1': '10.0.0.2:10911' });
    // The slave is promoted: same address, id 0.
    m.registerBroker(slave({ brokerId: 0 }), 1);
    expect(m.pickupTopicRouteData('TopicTest')?.brokerDatas[0].brokerAddrs).to.deep.equal({ '0': '10.0.0.2:10911' });
    m.unregisterBroker('DefaultCluster', '10.0.0.2:10911', 'broker-a', 0);
    expect(m.getAllClusterInfo().clusterAddrTable).to.deep.equal({});
    expect(m.pickupTopicRouteData('TopicTest')).to.equal(undefined);
  });

  it('lists topics, topics by cluster, cluster info, and deletes topics whole or per cluster', () => {
    const m = new RouteInfoManager();
    m.registerBroker(master({ topicConfigTable: { A: topic('A'), S: topic('S') } }), 0);
    m.registerBroker(master({ clusterName: 'Other', brokerName: 'broker-x', brokerAddr: '10.0.1.1:10911', topicConfigTable: { X: topic('X'), S: topic('S') } }), 0);
    expect(m.getAllTopicList().sort()).to.deep.equal(['A', 'S', 'X']);
    expect(m.getTopicsByCluster('Other').sort()).to.deep.equal(['S', 'X']);
    expect(m.getTopicsByCluster('Nope')).to.deep.equal([]);
    expect(m.getAllClusterInfo()).to.deep.equal({
      brokerAddrTable: {
        'broker-a': { brokerAddrs: { '0': '10.0.0.1:10911' }, brokerName: 'broker-a', cluster: 'DefaultCluster' },
        'broker-x': { brokerAddrs: { '0': '10.0.1.1:10911' }, brokerName: 'broker-x', cluster: 'Other' },
      },
      clusterAddrTable: { DefaultCluster: ['broker-a'], Other: ['broker-x'] },
    });
    m.deleteTopic('S', 'Other');
    expect(m.pickupTopicRouteData('S')?.queueDatas.map((q) => q.brokerName)).to.deep.equal(['broker-a']);
    m.deleteTopic('S');
    expect(m.pickupTopicRouteData('S')).to.equal(undefined);
  });

  it('tracks DataVersion changes and refreshes liveness on an unchanged version', () => {
    const m = new RouteInfoManager();
    m.registerBroker(master(), 0);
    expect(m.isBrokerTopicConfigChanged('10.0.0.1:10911', { timestamp: 1000, counter: 1 })).to.equal(false);
    expect(m.isBrokerTopicConfigChanged('10.0.0.1:10911', { timestamp: 1000, counter: 2 })).to.equal(true);
    expect(m.isBrokerTopicConfigChanged('10.9.9.9:1', { timestamp: 1000, counter: 1 })).to.equal(true);
    m.updateBrokerInfoUpdateTimestamp('10.0.0.1:10911', 100_000);
    expect(m.scanNotActiveBroker(200_000, 120_000)).to.deep.equal([]);
    expect(m.brokerLiveInfo('10.0.0.1:10911')?.lastUpdateTimestamp).to.equal(100_000);
  });
});
