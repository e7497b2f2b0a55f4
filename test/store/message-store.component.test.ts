import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { BLANK_MAGIC, createOffsetMsgId, decodeRecord } from '../../src/common/message';
import { MessageStore, SCHEDULE_TOPIC, parseDelayLevels } from '../../src/store';
import { tempDir, uniqueName } from '../helpers/proc';
import { Registry } from 'prom-client';
import { diskUsedRatio } from '../../src/store/store-metrics';
import { SMALL, bodyFor, checkedRecord, msg, openStore, silent } from './store-fixtures';

describe('store/MessageStore', () => {
  let dir: string;
  let cleanup: () => void;
  const stores: MessageStore[] = [];
  const open = async (extra: Record<string, unknown> = {}, d = dir): Promise<MessageStore> => {
    const s = await openStore(d, extra);
    stores.push(s);
    return s;
  };

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('mq-store-'));
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.shutdown();
    cleanup();
  });

  it('appends across segment boundaries with BLANK fillers and reads every record back byte-identical', async () => {
    const s = await open();
    const topic = uniqueName();
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => s.putMessage(msg(topic, i % 3, bodyFor(i, 500 + (i % 7) * 300), { I: String(i) }))),
    );
    expect(results.every((r) => r.status === 'PUT_OK')).to.equal(true);
    expect(s.getMaxPhyOffset()).to.be.greaterThan(3 * 64 * 1024);
    // Every segment but the last ends with the 8-byte BLANK filler right after its last record.
    const segs = fs.readdirSync(path.join(dir, 'commitlog')).sort();
    expect(segs.length).to.be.greaterThan(3);
    expect(segs[1]).to.equal('00000000000000065536');
    for (const r of results) {
      const raw = s.lookMessageByOffset(r.appendResult!.physicalOffset);
      const rec = checkedRecord(raw!);
      const i = Number(rec.properties.I);
      expect(rec.body.equals(bodyFor(i, 500 + (i % 7) * 300))).to.equal(true);
      expect(rec.queueOffset).to.equal(r.appendResult!.queueOffset);
      expect(rec.physicalOffset).to.equal(r.appendResult!.physicalOffset);
      expect(r.appendResult!.msgId).to.equal(createOffsetMsgId({ ip: '127.0.0.1', port: 10911 }, rec.physicalOffset));
      // Records never straddle a segment end.
      expect(Math.floor(rec.physicalOffset / 65536)).to.equal(Math.floor((rec.physicalOffset + rec.totalSize - 1) / 65536));
    }
    const first = fs.readFileSync(path.join(dir, 'commitlog', segs[0]));
    const lastEnd = Math.max(
      ...results.map((r) => r.appendResult!).filter((a) => a.physicalOffset < 65536).map((a) => a.physicalOffset + a.wroteBytes),
    );
    expect(first.readInt32BE(lastEnd)).to.equal(65536 - lastEnd);
    expect(first.readInt32BE(lastEnd + 4)).to.equal(BLANK_MAGIC);
    // Pulling each queue from 0 returns every message in order.
    for (let q = 0; q < 3; q++) {
      let offset = 0;
      let count = 0;
      for (;;) {
        const g = await s.getMessage('g', topic, q, offset, 32, 1 << 20);
        if (g.status !== 'FOUND') {
          expect(g.status).to.equal('OFFSET_OVERFLOW_ONE');
          break;
        }
        g.records.forEach((raw, k) => expect(checkedRecord(raw).queueOffset).to.equal(offset + k));
        count += g.records.length;
        offset = g.nextBeginOffset;
      }
      expect(count).to.equal(100);
    }
  });

  it('filters by tags hash code in the consume queue and reports the queue statuses', async () => {
    const s = await open();
    const topic = uniqueName();
    for (let i = 0; i < 10; i++) await s.putMessage(msg(topic, 0, bodyFor(i, 50), { TAGS: i % 2 ? 'TagA' : 'TagB' }));
    const onlyA = (code: number): boolean => code === 2598919; // "TagA".hashCode()
    const g = await s.getMessage('g', topic, 0, 0, 32, 1 << 20, onlyA);
    expect(g.status).to.equal('FOUND');
    expect(g.records.map((r) => decodeRecord(r).properties.TAGS)).to.deep.equal(['TagA', 'TagA', 'TagA', 'TagA', 'TagA']);
    expect(g.nextBeginOffset).to.equal(10);
    const none = await s.getMessage('g', topic, 0, 0, 32, 1 << 20, (c) => c === 1);
    expect(none.status).to.equal('NO_MATCHED_MESSAGE');
    expect(none.nextBeginOffset).to.equal(10);
    expect((await s.getMessage('g', topic, 0, 10, 32, 1 << 20)).status).to.equal('OFFSET_OVERFLOW_ONE');
    const badly = await s.getMessage('g', topic, 0, 99, 32, 1 << 20);
    expect(badly.status).to.equal('OFFSET_OVERFLOW_BADLY');
    expect(badly.nextBeginOffset).to.equal(0);
    expect((await s.getMessage('g', topic, 7, 0, 32, 1 << 20)).status).to.equal('NO_MATCHED_LOGIC_QUEUE');
    expect((await s.getMessage('g', uniqueName(), 0, 0, 32, 1 << 20)).status).to.equal('NO_MATCHED_LOGIC_QUEUE');
  });

  it('respects maxMsgNums and maxBytes, always returns a first message larger than maxBytes, serves 5 MiB', async () => {
    const s = await open({ mappedFileSizeCommitLog: 16 * 1024 * 1024 });
    const topic = uniqueName();
    for (let i = 0; i < 20; i++) await s.putMessage(msg(topic, 0, bodyFor(i, 1000)));
    const big = bodyFor(99, 5 * 1024 * 1024);
    const put = await s.putMessage(msg(topic, 0, big));
    expect(put.status).to.equal('PUT_OK');
    expect((await s.getMessage('g', topic, 0, 0, 5, 1 << 20)).messageCount).to.equal(5);
    const byBytes = await s.getMessage('g', topic, 0, 0, 32, 3500);
    expect(byBytes.messageCount).to.equal(3);
    expect(byBytes.nextBeginOffset).to.equal(3);
    const huge = await s.getMessage('g', topic, 0, 20, 32, 1000);
    expect(huge.status).to.equal('FOUND');
    expect(huge.messageCount).to.equal(1);
    expect(checkedRecord(huge.records[0]).body.equals(big)).to.equal(true);
    expect(huge.suggestPullingFromSlave).to.equal(false);
    // In-memory transfer limit: 32 messages or 256 KiB per pull.
    for (let i = 0; i < 40; i++) await s.putMessage(msg(topic, 1, bodyFor(i, 100)));
    expect((await s.getMessage('g', topic, 1, 0, 1000, 1 << 30)).messageCount).to.equal(32);
    const tooBig = await s.putMessage(msg(topic, 0, Buffer.alloc(8 * 1024 * 1024 + 1)));
    expect(tooBig.status).to.equal('MESSAGE_ILLEGAL');
    expect((await s.putMessage(msg(topic, 0, Buffer.alloc(1), { P: 'x'.repeat(40000) }))).status).to.equal(
      'PROPERTIES_SIZE_EXCEEDED',
    );
  });

  it('finds messages by key, by UNIQ_KEY and by offset msgId, and by time', async () => {
    const s = await open();
    const topic = uniqueName();
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const r = await s.putMessage(msg(topic, 0, bodyFor(i, 200), { KEYS: `order-${i} shared`, UNIQ_KEY: `UNIQ${i}` }));
      ids.push(r.appendResult!.msgId);
    }
    const byKey = s.queryMessage(topic, 'order-42', 10, 0, Date.now() + 1000);
    expect(byKey.records).to.have.length(1);
    expect(decodeRecord(byKey.records[0]).body.equals(bodyFor(42, 200))).to.equal(true);
    expect(s.queryMessage(topic, 'UNIQ77', 10, 0, Date.now() + 1000).records.map((r) => decodeRecord(r).queueOffset)).to.deep.equal([77]);
    expect(s.queryMessage(topic, 'shared', 1000, 0, Date.now() + 1000).records).to.have.length(120);
    expect(s.queryMessage(topic, 'shared', 7, 0, Date.now() + 1000).records).to.have.length(7);
    expect(s.queryMessage(uniqueName(), 'order-42', 10, 0, Date.now() + 1000).records).to.have.length(0);
    expect(s.queryMessage(topic, 'order-42', 10, 0, Date.now() + 1000).indexLastUpdatePhyoffset).to.be.greaterThan(0);
    const raw = s.lookMessageByMsgId(ids[5]);
    expect(decodeRecord(raw!).body.equals(bodyFor(5, 200))).to.equal(true);
    const t = s.getMessageStoreTimeStamp(topic, 0, 60);
    expect(t).to.be.greaterThan(0);
    const off = s.getOffsetInQueueByTime(topic, 0, t);
    expect(s.getMessageStoreTimeStamp(topic, 0, off)).to.equal(t);
    expect(s.getEarliestMessageTime(topic, 0)).to.equal(s.getMessageStoreTimeStamp(topic, 0, 0));
    // The index survives a restart.
    await s.shutdown();
    stores.splice(stores.indexOf(s), 1);
    const s2 = await open();
    expect(s2.queryMessage(topic, 'order-118', 10, 0, Date.now() + 1000).records).to.have.length(1);
  });

  it('stores batches as consecutive records and notifies arrival listeners', async () => {
    const s = await open();
    const topic = uniqueName();
    const seen: Array<[string, number, number]> = [];
    s.onArrival((t, q, next) => seen.push([t, q, next]));
    await s.putMessage(msg(topic, 2, bodyFor(0, 10)));
    const r = await s.putMessages({
      topic,
      queueId: 2,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      bornHost: { ip: '127.0.0.1', port: 1 },
      storeHost: { ip: '127.0.0.1', port: 10911 },
      properties: { CLUSTER: 'c1' },
      messages: [0, 1, 2].map((i) => ({ flag: i, body: bodyFor(i + 10, 30), properties: { UNIQ_KEY: `B${i}` } })),
    });
    expect(r.status).to.equal('PUT_OK');
    expect(r.appendResult!.queueOffset).to.equal(1);
    expect(r.appendResult!.msgNum).to.equal(3);
    const ids = r.appendResult!.msgId.split(',');
    expect(ids).to.have.length(3);
    const recs = ids.map((id) => decodeRecord(s.lookMessageByMsgId(id)!));
    expect(recs.map((x) => x.queueOffset)).to.deep.equal([1, 2, 3]);
    expect(recs[1].physicalOffset).to.equal(recs[0].physicalOffset + recs[0].totalSize);
    expect(recs[2].properties).to.deep.equal({ UNIQ_KEY: 'B2', CLUSTER: 'c1' });
    expect(recs[2].flag).to.equal(2);
    expect(seen).to.deep.equal([
      [topic, 2, 1],
      [topic, 2, 2],
      [topic, 2, 3],
      [topic, 2, 4],
    ]);
  });

  it('uses the delivery time as tags code for SCHEDULE_TOPIC_XXXX (ref §5.13) unless overridden', async () => {
    const s = await open();
    const r = await s.putMessage(msg(SCHEDULE_TOPIC, 2, bodyFor(1, 10), { DELAY: '3', REAL_TOPIC: 'X', REAL_QID: '0' }));
    const codes: number[] = [];
    await s.getMessage('g', SCHEDULE_TOPIC, 2, 0, 1, 1 << 20, (c) => (codes.push(c), true));
    expect(codes).to.deep.equal([r.appendResult!.storeTimestamp + parseDelayLevels(s.options.messageDelayLevel)[2]]);
    const o = await s.putMessage({ ...msg(SCHEDULE_TOPIC, 2, bodyFor(2, 10)), tagsCodeOverride: 12345 });
    expect(o.status).to.equal('PUT_OK');
    const codes2: number[] = [];
    await s.getMessage('g', SCHEDULE_TOPIC, 2, 1, 1, 1 << 20, (c) => (codes2.push(c), true));
    expect(codes2).to.deep.equal([12345]);
  });

  it('SYNC_FLUSH resolves after fsync and returns FLUSH_DISK_TIMEOUT when the fsync does not come', async () => {
    const s = await open({ flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 200 });
    const topic = uniqueName();
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => s.putMessage(msg(topic, 0, bodyFor(i, 100)))));
    expect(rs.every((r) => r.status === 'PUT_OK')).to.equal(true);
    expect(s.commitLog.flushedPos).to.be.at.least(rs[49].appendResult!.physicalOffset + rs[49].appendResult!.wroteBytes);
    const realFlush = s.commitLog.flush.bind(s.commitLog);
    s.commitLog.flush = () => new Promise<number>(() => undefined);
    const slow = await s.putMessage(msg(topic, 0, bodyFor(1, 100)));
    expect(slow.status).to.equal('FLUSH_DISK_TIMEOUT');
    const noWait = await s.putMessage({ ...msg(topic, 0, bodyFor(2, 100)), waitStoreMsgOK: false });
    expect(noWait.status).to.equal('PUT_OK');
    s.commitLog.flush = realFlush;
  });

  it('SYNC_MASTER combines the replication result; SLAVE refuses puts', async () => {
    const s = await open({ brokerRole: 'SYNC_MASTER' });
    const ends: number[] = [];
    s.replicationWaiter = async (end) => {
      ends.push(end);
      return 'FLUSH_SLAVE_TIMEOUT';
    };
    const r = await s.putMessage(msg(uniqueName(), 0, bodyFor(1, 100)));
    expect(r.status).to.equal('FLUSH_SLAVE_TIMEOUT');
    expect(ends).to.deep.equal([r.appendResult!.physicalOffset + r.appendResult!.wroteBytes]);
    s.updateOptions({ brokerRole: 'SLAVE' });
    expect((await s.putMessage(msg(uniqueName(), 0, bodyFor(1, 100)))).status).to.equal('SERVICE_NOT_AVAILABLE');
    expect(() => s.updateOptions({ nope: 1 })).to.throw(/unknown option nope/);
  });

  it('replicates raw commit-log bytes to a slave store that dispatches them', async () => {
    const master = await open();
    const slaveDir = tempDir('mq-store-slave-');
    try {
      const slave = await open({ brokerRole: 'SLAVE' }, slaveDir.dir);
      const topic = uniqueName();
      for (let i = 0; i < 200; i++) await master.putMessage(msg(topic, i % 2, bodyFor(i, 700), { KEYS: `k${i}` }));
      // Ship in 3000-byte pieces that cut records anywhere, as the HA stream does (ref §8.2).
      let from = 0;
      while (from < master.getMaxPhyOffset()) {
        const chunk = master.readCommitLog(from, 3000)!;
        expect(await slave.appendCommitLogRaw(from, chunk)).to.equal(true);
        from += chunk.length;
      }
      expect(await slave.appendCommitLogRaw(from + 10, Buffer.alloc(10))).to.equal(false);
      expect(slave.getMaxPhyOffset()).to.equal(master.getMaxPhyOffset());
      expect(slave.getMaxOffsetInQueue(topic, 0)).to.equal(100);
      expect(slave.getMaxOffsetInQueue(topic, 1)).to.equal(100);
      const a = await master.getMessage('g', topic, 1, 90, 10, 1 << 20);
      const b = await slave.getMessage('g', topic, 1, 90, 10, 1 << 20);
      expect(b.records.map((x) => x.toString('hex'))).to.deep.equal(a.records.map((x) => x.toString('hex')));
      expect(slave.queryMessage(topic, 'k150', 5, 0, Date.now() + 1000).records).to.have.length(1);
      await slave.shutdown();
      stores.pop();
    } finally {
      slaveDir.cleanup();
    }
  });

  it('deletes expired segments but keeps the active one and what slaves still need', async () => {
    const s = await open({ fileReservedTime: 0 });
    const topic = uniqueName();
    for (let i = 0; i < 400; i++) await s.putMessage(msg(topic, 0, bodyFor(i, 1000)));
    await s.flushService!.flushLogics();
    await s.commitLog.flush();
    const before = s.commitLog.segments.length;
    s.replicatedOffset = () => 2 * 65536;
    expect(s.cleanExpiredFiles(true)).to.equal(2);
    expect(s.getMinPhyOffset()).to.equal(2 * 65536);
    s.replicatedOffset = Number.MAX_SAFE_INTEGER;
    s.cleanExpiredFiles(true);
    expect(before).to.be.within(4, 12);
    expect(s.commitLog.segments.length).to.equal(1);
    const min = s.getMinOffsetInQueue(topic, 0);
    expect(min).to.be.greaterThan(0);
    const tooSmall = await s.getMessage('g', topic, 0, 0, 1, 1 << 20);
    expect(tooSmall.status).to.equal('OFFSET_TOO_SMALL');
    expect(tooSmall.nextBeginOffset).to.equal(min);
    const g = await s.getMessage('g', topic, 0, min, 1, 1 << 20);
    expect(g.status).to.equal('FOUND');
    expect(checkedRecord(g.records[0]).body.equals(bodyFor(min, 1000))).to.equal(true);
  });

  it('exports puts, bytes, write time and commit-log size on the injected registry', async () => {
    const registry = new Registry();
    const s = new MessageStore({ storePathRootDir: dir, ...SMALL }, { logger: silent, registry });
    await s.load();
    await s.start();
    stores.push(s);
    for (let i = 0; i < 10; i++) await s.putMessage(msg(uniqueName(), 0, bodyFor(i, 100)));
    const text = await registry.metrics();
    expect(text).to.match(/^mq_store_put_messages_total 10$/m);
    expect(text).to.match(new RegExp(`^mq_store_put_bytes_total ${s.getMaxPhyOffset()}$`, 'm'));
    expect(text).to.match(new RegExp(`^mq_store_commitlog_bytes ${s.getMaxPhyOffset()}$`, 'm'));
    expect(text).to.match(/^mq_store_commitlog_write_ms_count [1-9]\d*$/m);
    expect(text).to.match(/^mq_store_disk_used_ratio 0\.\d+$/m);
  });

  it('refuses puts with OS_PAGECACHE_BUSY while a commit-log write is stuck, and SERVICE_NOT_AVAILABLE on a full disk', async function () {
    const s = await open();
    s.commitLog.writeStartedAt = Date.now() - 1500;
    expect(s.lockHoldMs()).to.be.at.least(1500);
    expect(s.isOSPageCacheBusy()).to.equal(true);
    expect((await s.putMessage(msg(uniqueName(), 0, bodyFor(1, 10)))).status).to.equal('OS_PAGECACHE_BUSY');
    s.updateOptions({ osPageCacheBusyTimeOutMills: 60000 });
    expect(s.isOSPageCacheBusy()).to.equal(false);
    s.commitLog.writeStartedAt = 0;
    expect((await s.putMessage(msg(uniqueName(), 0, bodyFor(1, 10)))).status).to.equal('PUT_OK');
    const used = diskUsedRatio(dir) * 100;
    if (used <= 11) this.skip();
    s.updateOptions({ diskSpaceWarningLevelRatio: 10 });
    s.cleanExpiredFiles(false);
    expect((await s.putMessage(msg(uniqueName(), 0, bodyFor(1, 10)))).status).to.equal('SERVICE_NOT_AVAILABLE');
    s.updateOptions({ diskSpaceWarningLevelRatio: 99 });
    s.cleanExpiredFiles(false);
    expect((await s.putMessage(msg(uniqueName(), 0, bodyFor(1, 10)))).status).to.equal('PUT_OK');
  });

  it('continues queue offsets after a restart and rebuilds a deleted consume queue from the commit log', async () => {
    const s = await open();
    const topic = uniqueName();
    for (let i = 0; i < 150; i++) await s.putMessage(msg(topic, i % 2, bodyFor(i, 600)));
    await s.shutdown();
    stores.pop();
    // Queue 1 loses its files, queue 0 its whole directory: both come back from the commit log.
    const qdir = path.join(dir, 'consumequeue', topic, '1');
    for (const f of fs.readdirSync(qdir)) fs.unlinkSync(path.join(qdir, f));
    fs.rmSync(path.join(dir, 'consumequeue', topic, '0'), { recursive: true });
    const s2 = await open();
    expect(s2.getMaxOffsetInQueue(topic, 0)).to.equal(75);
    expect(s2.getMaxOffsetInQueue(topic, 1)).to.equal(75);
    const g = await s2.getMessage('g', topic, 1, 70, 10, 1 << 20);
    expect(g.records.map((r) => checkedRecord(r).body.equals(bodyFor(2 * (70 + g.records.indexOf(r)) + 1, 600)))).to.deep.equal(
      [true, true, true, true, true],
    );
    const r = await s2.putMessage(msg(topic, 1, bodyFor(1000, 10)));
    expect(r.appendResult!.queueOffset).to.equal(75);
    const g0 = await s2.getMessage('g', topic, 0, 0, 1, 1 << 20);
    expect(checkedRecord(g0.records[0]).body.equals(bodyFor(0, 600))).to.equal(true);
    // A deleted topic's queues are gone and stay gone after a restart.
    expect(s2.deleteTopic(topic)).to.equal(2);
    expect(s2.getMaxOffsetInQueue(topic, 0)).to.equal(0);
    await s2.shutdown();
    stores.pop();
    const s3 = await open();
    expect(s3.getMaxOffsetInQueue(topic, 1)).to.equal(0);
  });
});
