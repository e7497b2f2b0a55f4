/**
 * The broker over the wire (one real listener, in-memory store): send, pull, tag filtering, offsets, heartbeats,
 * long polling, delay, retry and DLQ, batch, query/view, admin, and bad input that must get the documented code
 * and remark without hurting the broker.
 */
import { expect } from 'chai';
import fs from 'fs';
import path from 'path';
import { parseFastJson } from '../../src/common/fastjson';
import { createOffsetMsgId, decodeRecords, encodeBatchBody, encodeProperties } from '../../src/common/message';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/remoting';
import { encodeSendMessageHeaderV2 } from '../../src/remoting/header/send-message';
import { uniqueName } from '../helpers/proc';
import { createTopicRequest, pullRequest, sendRequest, startTestBroker } from './harness';
import type { TestBroker } from './harness';

for (const kind of ['memory', 'real'] as const) describe(`broker (component, ${kind} store)`, function () {
  this.timeout(20000);
  let b: TestBroker;
  const call = (req: RemotingCommand) => b.client.invokeSync(b.addr, req, 30000);

  beforeEach(async () => {
    b = await startTestBroker({ maxMessageSize: 256 * 1024 }, kind === 'real' ? 'real' : undefined);
  });
  afterEach(async () => b.stop());

  async function newTopic(queues = 4): Promise<string> {
    const t = uniqueName('T');
    const res = await call(createTopicRequest(t, queues));
    expect(res.code, res.remark).to.equal(ResponseCode.SUCCESS);
    return t;
  }

  it('stores a V2 send and returns it to a pull with the same msgId, body, tags and keys', async () => {
    const topic = await newTopic();
    const body = Buffer.from('hello broker');
    const res = await call(sendRequest(topic, body, { queueId: 1, tags: 'TagA', keys: 'k1 k2' }));
    expect(res.code, res.remark).to.equal(ResponseCode.SUCCESS);
    expect(res.extFields).to.include({ queueId: '1', queueOffset: '0', MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' });
    const pull = await call(pullRequest(topic, { queueId: 1 }));
    expect(pull.code).to.equal(ResponseCode.SUCCESS);
    expect(pull.extFields).to.include({ nextBeginOffset: '1', minOffset: '0', maxOffset: '1', suggestWhichBrokerId: '0' });
    const recs = decodeRecords(pull.body!);
    expect(recs).to.have.length(1);
    expect(createOffsetMsgId(recs[0].storeHost, recs[0].physicalOffset)).to.equal(res.extFields!.msgId);
    expect(recs[0].body.toString()).to.equal('hello broker');
    expect(recs[0].properties).to.include({ TAGS: 'TagA', KEYS: 'k1 k2', CLUSTER: 'DefaultCluster' });
  });

  it('filters by tag: "TagA || TagB" gets exactly the matching messages', async () => {
    const topic = await newTopic(1);
    for (const tag of ['TagA', 'TagC', 'TagB', 'TagC', 'TagA']) {
      expect((await call(sendRequest(topic, Buffer.from(tag), { tags: tag }))).code).to.equal(0);
    }
    const pull = await call(pullRequest(topic, { subscription: 'TagA || TagB' }));
    expect(pull.code).to.equal(ResponseCode.SUCCESS);
    expect(decodeRecords(pull.body!).map((r) => r.properties.TAGS)).to.deep.equal(['TagA', 'TagB', 'TagA']);
    expect(pull.extFields!.nextBeginOffset).to.equal('5');
  });

  it('auto-creates an unknown topic on send (TBW102 template) and accepts sends without a heartbeat', async () => {
    const topic = uniqueName('Auto');
    const res = await call(sendRequest(topic, Buffer.from('x')));
    expect(res.code, res.remark).to.equal(ResponseCode.SUCCESS);
    const all = await call(RemotingCommand.createRequest(RequestCode.GET_ALL_TOPIC_CONFIG));
    const table = JSON.parse(all.body!.toString()).topicConfigTable;
    expect(table[topic]).to.include({ readQueueNums: 4, writeQueueNums: 4, perm: 6 });
  });

  it('answers bad input with the documented code and remark and keeps serving', async () => {
    const topic = await newTopic(4);
    const wrongQueue = await call(sendRequest(topic, Buffer.from('x'), { queueId: 99 }));
    expect(wrongQueue.code).to.equal(ResponseCode.MESSAGE_ILLEGAL);
    expect(wrongQueue.remark).to.contain('queueId[99] is illegal');
    const big = await call(sendRequest(topic, Buffer.alloc(256 * 1024 + 1)));
    expect(big.code).to.equal(ResponseCode.MESSAGE_ILLEGAL);
    expect(big.remark).to.contain('262145').and.contain('maxMessageSize');
    const badTopic = await call(sendRequest('bad topic!', Buffer.from('x')));
    expect(badTopic.code).to.equal(ResponseCode.MESSAGE_ILLEGAL);
    expect(badTopic.remark).to.contain('illegal characters');
    const longTopic = await call(sendRequest('t'.repeat(128), Buffer.from('x')));
    expect(longTopic.code).to.equal(ResponseCode.MESSAGE_ILLEGAL);
    const sysTopic = await call(sendRequest('SCHEDULE_TOPIC_XXXX', Buffer.from('x')));
    expect(sysTopic.code).to.equal(ResponseCode.NO_PERMISSION);
    const missing = await call(RemotingCommand.createRequest(RequestCode.SEND_MESSAGE_V2, { a: 'PG' }, Buffer.from('x')));
    expect(missing.code).to.equal(ResponseCode.SYSTEM_ERROR);
    expect(missing.remark).to.contain('the custom field <b> is null');
    const unknown = await call(RemotingCommand.createRequest(9999));
    expect(unknown.code).to.equal(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(unknown.remark).to.equal(' request type 9999 not supported');
    expect((await call(sendRequest(topic, Buffer.from('ok')))).code).to.equal(0);
    const pastEnd = await call(pullRequest(topic, { offset: 50, sysFlag: 4 }));
    expect(pastEnd.code).to.equal(ResponseCode.PULL_OFFSET_MOVED);
    // RocketMQ's correction for an offset past the end: the min offset when it is 0 (else the max).
    expect(pastEnd.extFields!.nextBeginOffset).to.equal('0');
    const negative = await call(pullRequest(topic, { offset: -5, sysFlag: 4 }));
    expect(negative.code).to.equal(ResponseCode.PULL_OFFSET_MOVED);
    expect(negative.extFields).to.include({ nextBeginOffset: '0', minOffset: '0' });
    const badPullQueue = await call(pullRequest(topic, { queueId: 7 }));
    expect(badPullQueue.code).to.equal(ResponseCode.SYSTEM_ERROR);
    expect(badPullQueue.remark).to.contain('queueId[7] is illegal');
    const noTopic = await call(pullRequest(uniqueName('None')));
    expect(noTopic.code).to.equal(ResponseCode.TOPIC_NOT_EXIST);
    const badHeartbeat = await call(RemotingCommand.createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from('{nope')));
    expect(badHeartbeat.code).to.equal(ResponseCode.SYSTEM_ERROR);
    // Still serving.
    const pull = await call(pullRequest(topic, { sysFlag: 4 }));
    expect(pull.code).to.equal(ResponseCode.SUCCESS);
  });

  it('keeps consumer offsets: young-queue rule, -1 ignored, persisted across restart', async () => {
    const topic = await newTopic(2);
    const q = (group: string) =>
      call(RemotingCommand.createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId: 1 }));
    const upd = (offset: number) =>
      call(RemotingCommand.createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'G1', topic, queueId: 1, commitOffset: offset }));
    expect((await q('G1')).extFields!.offset).to.equal('0');
    expect((await upd(-1)).code).to.equal(0);
    expect((await upd(7)).code).to.equal(0);
    expect((await upd(-1)).code).to.equal(0);
    expect((await q('G1')).extFields!.offset).to.equal('7');
    // Pull with the commit flag stores the offset too.
    await call(pullRequest(topic, { group: 'G2', queueId: 1, sysFlag: 5, commitOffset: 3 }));
    expect((await q('G2')).extFields!.offset).to.equal('3');
    const dir = b.dir;
    await b.broker.shutdown();
    // fastjson form (ref §5.10): bare integer queue-id keys, so not plain JSON.parse.
    const saved = parseFastJson(fs.readFileSync(path.join(dir, 'config', 'consumerOffset.json'), 'utf8')) as {
      offsetTable: Record<string, unknown>;
    };
    expect(saved.offsetTable[`${topic}@G1`]).to.deep.equal({ 1: 7 });
    const again = await startTestBroker({ storePathRootDir: dir }, kind === 'real' ? 'real' : undefined);
    try {
      const res = await again.client.invokeSync(
        again.addr,
        RemotingCommand.createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'G1', topic, queueId: 1 }),
      );
      expect(res.extFields!.offset).to.equal('7');
    } finally {
      await again.client.close();
      await again.broker.shutdown();
    }
  });

  it('records heartbeats before replying, creates %RETRY%group, lists and unregisters consumers', async () => {
    const topic = await newTopic(1);
    const hb = {
      clientID: '127.0.0.1@1234',
      consumerDataSet: [
        {
          groupName: 'CGX',
          consumeType: 'CONSUME_PASSIVELY',
          messageModel: 'CLUSTERING',
          consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
          subscriptionDataSet: [{ topic, subString: 'TagA', classFilterMode: false, tagsSet: ['TagA'], codeSet: [2598919], subVersion: Date.now() + 3600_000 }],
          unitMode: false,
        },
      ],
      producerDataSet: [],
    };
    const res = await call(RemotingCommand.createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(JSON.stringify(hb))));
    expect(res.code).to.equal(0);
    const list = await call(RemotingCommand.createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'CGX' }));
    expect(JSON.parse(list.body!.toString())).to.deep.equal({ consumerIdList: ['127.0.0.1@1234'] });
    const all = JSON.parse((await call(RemotingCommand.createRequest(RequestCode.GET_ALL_TOPIC_CONFIG))).body!.toString());
    expect(all.topicConfigTable['%RETRY%CGX']).to.include({ readQueueNums: 1, writeQueueNums: 1 });
    // A pull without the subscription flag uses the heartbeat's subscription (TagA only).
    await call(sendRequest(topic, Buffer.from('b'), { tags: 'TagB' }));
    await call(sendRequest(topic, Buffer.from('a'), { tags: 'TagA' }));
    const pull = await call(pullRequest(topic, { group: 'CGX', sysFlag: 0 }));
    expect(decodeRecords(pull.body!).map((r) => r.properties.TAGS)).to.deep.equal(['TagA']);
    const noSub = await call(pullRequest(topic, { group: 'Nobody', sysFlag: 0 }));
    expect(noSub.code).to.equal(ResponseCode.SUBSCRIPTION_NOT_EXIST);
    await call(RemotingCommand.createRequest(RequestCode.UNREGISTER_CLIENT, { clientID: '127.0.0.1@1234', consumerGroup: 'CGX' }));
    const empty = await call(RemotingCommand.createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'CGX' }));
    expect(empty.code).to.equal(ResponseCode.SYSTEM_ERROR);
    expect(empty.remark).to.equal('no consumer for this group, CGX');
  });

  it('tells group members when the member list changes (NOTIFY_CONSUMER_IDS_CHANGED)', async () => {
    const topic = await newTopic(1);
    const notified: string[] = [];
    b.client.onRequest((req) => {
      if (req.code === RequestCode.NOTIFY_CONSUMER_IDS_CHANGED) notified.push(req.extFields!.consumerGroup);
      return null;
    });
    const hb = (clientID: string) => ({
      clientID,
      consumerDataSet: [
        { groupName: 'NG', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
          subscriptionDataSet: [{ topic, subString: '*', tagsSet: [], codeSet: [], subVersion: 1 }], unitMode: false },
      ],
      producerDataSet: [],
    });
    await call(RemotingCommand.createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(JSON.stringify(hb('c@1')))));
    const second = new RemotingClient();
    try {
      await second.invokeSync(b.addr, RemotingCommand.createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(JSON.stringify(hb('c@2')))));
      for (let i = 0; i < 100 && notified.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      // Once when c@1 joined, once when c@2 joined.
      expect(notified).to.deep.equal(['NG', 'NG']);
      const list = await call(RemotingCommand.createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'NG' }));
      expect(JSON.parse(list.body!.toString()).consumerIdList).to.have.members(['c@1', 'c@2']);
    } finally {
      await second.close();
    }
    // The second connection closed: its member is gone and the first one is told.
    for (let i = 0; i < 100 && notified.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(notified).to.have.length(3);
    const list = await call(RemotingCommand.createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'NG' }));
    expect(JSON.parse(list.body!.toString()).consumerIdList).to.deep.equal(['c@1']);
  });

  it('exports consumer lag per group and queue, put/get counts per topic', async () => {
    const topic = await newTopic(1);
    for (let i = 0; i < 3; i++) await call(sendRequest(topic, Buffer.from(`m${i}`)));
    await call(RemotingCommand.createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'LG', topic, queueId: 0, commitOffset: 1 }));
    await call(pullRequest(topic, { sysFlag: 4 }));
    let text = '';
    for (let i = 0; i < 50; i++) {
      text = await b.registry.metrics();
      if (new RegExp(`mq_broker_consumer_lag\\{group="LG",topic="${topic}",brokerName="[^"]+",queueId="0"\\} 2`).test(text)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(text).to.match(new RegExp(`mq_broker_consumer_lag\\{group="LG",topic="${topic}",brokerName="[^"]+",queueId="0"\\} 2`));
    expect(text).to.contain(`mq_broker_topic_put_messages_total{topic="${topic}"} 3`);
    expect(text).to.contain(`mq_broker_topic_get_messages_total{topic="${topic}"} 3`);
  });

  it('holds an empty pull and wakes it when a message arrives (long polling)', async () => {
    const topic = await newTopic(1);
    // Held for up to 60 s: only the arrival wake-up can answer it within the test timeout.
    const held = call(pullRequest(topic, { suspendMs: 60000 }));
    await new Promise((r) => setTimeout(r, 100));
    expect((await call(sendRequest(topic, Buffer.from('wake')))).code).to.equal(0);
    const res = await held;
    expect(res.code).to.equal(ResponseCode.SUCCESS);
    expect(decodeRecords(res.body!)[0].body.toString()).to.equal('wake');
  });

  it('answers a held pull with PULL_NOT_FOUND after its hold time, and an idle poller sends only a handful of pulls', async () => {
    const topic = await newTopic(1);
    let pulls = 0;
    const start = Date.now();
    while (Date.now() - start < 1500) {
      const res = await call(pullRequest(topic, { suspendMs: 500 }));
      pulls++;
      expect(res.code).to.equal(ResponseCode.PULL_NOT_FOUND);
      expect(res.extFields).to.include({ nextBeginOffset: '0' });
    }
    // 1.5 s of idle polling with 500 ms holds: about 3 pulls, never a busy loop.
    expect(pulls).to.be.at.most(5);
  });

  it('does not wake a held pull for a message its tag filter rejects', async () => {
    const topic = await newTopic(1);
    let answered = false;
    const held = call(pullRequest(topic, { suspendMs: 60000, subscription: 'TagA' })).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    await call(sendRequest(topic, Buffer.from('c'), { tags: 'TagC' }));
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).to.equal(false);
    await call(sendRequest(topic, Buffer.from('a'), { tags: 'TagA' }));
    const res = await held;
    expect(decodeRecords(res.body!).map((r) => r.properties.TAGS)).to.deep.equal(['TagA']);
  });

  it('delays a DELAY message through SCHEDULE_TOPIC_XXXX and delivers it to its topic', async () => {
    const topic = await newTopic(1);
    const res = await call(sendRequest(topic, Buffer.from('later'), { props: { DELAY: '1' } }));
    expect(res.code).to.equal(0);
    const max = await call(RemotingCommand.createRequest(RequestCode.GET_MAX_OFFSET, { topic, queueId: 0 }));
    expect(max.extFields!.offset).to.equal('0');
    const pull = await call(pullRequest(topic, { suspendMs: 15000 }));
    expect(pull.code).to.equal(ResponseCode.SUCCESS);
    const rec = decodeRecords(pull.body!)[0];
    expect(rec.body.toString()).to.equal('later');
    expect(rec.topic).to.equal(topic);
    expect(rec.properties.DELAY).to.equal(undefined);
    expect(rec.properties.REAL_TOPIC).to.equal(undefined);
    // Delivery progress is served to slaves (level 1 = queue 0 of SCHEDULE_TOPIC_XXXX, one message delivered).
    const delay = await call(RemotingCommand.createRequest(RequestCode.GET_ALL_DELAY_OFFSET));
    expect(JSON.parse(delay.body!.toString()).offsetTable).to.deep.equal({ 1: 1 });
  });

  it('sends a failed message back to %RETRY%group, then to %DLQ%group after maxReconsumeTimes', async () => {
    const topic = await newTopic(1);
    const sent = await call(sendRequest(topic, Buffer.from('fail me'), { tags: 'TagA', keys: 'K9' }));
    const first = decodeRecords((await call(pullRequest(topic))).body!)[0];
    const back = await call(
      RemotingCommand.createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
        offset: first.physicalOffset,
        group: 'RG',
        delayLevel: 0,
        originMsgId: sent.extFields!.msgId,
        originTopic: topic,
        unitMode: false,
        maxReconsumeTimes: 16,
      }),
    );
    expect(back.code, back.remark).to.equal(0);
    const retryPull = await call(pullRequest('%RETRY%RG', { suspendMs: 15000 }));
    expect(retryPull.code).to.equal(ResponseCode.SUCCESS);
    const retried = decodeRecords(retryPull.body!)[0];
    expect(retried.body.toString()).to.equal('fail me');
    expect(retried.reconsumeTimes).to.equal(1);
    expect(retried.properties).to.include({ RETRY_TOPIC: topic, ORIGIN_MESSAGE_ID: sent.extFields!.msgId, TAGS: 'TagA', KEYS: 'K9' });
    const dead = await call(
      RemotingCommand.createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
        offset: retried.physicalOffset,
        group: 'RG',
        delayLevel: 0,
        originMsgId: sent.extFields!.msgId,
        maxReconsumeTimes: 1,
      }),
    );
    expect(dead.code).to.equal(0);
    const dlq = await call(pullRequest('%DLQ%RG', { suspendMs: 15000 }));
    const d = decodeRecords(dlq.body!)[0];
    expect(d.topic).to.equal('%DLQ%RG');
    expect(d.properties).to.include({ RETRY_TOPIC: topic, ORIGIN_MESSAGE_ID: sent.extFields!.msgId });
    const lost = await call(RemotingCommand.createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, { offset: 999999999, group: 'RG', delayLevel: 0 }));
    expect(lost.code).to.equal(ResponseCode.SYSTEM_ERROR);
    expect(lost.remark).to.equal('look message by offset failed, 999999999');
  });

  it('stores a batch with consecutive offsets and comma-joined msgIds', async () => {
    const topic = await newTopic(1);
    const body = encodeBatchBody([1, 2, 3].map((i) => ({ body: Buffer.from(`m${i}`), properties: { KEYS: `bk${i}` } })));
    const h = encodeSendMessageHeaderV2({
      producerGroup: 'PG', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 0, sysFlag: 0,
      bornTimestamp: Date.now(), flag: 0, properties: encodeProperties({}), unitMode: false, batch: true,
    });
    const res = await call(RemotingCommand.createRequest(RequestCode.SEND_BATCH_MESSAGE, h, body));
    expect(res.code, res.remark).to.equal(0);
    expect(res.extFields!.msgId.split(',')).to.have.length(3);
    const recs = decodeRecords((await call(pullRequest(topic))).body!);
    expect(recs.map((r) => [r.queueOffset, r.body.toString()])).to.deep.equal([[0, 'm1'], [1, 'm2'], [2, 'm3']]);
  });

  it('finds messages by key (QUERY_MESSAGE) and by commit-log offset (VIEW_MESSAGE_BY_ID)', async () => {
    const topic = await newTopic(1);
    // The index is built by the dispatcher, just after the put is acknowledged: allow it a moment (bounded).
    const query = async (key: string, unique: boolean): Promise<RemotingCommand> => {
      let res = RemotingCommand.createResponse(-1);
      for (let i = 0; i < 50 && res.code !== 0; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 20));
        res = await call(
          RemotingCommand.createRequest(RequestCode.QUERY_MESSAGE, {
            topic, key, maxNum: 10, beginTimestamp: 0, endTimestamp: Date.now() + 1000, _UNIQUE_KEY_QUERY: unique,
          }),
        );
      }
      return res;
    };
    await call(sendRequest(topic, Buffer.from('keyed'), { keys: 'order-42' }));
    const q = await query('order-42', false);
    expect(q.code).to.equal(0);
    const rec = decodeRecords(q.body!)[0];
    expect(rec.body.toString()).to.equal('keyed');
    const uniq = 'C0A80001000012AB0000000000000042';
    await call(sendRequest(topic, Buffer.from('unique'), { props: { UNIQ_KEY: uniq } }));
    const u = await query(uniq, true);
    expect(u.code, u.remark).to.equal(0);
    expect(decodeRecords(u.body!).map((r) => r.body.toString())).to.deep.equal(['unique']);
    const view = await call(RemotingCommand.createRequest(RequestCode.VIEW_MESSAGE_BY_ID, { offset: rec.physicalOffset }));
    expect(decodeRecords(view.body!)[0].body.toString()).to.equal('keyed');
    const none = await call(
      RemotingCommand.createRequest(RequestCode.QUERY_MESSAGE, { topic, key: 'nope', maxNum: 10, beginTimestamp: 0, endTimestamp: Date.now() }),
    );
    expect(none.code).to.equal(ResponseCode.QUERY_NOT_FOUND);
  });

  it('serves admin: broker config, runtime info, topic deletion, refusing non-live config keys', async () => {
    const topic = await newTopic(2);
    const cfg = await call(RemotingCommand.createRequest(RequestCode.GET_BROKER_CONFIG));
    expect(cfg.body!.toString()).to.contain('waitTimeMillsInSendQueue=200');
    const bad = await call(RemotingCommand.createRequest(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from('listenPort=1\n')));
    expect(bad.code).to.equal(ResponseCode.SYSTEM_ERROR);
    expect(bad.remark).to.contain('listenPort cannot be changed while running');
    // Draining: a read-only broker refuses sends but still serves pulls.
    expect((await call(RemotingCommand.createRequest(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from('brokerPermission=4\n')))).code).to.equal(0);
    const refused = await call(sendRequest(topic, Buffer.from('x')));
    expect(refused.code).to.equal(ResponseCode.NO_PERMISSION);
    expect(refused.remark).to.equal('the broker[broker-a] sending message is forbidden');
    expect((await call(pullRequest(topic, { sysFlag: 4 }))).code).to.equal(ResponseCode.PULL_NOT_FOUND);
    await call(RemotingCommand.createRequest(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from('brokerPermission=6\n')));
    const info = await call(RemotingCommand.createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
    expect(JSON.parse(info.body!.toString()).table).to.include({ brokerName: 'broker-a' });
    expect((await call(RemotingCommand.createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { topic }))).code).to.equal(0);
    expect((await call(pullRequest(topic))).code).to.equal(ResponseCode.TOPIC_NOT_EXIST);
    const sys = await call(createTopicRequest('SCHEDULE_TOPIC_XXXX'));
    expect(sys.code).to.equal(ResponseCode.SYSTEM_ERROR);
  });

  it('a SLAVE rejects sends with SERVICE_NOT_AVAILABLE', async () => {
    const slave = await startTestBroker({ brokerRole: 'SLAVE', brokerId: 1 }, kind === 'real' ? 'real' : undefined);
    try {
      const res = await slave.client.invokeSync(slave.addr, sendRequest('TBW102', Buffer.from('x')));
      expect(res.code).to.equal(ResponseCode.SERVICE_NOT_AVAILABLE);
    } finally {
      await slave.stop();
    }
  });
});
