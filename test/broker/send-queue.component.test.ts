/**
 * Flow control as RocketMQ's fast failure (ref §6.1), over the wire with a slow in-memory store: each remark is
 * produced, each threshold is honoured, and thresholds changed with UPDATE_BROKER_CONFIG take effect at once.
 */
import { expect } from 'chai';
import { RemotingCommand, RequestCode, ResponseCode } from '../../src/remoting';
import { deferred } from '../../src/common';
import { uniqueName } from '../helpers/proc';
import pino from 'pino';
import type { BrokerStore } from '../../src/broker';
import { MessageStore } from '../../src/store';
import { tempDir } from '../helpers/proc';
import { createTopicRequest, sendRequest, startTestBroker } from './harness';

/** The real store behind a wrapper whose puts are delayed by `delay.ms` (a slow disk). */
function slowRealStore(real: MessageStore, delay: { ms: number }): BrokerStore {
  const wait = () => new Promise((r) => setTimeout(r, delay.ms));
  return {
    putMessage: async (m) => (await wait(), real.putMessage(m)),
    putMessages: async (b) => (await wait(), real.putMessages(b)),
    getMessage: (...a) => real.getMessage(...a),
    getMaxOffsetInQueue: (t, q) => real.getMaxOffsetInQueue(t, q),
    getMinOffsetInQueue: (t, q) => real.getMinOffsetInQueue(t, q),
    getOffsetInQueueByTime: (t, q, ts) => real.getOffsetInQueueByTime(t, q, ts),
    getEarliestMessageTime: (t, q) => real.getEarliestMessageTime(t, q),
    getMessageStoreTimeStamp: (t, q, o) => real.getMessageStoreTimeStamp(t, q, o),
    lookMessageByOffset: (o) => real.lookMessageByOffset(o),
    queryMessage: (...a) => real.queryMessage(...a),
    getMinPhyOffset: () => real.getMinPhyOffset(),
    getMaxPhyOffset: () => real.getMaxPhyOffset(),
    lockHoldMs: () => real.lockHoldMs(),
    isOSPageCacheBusy: () => real.isOSPageCacheBusy(),
    onArrival: (l) => real.onArrival(l),
    updateOptions: (p) => real.updateOptions(p),
  };
}
import type { TestBroker } from './harness';

