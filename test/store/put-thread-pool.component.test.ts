/**
 * A small put does not wait for Node's thread pool: its commit-log write (and its consume-queue unit) are made in
 * place, so a put resolves while every pool thread is held by something else (slow reads, fsyncs, other files), and
 * so does a small read of recent messages (a long-polling pull woken by them). Large writes still go to the pool
 * (they would hold the event loop), and finish once a thread is free.
 */
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { tempDir } from '../helpers/proc';
import { bodyFor, checkedRecord, msg, openStore } from './store-fixtures';

/** Holds every thread of the pool with a read of an empty FIFO each; `release()` lets them all finish. */
async function holdThreadPool(dir: string): Promise<{ release(): Promise<void> }> {
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const fifo = path.join(dir, 'hold.fifo');
  execFileSync('mkfifo', [fifo]);
  // r+ opens a FIFO without waiting for a writer; each read then blocks its pool thread until bytes arrive.
  const fd = fs.openSync(fifo, 'r+');
  const reads = Array.from(
    { length: threads },
    () => new Promise<void>((resolve, reject) => fs.read(fd, Buffer.alloc(1), 0, 1, null, (err) => (err ? reject(err) : resolve()))),
  );
  // Let the reads reach their threads.
  await new Promise((r) => setTimeout(r, 200));
  return {
    release: async () => {
      fs.writeSync(fd, Buffer.alloc(threads, 1));
      await Promise.all(reads);
      fs.closeSync(fd);
    },
  };
}

describe('store: puts while the thread pool is busy (component)', function () {
  this.timeout(60000);

  it('a 2 KiB put resolves while every pool thread is blocked; a 1 MiB put completes once one is free', async () => {
    const tmp = tempDir('mq-put-pool-');
    const topic = 'PoolBusy';
    const s = await openStore(tmp.dir, { mappedFileSizeCommitLog: 8 * 1024 * 1024, flushIntervalConsumeQueue: 600000 });
    let hold: { release(): Promise<void> } | undefined;
    try {
      // The segment files exist before the pool is held (creating one is not what this test is about).
      expect((await s.putMessage(msg(topic, 0, bodyFor(0, 2048)))).status).to.equal('PUT_OK');
      hold = await holdThreadPool(tmp.dir);
      const small = await Promise.race([
        s.putMessage(msg(topic, 0, bodyFor(1, 2048))).then((r) => r.status),
        new Promise<string>((r) => setTimeout(() => r('still waiting after 5 s'), 5000)),
      ]);
      expect(small, 'a small put with every pool thread blocked').to.equal('PUT_OK');
      let bigDone = false;
      const big = s.putMessage(msg(topic, 0, bodyFor(2, 1024 * 1024))).then((r) => {
        bigDone = true;
        return r.status;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(bigDone, 'a 1 MiB put is written on the pool, so it waits for a free thread').to.equal(false);
      // A pull of the new small messages (recent data, in the page cache) is read in place too.
      const pulled = await Promise.race([
        s.getMessage('g', topic, 0, 0, 2, 1 << 20).then((g) => g.records.map((raw) => checkedRecord(raw).queueOffset)),
        new Promise<string>((r) => setTimeout(() => r('still waiting after 5 s'), 5000)),
      ]);
      expect(pulled, 'reading the two 2 KiB messages with every pool thread blocked').to.deep.equal([0, 1]);
      await hold.release();
      hold = undefined;
      expect(await big).to.equal('PUT_OK');
      // Everything is readable, in order (one message per read: the transfer limits cut a 1 MiB one off a batch).
      for (let i = 0; i < 3; i++) {
        const g = await s.getMessage('g', topic, 0, i, 1, 4 << 20);
        expect(g.status).to.equal('FOUND');
        const r = checkedRecord(g.records[0]);
        expect(r.queueOffset).to.equal(i);
        expect(r.body.equals(bodyFor(i, i === 2 ? 1024 * 1024 : 2048))).to.equal(true);
      }
    } finally {
      await hold?.release();
      await s.shutdown();
      tmp.cleanup();
    }
  });
});
