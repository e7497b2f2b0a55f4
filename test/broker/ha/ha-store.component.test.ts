/**
 * HAService + HAClient between two real MessageStores in one process over 127.0.0.1 (issue 5, component line):
 * byte-identical replication that dispatches into the slave's consume queues, resume after a break and after a slave
 * restart, mismatch detection without writes, and the SYNC_MASTER statuses of store.putMessage.
 */
import { expect } from 'chai';
import crypto from 'crypto';
import net from 'net';
import pino from 'pino';
import { HAClient, HAService, encodeBlock, encodeReport } from '../../../src/broker/ha';
import { MessageStore } from '../../../src/store';
import type { MessageInner } from '../../../src/store';
import { tempDir, uniqueName } from '../../helpers/proc';
import { startProxy } from './tcp-proxy';
import { waitUntil } from './wait';
import { msg as storeMsg } from '../../store/store-fixtures';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });
const FAST = { haSendHeartbeatInterval: 100, haConnectRetryInterval: 50, haHousekeepingInterval: 3000 };
/** Small commit-log files so that replication crosses file boundaries (and BLANK fillers) within a test. */
const FILE_SIZE = 64 * 1024;

function msg(topic: string, body: Buffer, queueId = 0): MessageInner {
  return storeMsg(topic, queueId, body, { TAGS: 'a', KEYS: 'k1' });
}

