/**
 * Our client against real `mq namesrv` and `mq broker` processes: topic creation on the cluster's masters, a batch
 * with tags, keys, properties and a 5 MiB body sent and pulled back byte for byte, exact tag filtering, consumer
 * offsets, and a long-polling pull woken by a send.
 */
import { expect } from 'chai';
import pino from 'pino';
import { MqError, sleep } from '../../src/common';
import { MQClient } from '../../src/client';
import type { ProducerMessage, PulledMessage } from '../../src/client';
import { spawnMq, stopAll, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });

describe('client/MQClient against real name server and broker', function () {
  this.timeout(60000);
  let ns: MqProcess;
  let broker: MqProcess;
  let client: MQClient;
  const store = tempDir('mq-client-it-');

  before(async () => {
    ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1']);
    broker = await spawnMq(
      [
        'broker',
        '--brokerName=broker-it',
        `--storePathRootDir=${store.dir}`,
        `--namesrvAddr=127.0.0.1:${ns.fields.listenPort}`,
        '--listenPort=0',
        '--httpPort=-1',
        '--registerNameServerPeriod=1000',
        `--mappedFileSizeCommitLog=${64 * 1024 * 1024}`,
      ],
      { readyTimeoutMs: 20000 },
    );
    client = new MQClient({ namesrvAddr: `127.0.0.1:${ns.fields.listenPort}`, instanceName: 'client-it' }, { logger });
    await client.start();
  });

  after(async () => {
    await client?.shutdown();
    await broker?.stop();
    await ns?.stop();
    await stopAll();
    store.cleanup();
  });

  /** Creates a topic on the cluster and waits (bounded) until the name server routes it. */
  async function createTopic(queues: number): Promise<string> {
    const topic = uniqueName('ClientIT');
    const info = await client.getClusterInfo();
    const cluster = Object.keys(info.clusterAddrTable)[0];
    expect(await client.createTopic({ topic, clusterName: cluster, writeQueueNums: queues })).to.deep.equal(['broker-it']);
    for (let i = 0; i < 100; i++) {
      try {
        const r = await client.getRoute(topic);
        if (r.publishQueues.length === queues) return topic;
      } catch (err) {
        if (!MqError.is(err, 'TOPIC_NOT_FOUND')) throw err;
      }
      await sleep(100);
    }
    throw new Error(`route of ${topic} never appeared`);
  }

  /** Pulls one queue from `offset` until `count` messages arrived (bounded). */
  async function pullAll(topic: string, queueId: number, count: number, subscription = '*'): Promise<PulledMessage[]> {
    const out: PulledMessage[] = [];
    let offset = 0;
    for (let i = 0; i < 50 && out.length < count; i++) {
      const r = await client.pull({ consumerGroup: 'it-group', brokerName: 'broker-it', topic, queueId, offset, maxMsgNums: 32, subscription });
      out.push(...r.messages);
      offset = r.nextBeginOffset;
      if (r.status !== 'FOUND') await sleep(50);
    }
    return out;
  }

  it('sends a batch with tags, keys, properties and a 5 MiB body, and pulls it back byte for byte', async () => {
    const topic = await createTopic(1);
    const big = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    const msgs: ProducerMessage[] = [
      { body: Buffer.from('small-1'), tags: 'TagA', keys: ['k1', 'k2'], properties: { color: 'red' } },
      { body: big, tags: 'TagB', keys: ['big'] },
      { body: Buffer.from('small-3'), tags: 'TagA', properties: { n: '3' } },
    ];
    const results = await client.send(topic, msgs, { deadlineMs: 10000 });
    for (const r of results) expect(r.ok, r.ok ? '' : r.error.message).to.equal(true);
    const pulled = await pullAll(topic, 0, 3);
    expect(pulled).to.have.length(3);
    pulled.forEach((m, i) => {
      expect(m.body.equals(msgs[i].body)).to.equal(true);
      expect(m.tags).to.equal(msgs[i].tags);
      const r = results[i];
      if (!r.ok) throw r.error;
      expect(m.uniqId).to.equal(r.uniqId);
      expect(m.msgId).to.equal(r.msgId);
      expect(m.queueOffset).to.equal(r.queueOffset);
    });
    expect(pulled[0].keys).to.deep.equal(['k1', 'k2']);
    expect(pulled[0].properties.color).to.equal('red');
    expect(pulled[2].properties.n).to.equal('3');
    const onlyA = await pullAll(topic, 0, 2, 'TagA');
    expect(onlyA.map((m) => m.body.toString())).to.deep.equal(['small-1', 'small-3']);
  });

  it('stores and reads consumer offsets, and reports queue offsets', async () => {
    const topic = await createTopic(2);
    const q = { topic, brokerName: 'broker-it', queueId: 1 };
    // A fresh group on a queue whose first message is still in memory reads 0 (ref §2.3.3), not "none".
    expect(await client.queryConsumerOffset('it-offsets', q)).to.be.oneOf([-1, 0]);
    const [r] = await client.send(topic, [{ body: Buffer.from('x'), shardingKey: 'k' }, { body: Buffer.from('y'), shardingKey: 'k' }]);
    if (!r.ok) throw r.error;
    const used = { topic, brokerName: 'broker-it', queueId: r.queueId };
    expect(await client.getMaxOffset(used)).to.equal(2);
    await client.updateConsumerOffset('it-offsets', used, 1);
    expect(await client.queryConsumerOffset('it-offsets', used)).to.equal(1);
    expect(await client.getMinOffset(q)).to.equal(0);
  });

  it('returns a long-polling pull as soon as a message arrives', async () => {
    const topic = await createTopic(1);
    const pending = client.pull({
      consumerGroup: 'it-group',
      brokerName: 'broker-it',
      topic,
      queueId: 0,
      offset: 0,
      maxMsgNums: 32,
      suspendTimeoutMillis: 20000,
    });
    await sleep(200);
    const [r] = await client.send(topic, [{ body: Buffer.from('wake-up') }]);
    expect(r.ok).to.equal(true);
    const res = await pending;
    expect(res.status).to.equal('FOUND');
    expect(res.messages.map((m) => m.body.toString())).to.deep.equal(['wake-up']);
  });

  it('announces consumer groups by heartbeat and moves a message to %DLQ% with a send-back', async () => {
    const topic = await createTopic(1);
    const group = uniqueName('itg');
    client.registerConsumerGroup({ group, subscriptions: { [topic]: '*' } });
    expect(await client.sendHeartbeat()).to.have.length(1);
    const [r] = await client.send(topic, [{ body: Buffer.from('poison'), tags: 'P' }]);
    if (!r.ok) throw r.error;
    const [m] = await pullAll(topic, 0, 1);
    // delayLevel < 0 sends it straight to the dead-letter topic (ref §5.14).
    await client.consumerSendMsgBack({
      group,
      topic,
      brokerName: m.brokerName,
      physicalOffset: m.physicalOffset,
      msgId: m.msgId,
      delayLevel: -1,
    });
    const dlq = `%DLQ%${group}`;
    let found: PulledMessage | undefined;
    for (let i = 0; i < 100 && !found; i++) {
      try {
        const route = await client.getRoute(dlq);
        for (const q of route.subscribeQueues) {
          const res = await client.pull({ consumerGroup: group, brokerName: q.brokerName, topic: dlq, queueId: q.queueId, offset: 0, maxMsgNums: 1 });
          found ??= res.messages[0];
        }
      } catch (err) {
        if (!MqError.is(err, 'TOPIC_NOT_FOUND')) throw err;
      }
      if (!found) await sleep(100);
    }
    expect(found, 'message in the DLQ').to.not.equal(undefined);
    expect(found!.body.toString()).to.equal('poison');
    expect(found!.properties.RETRY_TOPIC).to.equal(topic);
  });
});
