import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { MessageStore } from '../../src/store';
import { offsetToFileName } from '../../src/store/segment-file';
import { tempDir, uniqueName } from '../helpers/proc';
import { Registry } from 'prom-client';
import { bodyFor, checkedRecord, msg, openStore, silent } from './store-fixtures';

/** Writes `bytes` at absolute commit-log offset `phys` (segments are 64 KiB in these tests). */
function patchCommitLog(dir: string, phys: number, bytes: Buffer): void {
  const seg = phys - (phys % 65536);
  const fd = fs.openSync(path.join(dir, 'commitlog', offsetToFileName(seg)), 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, phys - seg);
  } finally {
    fs.closeSync(fd);
  }
}

describe('store/recovery', () => {
  let dir: string;
  let cleanup: () => void;
  const stores: MessageStore[] = [];
  beforeEach(() => ({ dir, cleanup } = tempDir('mq-store-rec-')));
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.shutdown();
    cleanup();
  });

  /** 150 messages over several segments; returns their positions. */
  async function fill(topic: string): Promise<Array<{ phys: number; size: number }>> {
    const s = await openStore(dir);
    const out: Array<{ phys: number; size: number }> = [];
    for (let i = 0; i < 150; i++) {
      const r = await s.putMessage(msg(topic, 0, bodyFor(i, 400 + (i % 5) * 100), { KEYS: `k${i}` }));
      out.push({ phys: r.appendResult!.physicalOffset, size: r.appendResult!.wroteBytes });
    }
    await s.shutdown();
    return out;
  }

  async function reopen(crashed: boolean): Promise<MessageStore> {
    if (crashed) fs.writeFileSync(path.join(dir, 'abort'), '');
    const s = await openStore(dir);
    stores.push(s);
    return s;
  }

  async function expectIntact(s: MessageStore, topic: string, count: number): Promise<void> {
    expect(s.getMaxOffsetInQueue(topic, 0)).to.equal(count);
    let offset = 0;
    while (offset < count) {
      const g = await s.getMessage('g', topic, 0, offset, 32, 1 << 20);
      expect(g.status).to.equal('FOUND');
      g.records.forEach((raw, k) => {
        const r = checkedRecord(raw);
        expect(r.queueOffset).to.equal(offset + k);
        expect(r.body.equals(bodyFor(offset + k, 400 + ((offset + k) % 5) * 100))).to.equal(true);
      });
      offset = g.nextBeginOffset;
    }
    expect((await s.getMessage('g', topic, 0, count, 32, 1 << 20)).status).to.equal('OFFSET_OVERFLOW_ONE');
  }

  for (const crashed of [false, true]) {
    const how = crashed ? 'after a crash' : 'after a clean shutdown';

    it(`drops garbage appended to the last segment ${how}`, async () => {
      const topic = uniqueName();
      const pos = await fill(topic);
      const end = pos[149].phys + pos[149].size;
      patchCommitLog(dir, end, Buffer.from('this is not a record, just garbage bytes at the tail'.repeat(4)));
      const s = await reopen(crashed);
      expect(s.getMaxPhyOffset()).to.equal(end);
      await expectIntact(s, topic, 150);
      const r = await s.putMessage(msg(topic, 0, bodyFor(150, 400)));
      expect(r.appendResult!.physicalOffset).to.equal(end);
      await expectIntact(s, topic, 151);
    });

    it(`drops a half-written last record ${how}`, async () => {
      const topic = uniqueName();
      const pos = await fill(topic);
      const last = pos[149];
      const half = Math.floor(last.size / 2);
      patchCommitLog(dir, last.phys + half, Buffer.alloc(last.size - half));
      const s = await reopen(crashed);
      expect(s.getMaxPhyOffset()).to.equal(last.phys);
      expect(s.lookMessageByOffset(last.phys)).to.equal(null);
      await expectIntact(s, topic, 149);
      expect(s.queryMessage(topic, 'k149', 5, 0, Date.now() + 1000).records).to.have.length(0);
      expect(s.queryMessage(topic, 'k148', 5, 0, Date.now() + 1000).records).to.have.length(1);
    });

    it(`drops a record whose body CRC no longer matches, and everything after it, ${how}`, async () => {
      const topic = uniqueName();
      const pos = await fill(topic);
      const bad = pos[100];
      // Flip one body byte (the body starts 88 bytes into an IPv4 record).
      const fd = fs.openSync(path.join(dir, 'commitlog', offsetToFileName(bad.phys - (bad.phys % 65536))), 'r+');
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, (bad.phys % 65536) + 90);
      b[0] ^= 0xff;
      fs.writeSync(fd, b, 0, 1, (bad.phys % 65536) + 90);
      fs.closeSync(fd);
      const s = await reopen(crashed);
      expect(s.getMaxPhyOffset()).to.equal(bad.phys);
      await expectIntact(s, topic, 100);
      // Segments that started after the bad record are gone; new appends continue at its offset.
      expect(fs.readdirSync(path.join(dir, 'commitlog')).map(Number).every((o) => o <= bad.phys)).to.equal(true);
      const r = await s.putMessage(msg(topic, 0, bodyFor(100, 400)));
      expect(r.appendResult!.queueOffset).to.equal(100);
      expect(r.appendResult!.physicalOffset).to.equal(bad.phys);
    });
  }

  it('a clean shutdown right after a segment roll leaves no abort marker', async () => {
    const s = await openStore(dir);
    const topic = uniqueName();
    // Fill the first segment until a record no longer fits: the filler is written, the next segment starts.
    let last = 0;
    for (let i = 0; last < 65536; i++) last = (await s.putMessage(msg(topic, 0, bodyFor(i, 1000)))).appendResult!.physicalOffset;
    await s.shutdown();
    expect(fs.existsSync(path.join(dir, 'abort'))).to.equal(false);
    const err = await s.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.match(/after shutdown/);
  });

  it('rebuilds the index alone when only its directory is gone', async () => {
    const topic = uniqueName();
    await fill(topic);
    fs.rmSync(path.join(dir, 'index'), { recursive: true });
    const s = await reopen(false);
    expect(s.queryMessage(topic, 'k9', 5, 0, Date.now() + 1000).records).to.have.length(1);
    await expectIntact(s, topic, 150);
  });

  it('rebuilds all consume queues and the index when their directories are gone', async () => {
    const topic = uniqueName();
    await fill(topic);
    fs.rmSync(path.join(dir, 'consumequeue'), { recursive: true });
    fs.rmSync(path.join(dir, 'index'), { recursive: true });
    const s = await reopen(false);
    await expectIntact(s, topic, 150);
    expect(s.queryMessage(topic, 'k7', 5, 0, Date.now() + 1000).records).to.have.length(1);
  });
});

describe('store/recovery refuses mismatched segment sizes', () => {
  it('does not load (and does not touch the files) when mappedFileSizeCommitLog changed', async () => {
    const { dir, cleanup } = tempDir('mq-store-size-');
    try {
      const s = await openStore(dir);
      await s.putMessage(msg(uniqueName(), 0, bodyFor(1, 100)));
      await s.shutdown();
      const seg = path.join(dir, 'commitlog', offsetToFileName(0));
      const before = fs.readFileSync(seg);
      const other = new MessageStore(
        { storePathRootDir: dir, mappedFileSizeCommitLog: 128 * 1024 },
        { logger: silent, registry: new Registry() },
      );
      expect(await other.load()).to.equal(false);
      expect(fs.readFileSync(seg).equals(before)).to.equal(true);
    } finally {
      cleanup();
    }
  });
});
