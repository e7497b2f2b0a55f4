/** RebalanceLockManager: orderly consumers' queue locks (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ). */
import { expect } from 'chai';
import { LOCK_MAX_LIVE_MS, RebalanceLockManager } from '../../src/broker';
import { decodeLockBody } from '../../src/broker/rebalance-lock-manager';

describe('RebalanceLockManager (unit)', () => {
  const q = (queueId: number) => ({ brokerName: 'b', topic: 'T', queueId });

  it('gives a queue to one client at a time, renews it, and frees it on unlock or expiry', () => {
    let now = 1000;
    const m = new RebalanceLockManager(() => now);
    expect(m.tryLockBatch('G', [q(0), q(1)], 'c1')).to.deep.equal([q(0), q(1)]);
    expect(m.tryLockBatch('G', [q(1), q(2)], 'c2')).to.deep.equal([q(2)]);
    expect(m.tryLockBatch('G', [q(1)], 'c1')).to.deep.equal([q(1)]);
    expect(m.tryLockBatch('Other', [q(1)], 'c2')).to.deep.equal([q(1)]);
    m.unlockBatch('G', [q(0)], 'c2'); // not c2's: stays
    expect(m.tryLockBatch('G', [q(0)], 'c2')).to.deep.equal([]);
    m.unlockBatch('G', [q(0)], 'c1');
    expect(m.tryLockBatch('G', [q(0)], 'c2')).to.deep.equal([q(0)]);
    now += LOCK_MAX_LIVE_MS + 1;
    expect(m.tryLockBatch('G', [q(1)], 'c2')).to.deep.equal([q(1)]);
  });

  it('decodes lock bodies and rejects incomplete ones', () => {
    const b = decodeLockBody(Buffer.from('{"consumerGroup":"G","clientId":"c","mqSet":[{"brokerName":"b","queueId":3,"topic":"T"}]}'));
    expect(b.mqSet).to.deep.equal([q(3)]);
    expect(() => decodeLockBody(Buffer.from('{"clientId":"c"}'))).to.throw(/needs consumerGroup/);
    expect(() => decodeLockBody(Buffer.from('nope'))).to.throw(/not JSON/);
  });
});
