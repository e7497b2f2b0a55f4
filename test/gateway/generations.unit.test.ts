/** taggedCoordinator: each cluster generation's queue states stay apart in one shared coordinator. */
import { expect } from 'chai';
import { MemoryCoordinator } from '../../src/coord';
import { taggedCoordinator } from '../../src/gateway/generations';

describe('gateway/generations: taggedCoordinator', () => {
  it('blue (plain keys) and green (tagged keys) with the same broker names never share a cursor', async () => {
    const base = new MemoryCoordinator({ groupStateTtlMs: 60000 });
    const blue = taggedCoordinator(base, '');
    const green = taggedCoordinator(base, 'gabc');
    const q = { group: 'g', topic: 'T', queueKey: 'broker-a:0' };
    await blue.seed(q, 100);
    await green.seed(q, 0);
    const req = { startOffsetIfNew: -1, minOffset: 0, maxOffset: 200, maxCount: 10, invisibleMs: 0, now: Date.now() };
    const lb = await blue.claim(q, req);
    const lg = await green.claim(q, req);
    expect([lb?.from, lb?.to]).to.deep.equal([100, 110]);
    expect([lg?.from, lg?.to]).to.deep.equal([0, 10]);
    const bo = await blue.committedOffsets('g');
    const go = await green.committedOffsets('g');
    expect(bo.map((c) => c.queueKey)).to.deep.equal(['broker-a:0']);
    expect(go.map((c) => c.queueKey)).to.deep.equal(['broker-a:0']);
    expect(bo[0].offset).to.equal(110);
    expect(go[0].offset).to.equal(10);
    // The shared coordinator holds both, under different keys.
    expect((await base.committedOffsets('g')).map((c) => c.queueKey).sort()).to.deep.equal(['broker-a:0', 'gabc#broker-a:0']);
    await base.close();
  });
});
