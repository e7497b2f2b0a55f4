/** taggedCoordinator and the generation identity rules: each cluster generation's queue states stay apart. */
import { expect } from 'chai';
import { MemoryCoordinator } from '../../src/coord';
import { matchGeneration, tagFor, taggedCoordinator } from '../../src/gateway/generations';
import type { GenerationRecord } from '../../src/gateway/generations';

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

  it('an operator reset made on a later generation moves that generation’s cursor, not the other one’s', async () => {
    const base = new MemoryCoordinator({ groupStateTtlMs: 60000 });
    const blue = taggedCoordinator(base, '');
    const green = taggedCoordinator(base, 'gabc');
    const q = { group: 'g', topic: 'T', queueKey: 'broker-a:0' };
    await blue.seed(q, 50);
    await green.seed(q, 40);
    await green.resetOffsets('g', 'T', [{ brokerName: 'broker-a', queueId: 0, offset: 5 }]);
    expect((await green.inspect(q))?.cursor, 'green cursor after its reset').to.equal(5);
    expect((await blue.inspect(q))?.cursor, 'blue cursor untouched').to.equal(50);
    await blue.resetOffsets('g', 'T', [{ brokerName: 'broker-a', queueId: 0, offset: 7 }]);
    expect((await blue.inspect(q))?.cursor).to.equal(7);
    expect((await green.inspect(q))?.cursor).to.equal(5);
    await base.close();
  });
});

describe('gateway/generations: identity', () => {
  const blue: GenerationRecord = { id: 1, tag: '', nameServers: ['10.0.0.1:9876', '10.0.0.2:9876'], brokers: ['10.0.1.1:10911'], openedAt: 1 };
  const green: GenerationRecord = { id: 2, tag: 'g1234abcd', nameServers: ['10.1.0.1:9876'], brokers: ['10.1.1.1:10911'], openedAt: 2 };

  it('a cluster is the newest registered generation sharing a name server or a broker address with it', () => {
    expect(matchGeneration([blue, green], ['10.0.0.2:9876'], [])?.id).to.equal(1);
    expect(matchGeneration([blue, green], ['10.9.9.9:9876'], ['10.1.1.1:10911'])?.id, 'name servers replaced, same brokers').to.equal(2);
    expect(matchGeneration([blue, green], ['10.9.9.9:9876'], ['10.9.1.1:10911']), 'another cluster').to.equal(undefined);
  });

  it('tags: plain keys for the first cluster, then a hash of the sorted name servers (the same on every replica)', () => {
    expect(tagFor([], ['b:1', 'a:1'])).to.equal('');
    const t1 = tagFor([blue], ['b:1', 'a:1']);
    expect(t1).to.match(/^g[0-9a-f]{8}$/);
    expect(tagFor([blue, green], ['a:1', 'b:1'])).to.equal(t1);
    expect(tagFor([blue], ['c:1'])).to.not.equal(t1);
  });
});
