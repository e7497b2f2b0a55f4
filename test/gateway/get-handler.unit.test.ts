/**
 * GetHandler's acks: judged per receipt (GetResult.ackResults), never failing the call, and applied even when the
 * fetch part of the same call fails (here: every broker is down).
 */
import { expect } from 'chai';
import pino from 'pino';
import { MqError } from '../../src/common';
import type { MQClient, MessageQueue } from '../../src/client';
import { MemoryCoordinator } from '../../src/coord';
import { Authorizer, ReceiptSigner, T } from '../../src/gateway';
import { GetHandler } from '../../src/gateway/get-handler';
import { GroupReader } from '../../src/gateway/group-reader';
import { GatewayMetrics } from '../../src/gateway/metrics';

const logger = pino({ level: 'silent' });

describe('gateway GetHandler acks', () => {
  it('applies acks although the fetch fails, and judges each receipt on its own', async () => {
    const q: MessageQueue = { topic: 'T', brokerName: 'b', queueId: 0 };
    const down = async (): Promise<never> => {
      throw new MqError('UNAVAILABLE', 'broker b is down', { retriable: true });
    };
    const client = {
      subscribeQueues: async () => [q],
      registerConsumerGroup: () => undefined,
      pull: down,
      getMaxOffsetAnswer: down,
      queryConsumerOffsetAnswer: down,
      getMinOffsetAnswer: down,
    } as unknown as MQClient;
    const coord = new MemoryCoordinator();
    const ref = { group: 'g', topic: 'T', queueKey: 'b:0' };
    await coord.seed(ref, 0);
    const lease = (await coord.claim(ref, { startOffsetIfNew: -1, minOffset: 0, maxOffset: 10, maxCount: 3, invisibleMs: 60000, now: Date.now() }))!;
    const signer = new ReceiptSigner('s');
    const receipt = (offset: number, group = 'g', topic = 'T'): string =>
      signer.sign({ group, topic, queueKey: 'b:0', offset, lease: lease.lease, attempt: 1, deadline: lease.deadline });
    const reader = new GroupReader({ maxReconsumeTimes: 16, reclaimCheckIntervalMs: 0, pullTimeoutMs: 100 }, { client, coord, logger });
    const h = new GetHandler(
      { maxWaitMs: 30000, getMaxResponseBytes: 1 << 20 },
      { reader, coord, auth: Authorizer.disabled(), signer, metrics: new GatewayMetrics(), logger },
    );
    const req = new T.GetRequest({ topic: 'T', consumerGroup: 'g', maxMessages: 10, ack: [receipt(0), receipt(1, 'other'), receipt(2, 'g', 'U'), 'junk', receipt(0)] });
    const err = await h.get(req).then(
      () => null,
      (e: unknown) => e,
    );
    expect(MqError.is(err, 'UNAVAILABLE')).to.equal(true);
    // The fetch failed, the ack of offset 0 is applied anyway.
    expect((await coord.inspect(ref))?.committed).to.equal(1);
    const r = await h.get(new T.GetRequest({ topic: 'T', consumerGroup: 'g', maxMessages: 0, ack: [receipt(0), receipt(1), receipt(1, 'other')] }));
    expect(r.ackResults).to.deep.equal([T.AckStatus.ALREADY_ACKED, T.AckStatus.ACKED, T.AckStatus.INVALID]);
    expect(r.acked).to.equal(1);
  });
});
