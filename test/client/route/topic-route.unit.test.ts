import { expect } from 'chai';
import { MqError } from '../../../src/common';
import {
  parseClusterInfo,
  parseTopicRouteData,
  publishQueues,
  subscribeQueues,
} from '../../../src/client/route/topic-route';

/** A route as a pre-4.9.4 name server writes it: fastjson with bare integer brokerId keys (ref §3.1). */
const FASTJSON_ROUTE =
  '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-b","cluster":"c1"},' +
  '{"brokerAddrs":{1:"10.0.0.4:10911"},"brokerName":"broker-c","cluster":"c1"},' +
  '{"brokerAddrs":{0:"10.0.0.3:10911"},"brokerName":"broker-a","cluster":"c1"}],' +
  '"filterServerTable":{},"queueDatas":[' +
  '{"brokerName":"broker-b","perm":6,"readQueueNums":2,"topicSynFlag":0,"writeQueueNums":3},' +
  '{"brokerName":"broker-c","perm":6,"readQueueNums":2,"topicSysFlag":0,"writeQueueNums":2},' +
  '{"brokerName":"broker-a","perm":4,"readQueueNums":1,"topicSysFlag":0,"writeQueueNums":1}]}';

describe('client/route/topic-route', () => {
  it('parses bare integer brokerId keys and the old topicSynFlag spelling', () => {
    const r = parseTopicRouteData(Buffer.from(FASTJSON_ROUTE));
    const b = r.brokerDatas.find((x) => x.brokerName === 'broker-b')!;
    expect(b.brokerAddrs[0]).to.equal('10.0.0.1:10911');
    expect(b.brokerAddrs[1]).to.equal('10.0.0.2:10911');
    expect(r.queueDatas).to.have.length(3);
    expect(r.queueDatas[0].writeQueueNums).to.equal(3);
  });

  it('parses standard JSON with quoted keys the same way', () => {
    const std = FASTJSON_ROUTE.replace(/\{(\d):/g, '{"$1":').replace(/,(\d):/g, ',"$1":');
    expect(parseTopicRouteData(std)).to.deep.equal(parseTopicRouteData(FASTJSON_ROUTE));
  });

  it('builds publish queues from writable QueueData with a master only, sorted by broker then queue', () => {
    const r = parseTopicRouteData(FASTJSON_ROUTE);
    // broker-a is read-only (perm 4); broker-c has no master (no id 0).
    expect(publishQueues('T', r).map((q) => `${q.brokerName}/${q.queueId}`)).to.deep.equal([
      'broker-b/0',
      'broker-b/1',
      'broker-b/2',
    ]);
    expect(publishQueues('T', r, 2)).to.have.length(2);
  });

  it('builds subscribe queues from every readable QueueData, master or not', () => {
    const r = parseTopicRouteData(FASTJSON_ROUTE);
    expect(subscribeQueues('T', r).map((q) => `${q.brokerName}/${q.queueId}`)).to.deep.equal([
      'broker-a/0',
      'broker-b/0',
      'broker-b/1',
      'broker-c/0',
      'broker-c/1',
    ]);
  });

  it('uses orderTopicConf for publish queues when present', () => {
    const r = parseTopicRouteData('{"brokerDatas":[],"queueDatas":[],"orderTopicConf":"b2:2;b1:1"}');
    expect(publishQueues('T', r).map((q) => `${q.brokerName}/${q.queueId}`)).to.deep.equal(['b1/0', 'b2/0', 'b2/1']);
  });

  it('parses ClusterInfo with bare keys', () => {
    const ci = parseClusterInfo(
      '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"1.1.1.1:10911"},"brokerName":"broker-a","cluster":"C"}},' +
        '"clusterAddrTable":{"C":["broker-b","broker-a"]}}',
    );
    expect(ci.brokerAddrTable['broker-a'].brokerAddrs[0]).to.equal('1.1.1.1:10911');
    expect(ci.clusterAddrTable.C).to.deep.equal(['broker-a', 'broker-b']);
  });

  it('rejects a body that is not JSON with a PROTOCOL error', () => {
    expect(() => parseTopicRouteData('not json')).to.throw(MqError, /topic route: body is not JSON/);
  });
});
