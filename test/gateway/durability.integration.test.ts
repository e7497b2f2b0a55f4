/**
 * What the gateway reports and writes back to the cluster: a SYNC_MASTER without a slave stores the message and
 * the SendResult says SLAVE_NOT_AVAILABLE (not an error); a group's committed offsets reach the broker
 * (UPDATE_CONSUMER_OFFSET, visible to RocketMQ tools) within offsetFlushIntervalMs; the gateway exports the group's
 * lag.
 */
import { expect } from 'chai';
import { sleep } from '../../src/common';
import { T } from '../../src/gateway';
import type { MqProcess } from '../helpers/proc';
import { scrape, startCluster, startGateway } from './cluster';
import type { TestCluster } from './cluster';
import { connect } from './thrift-client';
import type { TestClient } from './thrift-client';

describe('gateway: send status, offsets on the broker, lag (integration)', function () {
  this.timeout(60000);
  let cluster: TestCluster;
  let gw: MqProcess;
  let c: TestClient;

  before(async () => {
    cluster = await startCluster(['sync-a'], ['--brokerRole=SYNC_MASTER']);
    gw = await startGateway(cluster.namesrvAddr, ['--offsetFlushIntervalMs=200']);
    c = connect(Number(gw.fields.listenPort));
  });

  after(async () => {
    c?.close();
    await gw?.stop();
    await cluster?.stop();
  });

  it('a SYNC_MASTER without a slave: stored, with status SLAVE_NOT_AVAILABLE', async () => {
    const topic = await cluster.createTopic('GwSync', 1);
    const r = await c.send([new T.Message({ topic, body: Buffer.from('kept') })]);
    expect(r[0].error).to.equal(null);
    expect(r[0].status).to.equal(T.SendStatus.SLAVE_NOT_AVAILABLE);
    const got = await c.get({ topic, consumerGroup: 'sync_g', maxMessages: 5, waitMs: 1000 });
    expect(got.messages.map((m) => m.body.toString())).to.deep.equal(['kept']);
  });

  it('writes committed offsets to the broker and exports the lag per group', async () => {
    const topic = await cluster.createTopic('GwOffsets', 1);
    await c.send(Array.from({ length: 10 }, (_, i) => new T.Message({ topic, body: Buffer.from(`o${i}`) })));
    const got = await c.get({ topic, consumerGroup: 'offsets_g', maxMessages: 4, waitMs: 1000 });
    expect(got.messages).to.have.length(4);
    const q = { topic, brokerName: 'sync-a', queueId: 0 };
    let stored = -1;
    for (let i = 0; i < 50 && stored !== 4; i++) {
      await sleep(100);
      stored = await cluster.admin.queryConsumerOffset('offsets_g', q);
    }
    expect(stored).to.equal(4);
    let lag = '';
    for (let i = 0; i < 50 && lag === ''; i++) {
      const m = /mq_gateway_group_lag\{group="offsets_g",topic="([^"]+)"\} (\d+)/.exec(await scrape(gw));
      if (m && m[1] === topic) lag = m[2];
      else await sleep(100);
    }
    expect(lag).to.equal('6');
  });
});
