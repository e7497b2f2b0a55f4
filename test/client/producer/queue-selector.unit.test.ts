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
});