describe('HA between two real MessageStores', function () {
  this.timeout(30000);
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // keep cleaning up
      }
    }
  });

  async function openStore(role: string, dir?: string, extra: Record<string, unknown> = {}): Promise<{ store: MessageStore; dir: string }> {
    let root = dir;
    if (!root) {
      const t = tempDir('mq-ha-');
      cleanups.push(t.cleanup);
      root = t.dir;
    }
    const store = new MessageStore(
      { storePathRootDir: root, mappedFileSizeCommitLog: FILE_SIZE, brokerRole: role, flushIntervalCommitLog: 50, ...extra },
      { logger },
    );
    await store.load();
    await store.start();
    cleanups.push(() => store.shutdown());
    return { store, dir: root };
  }

  async function master(store: MessageStore, extra: Record<string, unknown> = {}): Promise<HAService> {
    const svc = new HAService(store, { haListenPort: 0, haBindAddress: '127.0.0.1', ...FAST, ...extra }, { logger });
    cleanups.push(() => svc.shutdown());
    await svc.start();
    return svc;
  }

  function slave(store: MessageStore, port: number): HAClient {
    const c = new HAClient(store, FAST, { logger });
    cleanups.push(() => c.shutdown());
    c.start();
    c.setMasterAddress(`127.0.0.1:${port}`);
    return c;
  }

  function commitLog(store: MessageStore, from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    for (let at = from; at < to; ) {
      const b = store.readCommitLog(at, 1 << 20);
      if (!b || b.length === 0) throw new Error(`no commit-log bytes at ${at} (end ${to})`);
      parts.push(Buffer.from(b));
      at += b.length;
    }
    return Buffer.concat(parts);
  }

  async function expectSameQueue(m: MessageStore, s: MessageStore, topic: string, count: number): Promise<void> {
    const a = await m.getMessage('g', topic, 0, 0, count + 10, 64 << 20);
    const b = await s.getMessage('g', topic, 0, 0, count + 10, 64 << 20);
    expect(b.status).to.equal('FOUND');
    expect(s.getMaxOffsetInQueue(topic, 0)).to.equal(m.getMaxOffsetInQueue(topic, 0));
    expect(b.records.length).to.equal(a.records.length);
    b.records.forEach((r, i) => expect(r.equals(a.records[i])).to.equal(true, `record ${i}`));
  }

  it('replicates byte-identical commit-log bytes across files and dispatches them into the slave queues', async () => {
    const { store: m } = await openStore('ASYNC_MASTER');
    const { store: s } = await openStore('SLAVE');
    const svc = await master(m);
    slave(s, svc.port);
    await waitUntil(() => svc.slaves()[0]?.ackedOffset === 0, 5000, 'slave report');
    const topic = uniqueName('HA');
    const n = 60;
    for (let i = 0; i < n; i++) {
      const r = await m.putMessage(msg(topic, crypto.randomBytes(1000 + ((i * 997) % 9000))));
      expect(r.status).to.equal('PUT_OK');
    }
    const end = m.getMaxPhyOffset();
    expect(end).to.be.greaterThan(4 * FILE_SIZE);
    await waitUntil(() => s.getMaxPhyOffset() === end, 10000, 'slave catch-up');
    expect(commitLog(s, 0, end).equals(commitLog(m, 0, end))).to.equal(true);
    await waitUntil(() => s.getMaxOffsetInQueue(topic, 0) === n, 5000, 'slave dispatch');
    await expectSameQueue(m, s, topic, n);
  });

  it('resumes at the slave max offset after a broken link and after a slave restart', async () => {
    const { store: m } = await openStore('ASYNC_MASTER');
    const slaveSide = await openStore('SLAVE');
    const svc = await master(m);
    const proxy = await startProxy(svc.port);
    cleanups.push(() => proxy.close());
    const c1 = slave(slaveSide.store, proxy.port);
    const topic = uniqueName('HA');
    for (let i = 0; i < 10; i++) await m.putMessage(msg(topic, crypto.randomBytes(3000)));
    await waitUntil(() => slaveSide.store.getMaxPhyOffset() === m.getMaxPhyOffset(), 5000, 'first catch-up');
    proxy.cut();
    for (let i = 0; i < 10; i++) await m.putMessage(msg(topic, crypto.randomBytes(3000)));
    await waitUntil(() => slaveSide.store.getMaxPhyOffset() === m.getMaxPhyOffset(), 5000, 'catch-up after the break');
    expect(c1.stats.connects).to.equal(2);
    // Restart the slave: client and store, same data directory.
    await c1.shutdown();
    await slaveSide.store.shutdown();
    const before = slaveSide.store.getMaxPhyOffset();
    for (let i = 0; i < 10; i++) await m.putMessage(msg(topic, crypto.randomBytes(3000)));
    const reopened = await openStore('SLAVE', slaveSide.dir);
    expect(reopened.store.getMaxPhyOffset()).to.equal(before);
    slave(reopened.store, svc.port);
    await waitUntil(() => reopened.store.getMaxPhyOffset() === m.getMaxPhyOffset(), 5000, 'catch-up after restart');
    expect(svc.slaves().some((x) => x.requestOffset === before)).to.equal(true);
    const end = m.getMaxPhyOffset();
    expect(commitLog(reopened.store, 0, end).equals(commitLog(m, 0, end))).to.equal(true);
    await waitUntil(() => reopened.store.getMaxOffsetInQueue(topic, 0) === 30, 5000, 'dispatch after restart');
    await expectSameQueue(m, reopened.store, topic, 30);
  });

  it('starts an empty slave at the master last file and dispatches from there', async () => {
    const { store: m } = await openStore('ASYNC_MASTER');
    const topic = uniqueName('HA');
    for (let i = 0; i < 40; i++) await m.putMessage(msg(topic, crypto.randomBytes(5000)));
    const end = m.getMaxPhyOffset();
    const lastFile = end - (end % FILE_SIZE);
    expect(lastFile).to.be.greaterThan(0);
    const { store: s } = await openStore('SLAVE');
    const svc = await master(m);
    slave(s, svc.port);
    await waitUntil(() => s.getMaxPhyOffset() === end, 5000, 'catch-up');
    expect(s.getMinPhyOffset()).to.equal(lastFile);
    expect(commitLog(s, lastFile, end).equals(commitLog(m, lastFile, end))).to.equal(true);
    // Records written after the start are readable on the slave; new puts keep flowing.
    await m.putMessage(msg(topic, Buffer.from('after')));
    await waitUntil(() => s.getMaxPhyOffset() === m.getMaxPhyOffset(), 5000, 'next put');
    const last = s.lookMessageByOffset(end);
    expect(last?.equals(m.lookMessageByOffset(end)!)).to.equal(true);
    // The slave's queue carries the master's queue offsets for what it holds (41 messages; the first ones are not here).
    await waitUntil(() => s.getMaxOffsetInQueue(topic, 0) === 41, 5000, 'slave queue end');
    const got = await s.getMessage('g', topic, 0, 40, 1, 1 << 20);
    expect(got.status).to.equal('FOUND');
    expect(got.records[0].equals(m.lookMessageByOffset(end)!)).to.equal(true);
  });

  it('detects a block at the wrong offset and writes nothing', async () => {
    const { store: s } = await openStore('SLAVE');
    // Seed the slave with real bytes from a master, then point it at a liar.
    const { store: m } = await openStore('ASYNC_MASTER');
    const svc = await master(m);
    const c = slave(s, svc.port);
    await m.putMessage(msg(uniqueName('HA'), Buffer.alloc(500, 1)));
    await waitUntil(() => s.getMaxPhyOffset() === m.getMaxPhyOffset(), 5000, 'seed');
    const own = s.getMaxPhyOffset();
    const liarSockets = new Set<net.Socket>();
    const liar = net.createServer((sock) => {
      liarSockets.add(sock);
      sock.on('close', () => liarSockets.delete(sock));
      sock.on('error', () => undefined);
      sock.write(encodeBlock(own + 100, crypto.randomBytes(200)));
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          liar.close(() => r());
          for (const x of liarSockets) x.destroy();
        }),
    );
    c.setMasterAddress(`127.0.0.1:${(liar.address() as net.AddressInfo).port}`);
    await waitUntil(() => c.stats.mismatches >= 2, 5000, 'mismatch detection');
    expect(s.getMaxPhyOffset()).to.equal(own);
    expect(commitLog(s, 0, own).equals(commitLog(m, 0, own))).to.equal(true);
  });

  it('SYNC_MASTER: PUT_OK when the slave acks, SLAVE_NOT_AVAILABLE without one, FLUSH_SLAVE_TIMEOUT when it stalls', async () => {
    const { store: m } = await openStore('SYNC_MASTER');
    const svc = await master(m, { slaveTimeout: 300 });
    const topic = uniqueName('HA');
    // No slave: stored, but SLAVE_NOT_AVAILABLE.
    const alone = await m.putMessage(msg(topic, Buffer.from('alone')));
    expect(alone.status).to.equal('SLAVE_NOT_AVAILABLE');
    expect(m.getMaxOffsetInQueue(topic, 0)).to.equal(1);
    // A slave that reports once and never acks again: FLUSH_SLAVE_TIMEOUT, still stored.
    const stalled = net.connect(svc.port, '127.0.0.1');
    cleanups.push(() => void stalled.destroy());
    stalled.on('error', () => undefined);
    stalled.on('data', () => undefined);
    await new Promise<void>((r) => stalled.once('connect', () => r()));
    stalled.write(encodeReport(m.getMaxPhyOffset()));
    await waitUntil(() => svc.slaves().length === 1 && svc.slaves()[0].ackedOffset >= 0, 5000, 'stalled slave');
    const slow = await m.putMessage(msg(topic, Buffer.from('slow')));
    expect(slow.status).to.equal('FLUSH_SLAVE_TIMEOUT');
    expect(m.getMaxOffsetInQueue(topic, 0)).to.equal(2);
    stalled.destroy();
    await waitUntil(() => svc.slaves().length === 0, 5000, 'stalled slave gone');
    // A real slave: PUT_OK, and the slave holds the message when the put returns.
    const { store: s } = await openStore('SLAVE');
    slave(s, svc.port);
    await waitUntil(() => svc.slaves()[0]?.ackedOffset >= 0, 5000, 'slave report');
    for (let i = 0; i < 5; i++) {
      const r = await m.putMessage(msg(topic, crypto.randomBytes(2000)));
      expect(r.status).to.equal('PUT_OK');
      expect(s.getMaxPhyOffset()).to.be.at.least(r.appendResult!.physicalOffset + r.appendResult!.wroteBytes);
    }
  });
});