describe('broker flow control (component, slow store)', function () {
  this.timeout(20000);
  let b: TestBroker;
  let topic: string;
  const call = (req: RemotingCommand) => b.client.invokeSync(b.addr, req, 30000);
  const send = (body = 'x') => call(sendRequest(topic, Buffer.from(body)));
  const updateConfig = (text: string) =>
    call(RemotingCommand.createRequest(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from(text)));
  const remarks = (rs: RemotingCommand[]) => rs.map((r) => (r.code === 0 ? 'OK' : `${r.code}:${(r.remark ?? '').replace(/\].*$/, ']')}`));

  async function start(overrides: Record<string, unknown>): Promise<void> {
    b = await startTestBroker(overrides);
    topic = uniqueName('FC');
    expect((await call(createTopicRequest(topic, 1))).code).to.equal(0);
  }
  afterEach(async () => b.stop());

  it('[REJECTREQUEST] while the commit-log lock is held longer than osPageCacheBusyTimeOutMills, and the threshold changes live', async () => {
    await start({});
    b.store.forcedLockHoldMs = 1500;
    const r = await send();
    expect(r.code).to.equal(ResponseCode.SYSTEM_BUSY);
    expect(r.remark).to.equal('[REJECTREQUEST]system busy, start flow control for a while');
    // 1500 ms is not busy once the threshold is 3000 ms.
    expect((await updateConfig('osPageCacheBusyTimeOutMills=3000')).code).to.equal(0);
    expect((await send()).code).to.equal(0);
    b.store.forcedLockHoldMs = 3500;
    expect((await send()).code).to.equal(ResponseCode.SYSTEM_BUSY);
  });

  it('[OVERLOAD] when sendThreadPoolQueueCapacity requests are waiting; capacity changes live', async () => {
    await start({ sendThreadPoolQueueCapacity: 2, sendMessageThreadPoolNums: 1, waitTimeMillsInSendQueue: 10000 });
    const gate = deferred<void>();
    b.store.gate = gate.promise;
    // 1 in flight + 2 queued; the other 3 are refused at once.
    const pending = [1, 2, 3, 4, 5, 6].map((i) => send(String(i)));
    const refused = await Promise.all(pending.slice(3));
    expect(remarks(refused)).to.deep.equal(['2:[OVERLOAD]', '2:[OVERLOAD]', '2:[OVERLOAD]']);
    expect(refused[0].remark).to.equal('[OVERLOAD]system busy, start flow control for a while');
    gate.resolve();
    b.store.gate = undefined;
    expect(remarks(await Promise.all(pending.slice(0, 3)))).to.deep.equal(['OK', 'OK', 'OK']);
    expect((await updateConfig('sendThreadPoolQueueCapacity=10')).code).to.equal(0);
    const gate2 = deferred<void>();
    b.store.gate = gate2.promise;
    const more = [1, 2, 3, 4, 5, 6].map((i) => send(String(i)));
    setTimeout(() => {
      b.store.gate = undefined;
      gate2.resolve();
    }, 100);
    expect(remarks(await Promise.all(more))).to.deep.equal(['OK', 'OK', 'OK', 'OK', 'OK', 'OK']);
  });

  it('[TIMEOUT_CLEAN_QUEUE] for requests that waited waitTimeMillsInSendQueue; a raised threshold lets them through', async () => {
    await start({ sendMessageThreadPoolNums: 1, waitTimeMillsInSendQueue: 100 });
    b.store.putDelayMs = 300;
    const rs = await Promise.all([1, 2, 3, 4].map((i) => send(String(i))));
    expect(rs[0].code).to.equal(0);
    for (const r of rs.slice(1)) {
      expect(r.code).to.equal(ResponseCode.SYSTEM_BUSY);
      expect(r.remark).to.match(
        /^\[TIMEOUT_CLEAN_QUEUE\]broker busy, start flow control for a while, period in queue: \d+ms, size of queue: \d+$/,
      );
    }
    expect((await updateConfig('waitTimeMillsInSendQueue=5000')).code).to.equal(0);
    b.store.putDelayMs = 100;
    expect(remarks(await Promise.all([1, 2, 3, 4].map((i) => send(String(i)))))).to.deep.equal(['OK', 'OK', 'OK', 'OK']);
  });

  it('[PCBUSY_CLEAN_QUEUE] drains queued sends when the page cache becomes busy', async () => {
    await start({ sendMessageThreadPoolNums: 1, waitTimeMillsInSendQueue: 10000 });
    const gate = deferred<void>();
    b.store.gate = gate.promise;
    const rs = [1, 2, 3].map((i) => send(String(i)));
    await new Promise((r) => setTimeout(r, 50));
    b.store.forcedLockHoldMs = 5000;
    const drained = await Promise.all(rs.slice(1));
    for (const r of drained) {
      expect(r.code).to.equal(ResponseCode.SYSTEM_BUSY);
      expect(r.remark).to.match(/^\[PCBUSY_CLEAN_QUEUE\]broker busy, start flow control for a while, period in queue: \d+ms, size of queue: \d+$/);
    }
    b.store.forcedLockHoldMs = -1;
    gate.resolve();
    b.store.gate = undefined;
    expect((await rs[0]).code).to.equal(0);
  });

  it('[PC_SYNCHRONIZED] when a dequeued send finds the page cache busy (fast failure switched off live)', async () => {
    await start({ sendMessageThreadPoolNums: 1, waitTimeMillsInSendQueue: 10000 });
    expect((await updateConfig('brokerFastFailureEnable=false')).code).to.equal(0);
    const gate = deferred<void>();
    b.store.gate = gate.promise;
    const rs = [1, 2].map((i) => send(String(i)));
    await new Promise((r) => setTimeout(r, 50));
    b.store.forcedLockHoldMs = 5000;
    await new Promise((r) => setTimeout(r, 50));
    gate.resolve();
    b.store.gate = undefined;
    const [first, second] = await Promise.all(rs);
    expect(first.code).to.equal(0);
    expect(second.code).to.equal(ResponseCode.SYSTEM_ERROR);
    expect(second.remark).to.equal('[PC_SYNCHRONIZED]broker busy, start flow control for a while');
  });

  it('with the real store behind a slow wrapper: [TIMEOUT_CLEAN_QUEUE], then every send stored once the threshold is raised', async () => {
    const tmp = tempDir('mq-slow-store-');
    const real = new MessageStore({ storePathRootDir: tmp.dir, mappedFileSizeCommitLog: 4 * 1024 * 1024 }, { logger: pino({ level: 'silent' }) });
    await real.load();
    await real.start();
    const delay = { ms: 250 };
    try {
      topic = uniqueName('FC');
      b = await startTestBroker({ sendMessageThreadPoolNums: 1, waitTimeMillsInSendQueue: 100 }, slowRealStore(real, delay));
      expect((await call(createTopicRequest(topic, 1))).code).to.equal(0);
      const rs = await Promise.all([1, 2, 3].map((i) => send(String(i))));
      expect(remarks(rs)).to.deep.equal(['OK', '2:[TIMEOUT_CLEAN_QUEUE]', '2:[TIMEOUT_CLEAN_QUEUE]']);
      expect((await updateConfig('waitTimeMillsInSendQueue=3000')).code).to.equal(0);
      delay.ms = 50;
      expect(remarks(await Promise.all([1, 2, 3].map((i) => send(String(i)))))).to.deep.equal(['OK', 'OK', 'OK']);
      expect(real.getMaxOffsetInQueue(topic, 0)).to.equal(4);
    } finally {
      await b.stop();
      await real.shutdown();
      tmp.cleanup();
    }
  });

  it('exports send-queue head wait, queue size, lock hold time and flow-control rejects as metrics', async () => {
    await start({ sendMessageThreadPoolNums: 1, waitTimeMillsInSendQueue: 10000 });
    const gate = deferred<void>();
    b.store.gate = gate.promise;
    const rs = [1, 2, 3].map((i) => send(String(i)));
    await new Promise((r) => setTimeout(r, 120));
    b.store.forcedLockHoldMs = 40;
    const text = await b.registry.metrics();
    expect(text).to.match(/mq_broker_send_queue_size 2/);
    const wait = Number(/mq_broker_send_queue_head_wait_ms (\d+)/.exec(text)![1]);
    expect(wait).to.be.at.least(100);
    expect(text).to.match(/mq_broker_commitlog_lock_hold_ms 40/);
    b.store.forcedLockHoldMs = -1;
    gate.resolve();
    b.store.gate = undefined;
    await Promise.all(rs);
    b.store.forcedLockHoldMs = 2000;
    await send();
    expect(await b.registry.metrics()).to.match(/mq_broker_flow_control_rejects_total\{reason="REJECTREQUEST"\} 1/);
  });
});
