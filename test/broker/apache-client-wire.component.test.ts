/**
 * Wire behaviour Apache RocketMQ's own Java clients depend on and ali-ons never exercises, found by the interop suite
 * (test/interop): each case is the request a 4.9.8 or 5.x client really sends.
 */
import { expect } from 'chai';
import { decodeRecords, encodeBatchBody, encodeProperties } from '../../src/common/message';
import { RemotingCommand, RequestCode, ResponseCode } from '../../src/remoting';
import { encodeSendMessageHeaderV2 } from '../../src/remoting/header/send-message';
import { uniqueName } from '../helpers/proc';
import { createTopicRequest, pullRequest, sendRequest, startTestBroker } from './harness';
import type { TestBroker } from './harness';

describe('broker: requests of Apache RocketMQ clients (component)', function () {
  this.timeout(20000);
  let b: TestBroker;
  const call = (req: RemotingCommand) => b.client.invokeSync(b.addr, req, 30000);

  beforeEach(async () => {
    b = await startTestBroker({});
  });
  afterEach(async () => b.stop());

  it('answers LITE_PULL_MESSAGE (361, a 5.x DefaultLitePullConsumer) exactly like PULL_MESSAGE', async () => {
    const topic = uniqueName('T');
    expect((await call(createTopicRequest(topic, 1))).code).to.equal(ResponseCode.SUCCESS);
    expect((await call(sendRequest(topic, Buffer.from('lite'), { queueId: 0, tags: 'L' }))).code).to.equal(ResponseCode.SUCCESS);
    // 5.x lite pull: sysFlag = FLAG_LITE_PULL_MESSAGE (0x10) | subscription (0x04), no suspend
    const req = pullRequest(topic, { queueId: 0, sysFlag: 0x14, suspendMs: 0 });
    req.code = 361;
    const res = await call(req);
    expect(res.code, res.remark).to.equal(ResponseCode.SUCCESS);
    expect(res.extFields).to.include({ nextBeginOffset: '1', maxOffset: '1' });
    expect(decodeRecords(res.body!).map((r) => r.body.toString())).to.deep.equal(['lite']);
  });

  it('keeps each batched message\'s own UNIQ_KEY although a 5.x client gives the batch one too', async () => {
    // 5.x DefaultMQProducer.batch() sets UNIQ_KEY on every inner message and on the MessageBatch itself, which
    // travels in the header's properties. Appending it to each message (Apache 5.3.3 does, fixed upstream later)
    // gives every message of the batch the same id: query by id, dedup by id and SendResult ids then disagree.
    const topic = uniqueName('T');
    expect((await call(createTopicRequest(topic, 1))).code).to.equal(ResponseCode.SUCCESS);
    const own = ['A1', 'A2', 'A3'].map((s) => `7F000001000000000000000000${s}00AA`.slice(0, 32));
    const body = encodeBatchBody(own.map((id, i) => ({ body: Buffer.from(`m${i}`), properties: { UNIQ_KEY: id, KEYS: `k${i}`, WAIT: 'true' } })));
    const h = encodeSendMessageHeaderV2({
      producerGroup: 'PG', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 0, sysFlag: 0,
      bornTimestamp: Date.now(), flag: 0, properties: encodeProperties({ WAIT: 'true', UNIQ_KEY: 'BATCH000000000000000000000000000' }),
      unitMode: false, batch: true,
    });
    const res = await call(RemotingCommand.createRequest(RequestCode.SEND_BATCH_MESSAGE, h, body));
    expect(res.code, res.remark).to.equal(ResponseCode.SUCCESS);
    const raw = (await call(pullRequest(topic, { queueId: 0 }))).body!;
    const recs = decodeRecords(raw);
    expect(recs.map((r) => r.properties.UNIQ_KEY)).to.deep.equal(own);
    expect(recs.map((r) => r.properties.KEYS)).to.deep.equal(['k0', 'k1', 'k2']);
    // the stored properties string holds one UNIQ_KEY per record, so every decoder (first or last wins) agrees
    expect(raw.toString('latin1').split('UNIQ_KEY\u0001').length - 1).to.equal(3);
    expect(recs.every((r) => r.properties.CLUSTER === 'DefaultCluster')).to.equal(true);
  });

  it('answers GET_TOPIC_CONFIG (351, 5.x mqadmin topicStatus / consumerProgress) with the topic config, or TOPIC_NOT_EXIST', async () => {
    const topic = uniqueName('T');
    expect((await call(createTopicRequest(topic, 3))).code).to.equal(ResponseCode.SUCCESS);
    // 5.x MQClientAPIImpl.getTopicConfig: header topic + lo=true, body = TopicConfigAndQueueMapping JSON
    const res = await call(RemotingCommand.createRequest(351, { topic, lo: true }));
    expect(res.code, res.remark).to.equal(ResponseCode.SUCCESS);
    const body = JSON.parse(res.body!.toString('utf8'));
    expect(body).to.include({ topicName: topic, readQueueNums: 3, writeQueueNums: 3, perm: 6, topicFilterType: 'SINGLE_TAG', order: false });
    // no static-topic mapping: the admin tool then reads the topic the classic way
    expect(body.mappingDetail ?? null).to.equal(null);
    const missing = await call(RemotingCommand.createRequest(351, { topic: 'NoSuchTopic_' + topic, lo: true }));
    expect(missing.code).to.equal(ResponseCode.TOPIC_NOT_EXIST);
  });
});
