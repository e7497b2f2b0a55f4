/**
 * The one behaviour every coordination backend must have. Backend test files call {@link coordConformance} with a
 * factory; each `open()` returns a coordinator that shares state with the others (for Redis: a new connection,
 * standing for another gateway replica). Every test uses its own group name, so backends need no reset between tests.
 */
import { expect } from 'chai';
import { MqError } from '../../src/common';
import { isNoState } from '../../src/coord';
import type { ClaimRequest, Coordinator, Lease, OffsetRange, QueueRef } from '../../src/coord';
import { uniqueName } from '../helpers/proc';

export interface BackendFactory {
  /** A coordinator sharing state with every other one opened by this factory. */
  open(): Promise<Coordinator>;
}

const T0 = 1_700_000_000_000;

function claimReq(over: Partial<ClaimRequest> = {}): ClaimRequest {
  return { startOffsetIfNew: 0, minOffset: 0, maxOffset: 100, maxCount: 10, invisibleMs: 0, now: T0, ...over };
}

/** Every offset a lease holds, expanded. */
function offsetsOf(l: Lease): number[] {
  return l.offsets.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
}

export function coordConformance(factory: BackendFactory): void {
  let c: Coordinator;
  let q: QueueRef;

  beforeEach(async () => {
    c = await factory.open();
    q = { group: uniqueName('G'), topic: uniqueName('T'), queueKey: 'broker-a:0' };
  });

  describe('claims (auto-ack)', () => {
    it('starts a new group at startOffsetIfNew and hands out consecutive ranges up to maxOffset', async () => {
      const a = await c.claim(q, claimReq({ startOffsetIfNew: 5, maxOffset: 20, maxCount: 10 }));
      const b = await c.claim(q, claimReq({ startOffsetIfNew: 0, maxOffset: 20, maxCount: 10 }));
      const none = await c.claim(q, claimReq({ maxOffset: 20, maxCount: 10 }));
      expect([a?.from, a?.to, b?.from, b?.to]).to.deep.equal([5, 15, 15, 20]);
      expect(a?.lease).to.equal(0);
      expect(none).to.equal(null);
      // Auto-ack: everything claimed is committed at once.
      expect((await c.inspect(q))?.committed).to.equal(20);
    });

    it('gives a released tail to the next claimer first and holds the committed offset at the hole', async () => {
      const a = (await c.claim(q, claimReq({ maxCount: 10 })))!;
      const b = (await c.claim(q, claimReq({ maxCount: 10 })))!;
      // The first reader got only 4 messages (e.g. the broker returned fewer): offsets 4..9 go back.
      expect(await c.trim(q, a, 4, [0, 1, 2, 3])).to.equal('OK');
      expect((await c.inspect(q))?.committed).to.equal(4);
      const again = (await c.claim(q, claimReq({ maxCount: 100 })))!;
      expect([again.from, again.to]).to.deep.equal([4, 10]);
      expect((await c.inspect(q))?.committed).to.equal(20);
      expect(b.from).to.equal(10);
    });

    it('lowers the cursor when the released tail is the newest claim', async () => {
      const a = (await c.claim(q, claimReq({ maxCount: 10 })))!;
      await c.trim(q, a, 3, [0, 1, 2]);
      const snap = await c.inspect(q);
      expect(snap).to.deep.include({ cursor: 3, committed: 3 });
      expect(snap?.free).to.deep.equal([]);
    });

    it('skips offsets below the broker min offset (retention)', async () => {
      await c.claim(q, claimReq({ maxCount: 5 }));
      const l = await c.claim(q, claimReq({ minOffset: 40, maxCount: 5 }));
      expect([l?.from, l?.to]).to.deep.equal([40, 45]);
    });

    it('claims nothing when maxCount is 0 or the queue is drained, and never beyond maxOffset', async () => {
      expect(await c.claim(q, claimReq({ maxCount: 0 }))).to.equal(null);
      expect(await c.claim(q, claimReq({ maxOffset: 0 }))).to.equal(null);
      const l = await c.claim(q, claimReq({ maxOffset: 3, maxCount: 1024 }));
      expect([l?.from, l?.to]).to.deep.equal([0, 3]);
    });
  });

  describe('leases (at-least-once)', () => {
    it('keeps the committed offset at the lowest unacked offset until everything is acked', async () => {
      const l = (await c.claim(q, claimReq({ maxCount: 5, invisibleMs: 30000 })))!;
      expect(l.lease).to.be.greaterThan(0);
      expect(l.deadline).to.equal(T0 + 30000);
      expect(l.attempt).to.equal(1);
      expect((await c.inspect(q))?.committed).to.equal(0);
      let r = await c.ack(q, [1, 3].map((offset) => ({ lease: l.lease, offset })));
      expect(r.statuses).to.deep.equal(['OK', 'OK']);
      expect(r.committed).to.equal(0);
      r = await c.ack(q, [0, 2].map((offset) => ({ lease: l.lease, offset })));
      expect(r.committed).to.equal(4);
      r = await c.ack(q, [{ lease: l.lease, offset: 4 }]);
      expect(r.committed).to.equal(5);
      expect((await c.inspect(q))?.inflight).to.equal(0);
    });

    it('rejects stale, forged and duplicate receipts without moving the committed offset', async () => {
      const l = (await c.claim(q, claimReq({ maxCount: 5, invisibleMs: 30000 })))!;
      await c.trim(q, l, 5, [0, 1, 2, 3, 4]);
      await c.ack(q, [{ lease: l.lease, offset: 2 }]);
      const r = await c.ack(q, [
        { lease: l.lease + 1000, offset: 0 },
        { lease: l.lease, offset: 50 },
        { lease: l.lease, offset: 2 },
      ]);
      expect(r.statuses).to.deep.equal(['STALE', 'STALE', 'ALREADY_ACKED']);
      expect(r.committed).to.equal(0);
      // All or nothing: one stale receipt keeps the valid one from being applied.
      const r2 = await c.ack(q, [{ lease: l.lease, offset: 0 }, { lease: 999999, offset: 1 }], { allOrNothing: true });
      expect(r2.applied).to.equal(false);
      expect(r2.statuses).to.deep.equal(['OK', 'STALE']);
      expect((await c.inspect(q))?.committed).to.equal(0);
      // An ack on a queue the group never touched is stale too.
      const other = { ...q, queueKey: 'broker-z:9' };
      expect((await c.ack(other, [{ lease: 1, offset: 0 }])).statuses).to.deep.equal(['STALE']);
      expect(await c.inspect(other)).to.equal(null);
    });

    it('treats read-but-undelivered offsets as done and releases the unread tail', async () => {
      const l = (await c.claim(q, claimReq({ maxCount: 10, invisibleMs: 30000 })))!;
      // Read up to 6; offsets 1 and 4 did not match the tag filter.
      expect(await c.trim(q, l, 6, [0, 2, 3, 5])).to.equal('OK');
      // The released tail was the newest claim, so the cursor went back to 6 and the next claim starts there.
      const tail = (await c.claim(q, claimReq({ maxCount: 4, invisibleMs: 30000 })))!;
      expect([tail.from, tail.to]).to.deep.equal([6, 10]);
      const r = await c.ack(q, [0, 2, 3, 5].map((offset) => ({ lease: l.lease, offset })));
      expect(r.statuses).to.deep.equal(['OK', 'OK', 'OK', 'OK']);
      expect(r.committed).to.equal(6);
      // A lease whose every offset was filtered out holds nothing.
      const l2 = (await c.claim(q, claimReq({ maxCount: 3, maxOffset: 13, invisibleMs: 30000 })))!;
      await c.trim(q, l2, 13, []);
      expect(await c.ack(q, [{ lease: l2.lease, offset: 10 }])).to.deep.include({ statuses: ['STALE'] });
    });

    it('redelivers only unacked offsets after the deadline, with attempt + 1 and a new lease', async () => {
      const l = (await c.claim(q, claimReq({ maxCount: 4, invisibleMs: 1000 })))!;
      await c.trim(q, l, 4, [0, 1, 2, 3]);
      await c.ack(q, [{ lease: l.lease, offset: 1 }]);
      expect(await c.reclaimExpired(q, { now: T0 + 999, invisibleMs: 1000, maxCount: 100 })).to.deep.equal([]);
      const [re, ...more] = await c.reclaimExpired(q, { now: T0 + 1000, invisibleMs: 5000, maxCount: 100 });
      expect(more).to.deep.equal([]);
      expect(offsetsOf(re)).to.deep.equal([0, 2, 3]);
      expect(re.attempt).to.equal(2);
      expect(re.deadline).to.equal(T0 + 6000);
      expect(re.lease).to.not.equal(l.lease);
      // The old receipts are stale now; the new ones work.
      const stale = await c.ack(q, [{ lease: l.lease, offset: 0 }]);
      expect(stale.statuses).to.deep.equal(['STALE']);
      expect(stale.committed).to.equal(0);
      const ok = await c.ack(q, [0, 2, 3].map((offset) => ({ lease: re.lease, offset })));
      expect(ok.statuses).to.deep.equal(['OK', 'OK', 'OK']);
      expect(ok.committed).to.equal(4);
    });

    it('splits an expired lease larger than maxCount, leaving the rest expired under the old lease', async () => {
      const l = (await c.claim(q, claimReq({ maxCount: 10, invisibleMs: 1000 })))!;
      const [a] = await c.reclaimExpired(q, { now: T0 + 2000, invisibleMs: 1000, maxCount: 4 });
      expect([a.from, a.to, a.attempt]).to.deep.equal([0, 4, 2]);
      // Old receipts for the part not re-claimed are still valid.
      expect((await c.ack(q, [{ lease: l.lease, offset: 9 }])).statuses).to.deep.equal(['OK']);
      expect((await c.ack(q, [{ lease: l.lease, offset: 0 }])).statuses).to.deep.equal(['STALE']);
      const [b] = await c.reclaimExpired(q, { now: T0 + 2000, invisibleMs: 1000, maxCount: 100 });
      expect(offsetsOf(b)).to.deep.equal([4, 5, 6, 7, 8]);
    });

    it('reports STALE when trimming a lease that was re-claimed meanwhile, and changes nothing', async () => {
      const l = (await c.claim(q, claimReq({ maxCount: 5, invisibleMs: 1000 })))!;
      const [re] = await c.reclaimExpired(q, { now: T0 + 5000, invisibleMs: 1000, maxCount: 100 });
      expect(await c.trim(q, l, 2, [0, 1])).to.equal('STALE');
      expect(offsetsOf(re)).to.deep.equal([0, 1, 2, 3, 4]);
      expect((await c.inspect(q))?.free).to.deep.equal([]);
    });
  });

  describe('seeding and snapshots', () => {
    it('seeds a new group from the broker offset, and never overwrites existing state', async () => {
      expect(await c.seed(q, 42)).to.equal(42);
      expect(await c.seed(q, 7)).to.equal(42);
      const l = await c.claim(q, claimReq({ startOffsetIfNew: 0, maxCount: 3 }));
      expect(l?.from).to.equal(42);
    });

    it('lists the committed offset of every queue of a group, and the group itself', async () => {
      const q2 = { ...q, queueKey: 'broker-b:3' };
      await c.claim(q, claimReq({ maxCount: 7 }));
      await c.claim(q2, claimReq({ startOffsetIfNew: 10, maxCount: 5, invisibleMs: 1000 }));
      const offs = (await c.committedOffsets(q.group)).sort((x, y) => x.queueKey.localeCompare(y.queueKey));
      expect(offs).to.deep.equal([
        { topic: q.topic, queueKey: 'broker-a:0', offset: 7, logId: '' },
        { topic: q.topic, queueKey: 'broker-b:3', offset: 10, logId: '' },
      ]);
      expect(await c.groups()).to.include(q.group);
      expect(await c.committedOffsets(uniqueName('none'))).to.deep.equal([]);
    });

    it('rejects an empty group with INVALID_ARGUMENT', async () => {
      const err = await c.claim({ ...q, group: '' }, claimReq()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(MqError.is(err, 'INVALID_ARGUMENT')).to.equal(true);
    });
  });


  describe('rules of issue 9', () => {
    const rejection = (p: Promise<unknown>): Promise<unknown> =>
      p.then(
        () => null,
        (e: unknown) => e,
      );

    it('with startOffsetIfNew -1 a claim never creates state: it rejects NO_STATE until seed', async () => {
      const err = await rejection(c.claim(q, claimReq({ startOffsetIfNew: -1 })));
      expect(isNoState(err)).to.equal(true);
      expect(await c.inspect(q)).to.equal(null);
      await c.seed(q, 30);
      const l = await c.claim(q, claimReq({ startOffsetIfNew: -1, maxCount: 2 }));
      expect([l?.from, l?.to]).to.deep.equal([30, 32]);
    });

    it('ties the state to a log: another logId is NO_STATE, seed with it replaces the state and ends old leases', async () => {
      await c.seed(q, 0, { logId: 'blue' });
      const l = (await c.claim(q, claimReq({ startOffsetIfNew: -1, logId: 'blue', maxCount: 50, invisibleMs: 30000 })))!;
      expect(l.from).to.equal(0);
      expect(isNoState(await rejection(c.claim(q, claimReq({ startOffsetIfNew: -1, logId: 'green' }))))).to.equal(true);
      // Seeding with the same log keeps the state.
      expect(await c.seed(q, 7, { logId: 'blue' })).to.equal(0);
      expect(await c.seed(q, 3, { logId: 'green' })).to.equal(3);
      expect(await c.inspect(q)).to.deep.include({ cursor: 3, inflight: 0, logId: 'green' });
      const g = (await c.claim(q, claimReq({ startOffsetIfNew: -1, logId: 'green', maxCount: 5, invisibleMs: 30000 })))!;
      expect([g.from, g.to]).to.deep.equal([3, 8]);
      expect(g.lease).to.be.greaterThan(l.lease);
      // Receipts of the old log's lease match nothing now.
      expect((await c.ack(q, [{ lease: l.lease, offset: 4 }])).statuses).to.deep.equal(['STALE']);
      // A claim without logId (an old broker) uses whatever state there is.
      expect((await c.claim(q, claimReq({ startOffsetIfNew: -1, maxCount: 1 })))?.from).to.equal(8);
      // A state created without a log adopts the first one named.
      const q2 = { ...q, queueKey: 'broker-b:1' };
      await c.seed(q2, 0);
      await c.claim(q2, claimReq({ startOffsetIfNew: -1, logId: 'x', maxCount: 1 }));
      expect((await c.inspect(q2))?.logId).to.equal('x');
    });

    it('rewinds only a state whose cursor is above the given max offset', async () => {
      await c.claim(q, claimReq({ maxCount: 40 }));
      expect(isNoState(await rejection(c.claim(q, claimReq({ startOffsetIfNew: -1, rewindAbove: 39 }))))).to.equal(true);
      expect(await c.claim(q, claimReq({ startOffsetIfNew: -1, rewindAbove: 40, maxOffset: 40 }))).to.equal(null);
      expect(await c.seed(q, 0, { replaceIfCursorAbove: 50 })).to.equal(40);
      expect(await c.seed(q, 5, { replaceIfCursorAbove: 10 })).to.equal(5);
      expect((await c.inspect(q))?.cursor).to.equal(5);
    });

    it('raises the floor only to minOffset and counts what it skipped', async () => {
      await c.seed(q, 10);
      const l = (await c.claim(q, claimReq({ minOffset: 25, maxCount: 5 })))!;
      expect([l.from, l.to, l.expired]).to.deep.equal([25, 30, 15]);
      const m = (await c.claim(q, claimReq({ minOffset: 25, maxCount: 5 })))!;
      expect(m.expired).to.equal(0);
    });

    it('answers ALREADY_ACKED for a repeated ack of the last receipt of a lease, and STALE after a re-claim', async () => {
      const l = (await c.claim(q, claimReq({ maxCount: 2, invisibleMs: 30000 })))!;
      await c.trim(q, l, 2, [0, 1]);
      expect((await c.ack(q, [{ lease: l.lease, offset: 0 }, { lease: l.lease, offset: 1 }])).statuses).to.deep.equal(['OK', 'OK']);
      const again = await c.ack(q, [{ lease: l.lease, offset: 1 }, { lease: l.lease, offset: 0 }]);
      expect(again.statuses).to.deep.equal(['ALREADY_ACKED', 'ALREADY_ACKED']);
      expect(again.committed).to.equal(2);
      const m = (await c.claim(q, claimReq({ maxCount: 2, invisibleMs: 1000 })))!;
      const [re] = await c.reclaimExpired(q, { now: T0 + 5000, invisibleMs: 1000, maxCount: 10 });
      const mixed = await c.ack(q, [
        { lease: m.lease, offset: 2 },
        { lease: re.lease, offset: 2 },
        { lease: re.lease, offset: 2 },
      ]);
      expect(mixed.statuses).to.deep.equal(['STALE', 'OK', 'ALREADY_ACKED']);
    });

    it('keeps the attempt of a redelivery that was read only in part, and redelivers the rest first', async () => {
      const l = (await c.claim(q, claimReq({ maxCount: 6, invisibleMs: 1000 })))!;
      await c.trim(q, l, 6, [0, 1, 2, 3, 4, 5]);
      const [re] = await c.reclaimExpired(q, { now: T0 + 2000, invisibleMs: 1000, maxCount: 10 });
      expect(re.attempt).to.equal(2);
      // Only two fitted into the reply.
      expect(await c.trim(q, re, 2, [0, 1])).to.equal('OK');
      const [rest] = await c.reclaimExpired(q, { now: T0 + 2001, invisibleMs: 1000, maxCount: 10 });
      expect(offsetsOf(rest)).to.deep.equal([2, 3, 4, 5]);
      expect(rest.attempt).to.equal(2);
      // Nothing went back to the free list: a new claim starts past the lease.
      expect((await c.claim(q, claimReq({ maxCount: 1 })))?.from).to.equal(6);
    });

    it('keeps the tag expression of a lease for its redeliveries', async () => {
      await c.claim(q, claimReq({ maxCount: 4, invisibleMs: 1000, subscription: 'A || B' }));
      const [re] = await c.reclaimExpired(q, { now: T0 + 2000, invisibleMs: 1000, maxCount: 10 });
      expect(re.subscription).to.equal('A || B');
      const auto = (await c.claim(q, claimReq({ maxCount: 1 })))!;
      expect(auto.subscription).to.equal('*');
    });

    it('orderly: no new claim while a lease of the queue is in flight; the head comes back first', async () => {
      const a = (await c.claim(q, claimReq({ maxCount: 3, invisibleMs: 1000, orderly: true })))!;
      expect(await c.claim(q, claimReq({ maxCount: 3, invisibleMs: 1000, orderly: true }))).to.equal(null);
      // Not orderly: another consumer could take newer offsets (the caller chose so).
      await c.ack(q, [0, 1].map((offset) => ({ lease: a.lease, offset })));
      expect(await c.claim(q, claimReq({ maxCount: 3, invisibleMs: 1000, orderly: true, now: T0 + 500 }))).to.equal(null);
      const [head] = await c.reclaimExpired(q, { now: T0 + 1000, invisibleMs: 1000, maxCount: 10 });
      expect(offsetsOf(head)).to.deep.equal([2]);
      await c.ack(q, [{ lease: head.lease, offset: 2 }]);
      const b = (await c.claim(q, claimReq({ maxCount: 3, invisibleMs: 1000, orderly: true })))!;
      expect([b.from, b.to]).to.deep.equal([3, 6]);
    });

    it('resetOffsets drops the leases of the queues and sets their cursors; later claims start there', async () => {
      const l = (await c.claim(q, claimReq({ maxCount: 10, invisibleMs: 30000 })))!;
      const [brokerName, queueId] = q.queueKey.split(':');
      const q5 = { ...q, queueKey: 'broker-b:5' };
      await c.resetOffsets(q.group, q.topic, [
        { brokerName, queueId: Number(queueId), offset: 3 },
        { brokerName: 'broker-b', queueId: 5, offset: 70 },
      ]);
      expect(await c.inspect(q)).to.deep.include({ cursor: 3, committed: 3, inflight: 0 });
      expect((await c.ack(q, [{ lease: l.lease, offset: 5 }])).statuses).to.deep.equal(['STALE']);
      expect((await c.claim(q, claimReq({ maxCount: 2 })))?.from).to.equal(3);
      expect((await c.claim(q5, claimReq({ startOffsetIfNew: -1, maxCount: 2 })))?.from).to.equal(70);
      expect((await c.committedOffsets(q.group)).map((o) => o.queueKey).sort()).to.deep.equal(['broker-a:0', 'broker-b:5']);
    });

    it('deleteGroup removes every bit of state of the group, and only of that group', async () => {
      const other = { ...q, group: uniqueName('G') };
      await c.claim(q, claimReq({ maxCount: 10, invisibleMs: 30000 }));
      await c.claim({ ...q, queueKey: 'broker-b:2' }, claimReq({ maxCount: 1 }));
      await c.claim(other, claimReq({ maxCount: 4 }));
      await c.deleteGroup(q.group);
      expect(await c.inspect(q)).to.equal(null);
      expect(await c.committedOffsets(q.group)).to.deep.equal([]);
      expect(await c.groups()).to.not.include(q.group);
      expect((await c.inspect(other))?.cursor).to.equal(4);
      // A later get starts it again from what the caller seeds (the broker's offset).
      expect(isNoState(await rejection(c.claim(q, claimReq({ startOffsetIfNew: -1 }))))).to.equal(true);
    });

    it('lets one owner at a time write the offsets of a group', async () => {
      const other = await factory.open();
      const a = await c.acquireFlush(q.group, 'replica-a', 5000);
      expect(a).to.equal(true);
      expect(await c.acquireFlush(q.group, 'replica-a', 5000)).to.equal(true);
      if (c.kind === 'redis') expect(await other.acquireFlush(q.group, 'replica-b', 5000)).to.equal(false);
    });
  });

  describe('concurrency', () => {
    it('never hands the same offset to two concurrent claimers, across connections', async () => {
      const replicas = [c, await factory.open(), await factory.open()];
      const total = 3000;
      const got: OffsetRange[] = [];
      // 24 consumers on 3 replicas race until the queue is drained; every 4th trims its claim short.
      await Promise.all(
        Array.from({ length: 24 }, async (_, i) => {
          const r = replicas[i % replicas.length];
          for (let n = 0; n < 1000; n++) {
            const l = await r.claim(q, claimReq({ maxOffset: total, maxCount: 1 + ((i * 7 + n) % 23) }));
            if (!l) return;
            let end = l.to;
            if (i % 4 === 0 && l.to - l.from > 1) {
              end = l.from + 1;
              await r.trim(q, l, end, [l.from]);
            }
            got.push([l.from, end]);
          }
        }),
      );
      const sorted = [...got].sort((x, y) => x[0] - y[0]);
      let next = 0;
      for (const [a, b] of sorted) {
        expect(a, `range [${a}, ${b}) overlaps or leaves a gap before it`).to.equal(next);
        next = b;
      }
      expect(next).to.equal(total);
      expect((await c.inspect(q))?.committed).to.equal(total);
    });

    it('re-claims each expired lease for exactly one of many concurrent callers', async () => {
      const replicas = [c, await factory.open()];
      for (let i = 0; i < 20; i++) await c.claim(q, claimReq({ maxCount: 5, invisibleMs: 100 }));
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => replicas[i % 2].reclaimExpired(q, { now: T0 + 1000, invisibleMs: 1000, maxCount: 7 })),
      );
      const offsets = results.flat().flatMap(offsetsOf).sort((x, y) => x - y);
      expect(offsets).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
      expect(results.flat().every((l) => l.attempt === 2)).to.equal(true);
    });
  });
}
