/**
 * Consume-queue units are readable as soon as the put resolves and a clean restart finds every one of them on file;
 * the put path's synchronous file writes stay small (a round's units, a tick's small records: at most
 * SYNC_WRITE_MAX_BYTES, a thread-pool hop costing more than such a copy) and it makes no fs.writeSync call. Index
 * entries are written off the event loop.
 */
import { expect } from 'chai';
import fs from 'fs';
import { tempDir } from '../helpers/proc';
import { SYNC_WRITE_MAX_BYTES } from '../../src/store/segment-file';
import { bodyFor, checkedRecord, msg, openStore } from './store-fixtures';

describe('store: consume-queue units written in small writes (component)', function () {
  this.timeout(60000);

  it('puts across queue segments with bounded synchronous writes; every unit readable at once and after a restart', async () => {
    const tmp = tempDir('mq-cq-async-');
    const topic = 'AsyncCq';
    // No index (index entries have their own writer) and no periodic checkpoint write during the puts.
    const opts = { messageIndexEnable: false, flushIntervalConsumeQueue: 600000 };
    const realWriteSync = fs.writeSync;
    const realWritevSync = fs.writevSync;
    let syncWrites = 0;
    let largestWritev = 0;
    let writevs = 0;
    let s = await openStore(tmp.dir, opts);
    try {
      (fs as { writeSync: typeof fs.writeSync }).writeSync = ((...a: Parameters<typeof fs.writeSync>) => {
        syncWrites++;
        return realWriteSync(...a);
      }) as typeof fs.writeSync;
      (fs as { writevSync: typeof fs.writevSync }).writevSync = ((fd: number, bufs: NodeJS.ArrayBufferView[], pos?: number) => {
        writevs++;
        largestWritev = Math.max(largestWritev, bufs.reduce((n, b) => n + b.byteLength, 0));
        return realWritevSync(fd, bufs, pos);
      }) as typeof fs.writevSync;
      const N = 300; // 300 units per queue = several 64-unit segments (SMALL)
      const puts = [];
      for (let i = 0; i < N; i++) {
        puts.push(s.putMessage(msg(topic, i % 2, bodyFor(i, 100))));
        if (i % 50 === 49) await Promise.all(puts.splice(0));
      }
      const results = await Promise.all(puts);
      expect(results.every((r) => r.status === 'PUT_OK')).to.equal(true);
      // Read right away: units whose write may still be in flight come back the same.
      const readAll = async (): Promise<number[]> => {
        const seeds: number[] = [];
        for (let q = 0; q < 2; q++) {
          let offset = 0;
          for (;;) {
            const g = await s.getMessage('g', topic, q, offset, 32, 1 << 20);
            if (g.status !== 'FOUND') break;
            g.records.forEach((raw, k) => {
              const r = checkedRecord(raw);
              expect(r.queueOffset).to.equal(offset + k);
              seeds.push(r.queueOffset * 2 + q);
            });
            offset = g.nextBeginOffset;
          }
        }
        return seeds.sort((a, b) => a - b);
      };
      const expected = Array.from({ length: N }, (_, i) => i);
      expect(await readAll()).to.deep.equal(expected);
      (fs as { writeSync: typeof fs.writeSync }).writeSync = realWriteSync;
      (fs as { writevSync: typeof fs.writevSync }).writevSync = realWritevSync;
      expect(syncWrites, 'fs.writeSync calls during puts').to.equal(0);
      expect(writevs, 'synchronous writes (records and units)').to.be.greaterThan(0);
      expect(largestWritev, 'largest synchronous write').to.be.at.most(SYNC_WRITE_MAX_BYTES);
      await s.shutdown();
      s = await openStore(tmp.dir, opts);
      expect(s.getMaxOffsetInQueue(topic, 0)).to.equal(N / 2);
      expect(await readAll()).to.deep.equal(expected);
    } finally {
      (fs as { writeSync: typeof fs.writeSync }).writeSync = realWriteSync;
      (fs as { writevSync: typeof fs.writevSync }).writevSync = realWritevSync;
      await s.shutdown();
      tmp.cleanup();
    }
  });
});

describe('store: index entries written off the event loop (component)', function () {
  this.timeout(60000);

  it('puts with keys across several index files without fs.writeSync; every key found at once and after a restart', async () => {
    const tmp = tempDir('mq-index-async-');
    const topic = 'AsyncIndex';
    // 256 entries per index file and two keys per message (KEYS and UNIQ_KEY): files fill up (and are persisted)
    // during the puts. No periodic flush meanwhile.
    const opts = { messageIndexEnable: true, flushIntervalConsumeQueue: 600000 };
    const realWriteSync = fs.writeSync;
    let syncWrites = 0;
    const N = 300;
    const keyOf = (i: number): string => `k${i}`;
    let s = await openStore(tmp.dir, opts);
    try {
      (fs as { writeSync: typeof fs.writeSync }).writeSync = ((...a: Parameters<typeof fs.writeSync>) => {
        syncWrites++;
        return realWriteSync(...a);
      }) as typeof fs.writeSync;
      const puts = [];
      for (let i = 0; i < N; i++) {
        puts.push(s.putMessage(msg(topic, i % 2, bodyFor(i, 100), { KEYS: keyOf(i), UNIQ_KEY: `U${i}` })));
        if (i % 50 === 49) await Promise.all(puts.splice(0));
      }
      const results = await Promise.all(puts);
      expect(results.every((r) => r.status === 'PUT_OK')).to.equal(true);
      const found = (): number[] => {
        const out: number[] = [];
        for (let i = 0; i < N; i++) {
          const q = s.queryMessage(topic, keyOf(i), 32, 0, Date.now() + 1000);
          const bodies = q.records.map((raw) => checkedRecord(raw).body);
          if (bodies.some((b) => b.equals(bodyFor(i, 100)))) out.push(i);
        }
        return out;
      };
      const all = Array.from({ length: N }, (_, i) => i);
      // Right away: entries whose write may still be in flight are found the same.
      expect(found()).to.deep.equal(all);
      (fs as { writeSync: typeof fs.writeSync }).writeSync = realWriteSync;
      expect(syncWrites, 'fs.writeSync calls during puts').to.equal(0);
      await s.shutdown();
      s = await openStore(tmp.dir, opts);
      expect(found()).to.deep.equal(all);
    } finally {
      (fs as { writeSync: typeof fs.writeSync }).writeSync = realWriteSync;
      await s.shutdown();
      tmp.cleanup();
    }
  });
});
