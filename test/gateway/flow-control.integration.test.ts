/**
 * Broker flow control reaches Thrift clients as BUSY: two broker sets with tiny thresholds
 * (sendThreadPoolQueueCapacity=1, one put at a time, waitTimeMillsInSendQueue=1 ms) are kept saturated by a
 * direct producer; a gateway send is tried on one broker set, retried on the other, and only when both answered
 * SYSTEM_BUSY fails with BUSY, retryable, with retryAfterMs, naming both broker sets.
 */
import { expect } from 'chai';
import pino from 'pino';
import { MQClient } from '../../src/client';
import { T } from '../../src/gateway';
import type { MqProcess } from '../helpers/proc';
import { uniqueName } from '../helpers/proc';
import { startCluster, startGateway } from './cluster';
import type { TestCluster } from './cluster';
import { connect } from './thrift-client';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });

describe('gateway: broker flow control becomes BUSY (integration)', function () {
  this.timeout(90000);
  let cluster: TestCluster;
  let gw: MqProcess;
  let flood: MQClient;

  before(async () => {
    cluster = await startCluster(
      ['fc-a', 'fc-b'],
      ['--sendThreadPoolQueueCapacity=1', '--sendMessageThreadPoolNums=1', '--waitTimeMillsInSendQueue=1', '--flushDiskType=SYNC_FLUSH'],
    );
    gw = await startGateway(cluster.namesrvAddr, ['--busyRetryAfterMs=1234', '--sendTimeoutMs=3000']);
    flood = new MQClient({ namesrvAddr: cluster.namesrvAddr, instanceName: uniqueName('flood'), faultAvoidanceMs: 0, retryTimesWhenSendFailed: 0 }, { logger });
    await flood.start();
  });

  after(async () => {
    await flood?.shutdown();
    await gw?.stop();
    await cluster?.stop();
  });

  it('answers BUSY with retryAfterMs after trying every broker set', async () => {
    const topic = await cluster.createTopic('GwBusy', 2);
    const c = connect(Number(gw.fields.listenPort));
    let stop = false;
    const body = Buffer.alloc(512 * 1024, 5);
    // Saturate both broker sets' send queues (refusals are expected and ignored).
    const flooders = Array.from({ length: 24 }, async () => {
      while (!stop) await flood.send(topic, [{ body }], { deadlineMs: 2000 }).catch(() => undefined);
    });
    let busy: T.GatewayError | undefined;
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < 40 && !busy; i++) {
        await c.send([new T.Message({ topic, body: Buffer.from(`probe-${i}`) })]).then(
          (r) => outcomes.push(r[0].error ? `msg:${T.ErrorCode[r[0].error.code]}` : 'OK'),
          (e: T.GatewayError) => {
            outcomes.push(T.ErrorCode[e.code]);
            if (e.code === T.ErrorCode.BUSY) busy = e;
          },
        );
      }
    } finally {
      stop = true;
      await Promise.all(flooders);
      c.close();
    }
    expect(busy, `no BUSY in ${outcomes.join(',')}`).to.not.equal(undefined);
    const e = busy as T.GatewayError;
    expect([e.retryable, e.retryAfterMs]).to.deep.equal([true, 1234]);
    expect(e.message).to.match(/SYSTEM_BUSY/);
    expect(e.message).to.include('fc-a');
    expect(e.message).to.include('fc-b');
  });
});
