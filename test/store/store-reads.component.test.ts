/**
 * Pull reads through the store's recent reads (store-reads.ts): pulls of queues whose records interleave in the
 * commit log share reads, every record comes back byte-identical and in queue order, and records written after a
 * read are read again (a read never hides what was appended after it).
 */
import { expect } from 'chai';
import type { MessageStore } from '../../src/store';
import { tempDir, uniqueName } from '../helpers/proc';
import { bodyFor, checkedRecord, msg, openStore } from './store-fixtures';

describe('store: pull reads', () => {
  let dir: string;
  let cleanup: () => void;
  let s: MessageStore | undefined;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('mq-store-reads-'));
  });
  afterEach(async () => {
    await s?.shutdown();
    s = undefined;
    cleanup();
  });

  /** Counts the commit-log reads the store makes. */
  function countReads(store: MessageStore): () => number {
    const log = store.commitLog;
    let n = 0;
    const read = log.read.bind(log);
    log.read = (o: number, l: number) => {
      n++;
      return read(o, l);
    };
    return () => n;
  }

  /** Pulls queue q from `offset` to its end; returns the records' bodies' seeds (property I) in order. */
  async function drainQueue(store: MessageStore, topic: string, q: number, offset: number): Promise<{ seeds: number[]; next: number; pulls: number }> {
    const seeds: number[] = [];
    let pulls = 0;
    for (;;) {
      const g = await store.getMessage('g', topic, q, offset, 32, 1 << 20);
      pulls++;
      if (g.status !== 'FOUND') break;
      g.records.forEach((raw, k) => {
        const r = checkedRecord(raw);
        expect(r.queueOffset).to.equal(offset + k);
        const i = Number(r.properties.I);
        expect(r.body.equals(bodyFor(i, 300 + (i % 5) * 200))).to.equal(true);
        seeds.push(i);
      });
      offset = g.nextBeginOffset;
    }
    return { seeds, next: offset, pulls };
  }

  it('interleaved queues share reads; every record comes back once, in order, byte-identical', async () => {
    s = await openStore(dir, { mappedFileSizeCommitLog: 4 * 1024 * 1024 });
    const topic = uniqueName();
    const queues = 8;
    // Runs of 4 records per queue, interleaved, as batches of several producers land in the log.
    const puts = [];
    for (let i = 0; i < 2000; i++) puts.push(s.putMessage(msg(topic, Math.floor(i / 4) % queues, bodyFor(i, 300 + (i % 5) * 200), { I: String(i) })));
    expect((await Promise.all(puts)).every((r) => r.status === 'PUT_OK')).to.equal(true);
    const reads = countReads(s);
    let pulls = 0;
    for (let q = 0; q < queues; q++) {
      const r = await drainQueue(s, topic, q, 0);
      pulls += r.pulls;
      const want = Array.from({ length: 2000 }, (_, i) => i).filter((i) => Math.floor(i / 4) % queues === q);
      expect(r.seeds).to.deep.equal(want);
    }
    // 8 queues × 250 records = 64 pulls with records; one read each without sharing (several with the gaps).
    expect(reads(), `reads for ${pulls} pulls`).to.be.below(pulls / 4);
  });

  it('records appended after a read are read, not hidden by it', async () => {
    s = await openStore(dir, { mappedFileSizeCommitLog: 4 * 1024 * 1024 });
    const topic = uniqueName();
    let next = 0;
    const seen: number[] = [];
    for (let round = 0; round < 20; round++) {
      // A few records, then a pull at the end of the queue: its read ends at the written end of the log.
      const puts = Array.from({ length: 3 }, (_, k) => s!.putMessage(msg(topic, 0, bodyFor(round * 3 + k, 300 + ((round * 3 + k) % 5) * 200), { I: String(round * 3 + k) })));
      expect((await Promise.all(puts)).every((r) => r.status === 'PUT_OK')).to.equal(true);
      const r = await drainQueue(s, topic, 0, next);
      seen.push(...r.seeds);
      next = r.next;
    }
    expect(seen).to.deep.equal(Array.from({ length: 60 }, (_, i) => i));
  });
});
