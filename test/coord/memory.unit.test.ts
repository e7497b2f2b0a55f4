import { expect } from 'chai';
import { MemoryCoordinator } from '../../src/coord';
import { coordConformance } from './conformance';

describe('coord/memory: conformance', () => {
  // One gateway: every "replica" is the same in-process coordinator.
  const shared = new MemoryCoordinator();
  coordConformance({ open: async () => shared });
});

describe('coord/memory: groupStateTtlMs', () => {
  it('drops a group untouched for longer than the TTL', async () => {
    const c = new MemoryCoordinator({ groupStateTtlMs: 200 });
    const q = { group: 'g1', topic: 't', queueKey: 'broker-a:0' };
    await c.claim(q, { startOffsetIfNew: 0, minOffset: 0, maxOffset: 10, maxCount: 5, invisibleMs: 0, now: Date.now() });
    expect(await c.groups()).to.deep.equal(['g1']);
    await new Promise((r) => setTimeout(r, 350));
    expect(await c.groups()).to.deep.equal([]);
    expect(await c.inspect(q)).to.equal(null);
  });
});
