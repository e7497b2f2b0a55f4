import { expect } from 'chai';
import { FaultTracker } from '../../../src/client/producer/fault-tracker';
import { QueueSelector, selectShardQueue } from '../../../src/client/producer/queue-selector';
import type { MessageQueue } from '../../../src/client/route/topic-route';

function queues(spec: Record<string, number>): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const [b, n] of Object.entries(spec)) for (let q = 0; q < n; q++) out.push({ topic: 'T', brokerName: b, queueId: q });
  return out;
}

describe('client/producer/queue-selector', () => {
  it('round-robins over every writable queue of every broker set', () => {
    const qs = queues({ a: 2, b: 2 });
    const sel = new QueueSelector(new FaultTracker(1000));
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const q = sel.next('T', qs, new Set(), 0)!;
      const k = `${q.brokerName}/${q.queueId}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    expect([...seen.values()]).to.deep.equal([10, 10, 10, 10]);
  });

  it('skips broker sets already tried by this call, and returns nothing when all were tried', () => {
    const qs = queues({ a: 2, b: 2 });
    const sel = new QueueSelector(new FaultTracker(1000));
    for (let i = 0; i < 10; i++) expect(sel.next('T', qs, new Set(['a']), 0)!.brokerName).to.equal('b');
    expect(sel.next('T', qs, new Set(['a', 'b']), 0)).to.equal(undefined);
  });

  it('avoids a broker set that failed recently, until faultAvoidanceMs has passed', () => {
    const qs = queues({ a: 2, b: 2 });
    const faults = new FaultTracker(1000);
    const sel = new QueueSelector(faults);
    faults.markFailed('a', 100);
    for (let i = 0; i < 10; i++) expect(sel.next('T', qs, new Set(), 500)!.brokerName).to.equal('b');
    // Every set avoided: the one whose avoidance ends first is used rather than nothing.
    faults.markFailed('b', 200);
    expect(sel.next('T', qs, new Set(), 500)!.brokerName).to.equal('a');
    // After the window both are used again.
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) names.add(sel.next('T', qs, new Set(), 1300)!.brokerName);
    expect([...names].sort()).to.deep.equal(['a', 'b']);
  });

  it('maps a sharding key to the same queue every time, and spreads different keys', () => {
    const qs = queues({ a: 4, b: 4 });
    const first = selectShardQueue(qs, 'order-42')!;
    for (let i = 0; i < 20; i++) expect(selectShardQueue([...qs], 'order-42')).to.deep.equal(first);
    const used = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const q = selectShardQueue(qs, `key-${i}`)!;
      used.add(`${q.brokerName}/${q.queueId}`);
    }
    expect(used.size).to.equal(8);
  });

  describe('sharding keys: rendezvous hashing over (brokerName, queueId)', () => {
    const KEYS = Array.from({ length: 20000 }, (_, i) => `order-${i}`);
    const where = (qs: MessageQueue[]): string[] =>
      KEYS.map((k) => {
        const q = selectShardQueue(qs, k)!;
        return `${q.brokerName}/${q.queueId}`;
      });

    it('adding a broker set moves only keys onto it, about 1/(sets+1) of them', () => {
      const before = where(queues({ a: 8, b: 8, c: 8 }));
      const after = where(queues({ a: 8, b: 8, c: 8, d: 8 }));
      const moved = KEYS.filter((_, i) => before[i] !== after[i]).length;
      const movedElsewhere = KEYS.filter((_, i) => before[i] !== after[i] && !after[i].startsWith('d/')).length;
      expect(movedElsewhere, 'keys moved between the old sets').to.equal(0);
      // Expected 1/4 = 5000 of 20000; allow the spread of a hash.
      expect(moved / KEYS.length).to.be.within(0.23, 0.27);
    });

    it('losing a broker set moves exactly the keys it had, and keeps every other key on its queue', () => {
      const before = where(queues({ a: 8, b: 8, c: 8, d: 8 }));
      const after = where(queues({ a: 8, c: 8, d: 8 }));
      const onB = before.filter((w) => w.startsWith('b/')).length;
      const moved = KEYS.filter((_, i) => before[i] !== after[i]).length;
      expect(moved).to.equal(onB);
      expect(onB / KEYS.length).to.be.within(0.23, 0.27);
      for (const [i, w] of before.entries()) if (!w.startsWith('b/')) expect(after[i]).to.equal(w);
    });

    it('a broker set changing its queue count moves only keys to or from the queues added or removed', () => {
      const before = where(queues({ a: 8, b: 8 }));
      const after = where(queues({ a: 8, b: 12 }));
      for (const [i, w] of before.entries()) {
        if (w !== after[i]) expect(['b/8', 'b/9', 'b/10', 'b/11']).to.include(after[i]);
      }
    });

    it('gives the same queue for the same route whatever the queue order, and spreads keys evenly', () => {
      const qs = queues({ a: 4, b: 4, c: 4 });
      const shuffled = [...qs].reverse();
      const counts = new Map<string, number>();
      for (const k of KEYS) {
        const q = selectShardQueue(qs, k)!;
        expect(selectShardQueue(shuffled, k)).to.deep.equal(q);
        const w = `${q.brokerName}/${q.queueId}`;
        counts.set(w, (counts.get(w) ?? 0) + 1);
      }
      expect(counts.size).to.equal(12);
      // 20000 / 12 = 1667 per queue on average.
      for (const n of counts.values()) expect(n).to.be.within(1450, 1900);
    });
  });
});
