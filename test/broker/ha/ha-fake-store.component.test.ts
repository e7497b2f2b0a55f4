/**
 * HAService + HAClient over 127.0.0.1 with in-memory stores (FakeStore): the replication logic alone, independent of
 * the real store. The same scenarios against two real MessageStores are in ha-store.component.test.ts.
 */
import { expect } from 'chai';
import crypto from 'crypto';
import net from 'net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { BlockDecoder, HAClient, HAService, encodeBlock, encodeReport } from '../../../src/broker/ha';
import type { TransferBlock } from '../../../src/broker/ha';
import { FakeStore } from './fake-store';
import { startProxy } from './tcp-proxy';
import { waitUntil } from './wait';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });
/** Fast timers so that reconnects and heartbeats happen within a test. */
const FAST = { haSendHeartbeatInterval: 100, haConnectRetryInterval: 50, haHousekeepingInterval: 2000 };

describe('HA service and client with in-memory stores', function () {
  this.timeout(15000);
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function master(store: FakeStore, extra: Record<string, unknown> = {}, registry?: Registry): Promise<HAService> {
    const svc = new HAService(store, { haListenPort: 0, haBindAddress: '127.0.0.1', ...FAST, ...extra }, { logger, registry });
    cleanups.push(() => svc.shutdown());
    await svc.start();
    return svc;
  }

  function slave(store: FakeStore, port: number, extra: Record<string, unknown> = {}): HAClient {
    const c = new HAClient(store, { ...FAST, ...extra }, { logger });
    cleanups.push(() => c.shutdown());
    c.start();
    c.setMasterAddress(`127.0.0.1:${port}`);
    return c;
  }

  it('replicates bytes identically across file boundaries, in blocks of at most haTransferBatchSize', async () => {
    const m = new FakeStore(4096);
    const s = new FakeStore(4096);
    const svc = await master(m, { haTransferBatchSize: 1024 });
    slave(s, svc.port);
    await waitUntil(() => svc.slaves()[0]?.ackedOffset === 0, 5000);
    await m.put(crypto.randomBytes(10000));
    await m.put(crypto.randomBytes(5000));
    await waitUntil(() => s.getMaxPhyOffset() === m.getMaxPhyOffset(), 5000);
    expect(s.bytes(0).equals(m.bytes(0))).to.equal(true);
    await waitUntil(() => svc.slaves()[0]?.ackedOffset === m.getMaxPhyOffset(), 5000);
    // On the wire: a raw slave from 0 gets blocks of at most haTransferBatchSize (the decoder refuses bigger ones),
    // none crossing a file boundary, that rebuild the log exactly.
    const raw = net.connect(svc.port, '127.0.0.1');
    cleanups.push(() => void raw.destroy());
    const decoder = new BlockDecoder(1024);
    const blocks: TransferBlock[] = [];
    raw.on('data', (c: Buffer) => blocks.push(...decoder.push(c)));
    raw.write(encodeReport(1)); // a non-zero request: stream from offset 1
    await waitUntil(() => blocks.reduce((n, b) => n + b.data.length, 0) === m.getMaxPhyOffset() - 1, 5000, 'raw stream');
    for (const b of blocks.filter((x) => x.data.length > 0)) {
      expect(Math.floor(b.phyOffset / 4096)).to.equal(Math.floor((b.phyOffset + b.data.length - 1) / 4096));
    }
    expect(Buffer.concat(blocks.map((b) => b.data)).equals(m.bytes(1))).to.equal(true);
  });

  it('starts an empty slave at the beginning of the master last file', async () => {
    const m = new FakeStore(4096);
    await m.put(crypto.randomBytes(4096 * 2 + 100));
    const s = new FakeStore(4096);
    const svc = await master(m);
    slave(s, svc.port);
    await waitUntil(() => s.getMaxPhyOffset() === m.getMaxPhyOffset(), 5000);
    expect(s.getMinPhyOffset()).to.equal(8192);
    expect(s.bytes(8192).equals(m.bytes(8192))).to.equal(true);
  });

  it('resumes at the slave max offset after the master restarts, writing every byte once', async () => {
    const m = new FakeStore(4096);
    const s = new FakeStore(4096);
    const first = await master(m);
    const port = first.port;
    slave(s, port);
    await m.put(crypto.randomBytes(3000));
    await waitUntil(() => s.getMaxPhyOffset() === 3000, 5000);
    await first.shutdown();
    await m.put(crypto.randomBytes(2000)); // written while the slave is disconnected
    const second = await master(m, { haListenPort: port });
    await waitUntil(() => s.getMaxPhyOffset() === 5000, 5000);
    expect(second.slaves()[0].requestOffset).to.equal(3000);
    expect(s.bytes(0).equals(m.bytes(0))).to.equal(true);
    expect(s.appendCalls.reduce((n, a) => n + a.size, 0)).to.equal(5000);
  });

  it('resumes after the TCP link breaks, without restarting either side', async () => {
    const m = new FakeStore(1 << 20);
    const s = new FakeStore(1 << 20);
    const svc = await master(m);
    const proxy = await startProxy(svc.port);
    cleanups.push(() => proxy.close());
    const c = slave(s, proxy.port);
    await m.put(crypto.randomBytes(1000));
    await waitUntil(() => s.getMaxPhyOffset() === 1000, 5000);
    proxy.cut();
    await m.put(crypto.randomBytes(1000));
    await waitUntil(() => s.getMaxPhyOffset() === 2000, 5000);
    expect(c.stats.connects).to.equal(2);
    expect(proxy.accepted()).to.equal(2);
    expect(s.bytes(0).equals(m.bytes(0))).to.equal(true);
    expect(s.appendCalls.reduce((n, a) => n + a.size, 0)).to.equal(2000);
    await waitUntil(() => svc.slaves().length === 1 && svc.slaves()[0].requestOffset === 1000, 5000);
  });

  it('detects a block at the wrong offset, writes nothing and reconnects', async () => {
    const s = new FakeStore(4096);
    await s.appendCommitLogRaw(0, Buffer.alloc(100, 1));
    s.appendCalls = [];
    let connections = 0;
    const reports: Buffer[] = [];
    const open = new Set<net.Socket>();
    const fakeMaster = net.createServer((sock) => {
      connections++;
      open.add(sock);
      sock.on('close', () => open.delete(sock));
      sock.on('data', (d) => reports.push(d));
      sock.on('error', () => undefined);
      // Slave is at 100; send data claiming to start at 150 (a gap).
      sock.write(encodeBlock(150, Buffer.alloc(50, 2)));
    });
    await new Promise<void>((r) => fakeMaster.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          fakeMaster.close(() => r());
          for (const x of open) x.destroy();
        }),
    );
    const port = (fakeMaster.address() as net.AddressInfo).port;
    const c = slave(s, port);
    await waitUntil(() => c.stats.mismatches >= 2 && connections >= 2, 5000);
    expect(s.appendCalls).to.deep.equal([]);
    expect(s.getMaxPhyOffset()).to.equal(100);
    // The first report on each connection is the slave's own max offset.
    expect(reports[0].subarray(0, 8).equals(encodeReport(100))).to.equal(true);
  });

  it('SYNC_MASTER: PUT_OK once the slave acks', async () => {
    const m = new FakeStore(1 << 20);
    const s = new FakeStore(1 << 20);
    const svc = await master(m);
    slave(s, svc.port);
    await waitUntil(() => svc.slaves()[0]?.ackedOffset === 0, 5000);
    for (let i = 0; i < 20; i++) expect(await m.put(crypto.randomBytes(500), true)).to.equal('PUT_OK');
    // Acknowledged means the slave holds every byte at once, not eventually.
    expect(s.bytes(0).equals(m.bytes(0))).to.equal(true);
  });

  it('SYNC_MASTER: SLAVE_NOT_AVAILABLE without a slave or with one too far behind; the bytes stay stored', async () => {
    const m = new FakeStore(1 << 20);
    const svc = await master(m, { haSlaveFallbehindMax: 1000 });
    expect(await m.put(Buffer.alloc(10), true)).to.equal('SLAVE_NOT_AVAILABLE');
    expect(m.getMaxPhyOffset()).to.equal(10);
    // A slave that reported 0 and stalls: 2000 bytes behind > haSlaveFallbehindMax.
    const s = new FakeStore(1 << 20);
    s.stall = new Promise(() => undefined);
    slave(s, svc.port);
    await waitUntil(() => svc.slaves().length === 1 && svc.slaves()[0].ackedOffset === 0, 5000);
    expect(await m.put(Buffer.alloc(2000), true)).to.equal('SLAVE_NOT_AVAILABLE');
  });

  it('SYNC_MASTER: FLUSH_SLAVE_TIMEOUT after slaveTimeout when the slave stalls', async () => {
    const m = new FakeStore(1 << 20);
    const svc = await master(m, { slaveTimeout: 300 });
    const s = new FakeStore(1 << 20);
    let release!: () => void;
    s.stall = new Promise<void>((r) => (release = r));
    slave(s, svc.port);
    await waitUntil(() => svc.slaves()[0]?.ackedOffset === 0, 5000);
    expect(await m.put(Buffer.alloc(100, 7), true)).to.equal('FLUSH_SLAVE_TIMEOUT');
    expect(m.getMaxPhyOffset()).to.equal(100);
    // Once the slave unstalls it catches up, and the next put is acknowledged.
    s.stall = null;
    release();
    expect(await m.put(Buffer.alloc(100, 8), true)).to.equal('PUT_OK');
    expect(s.bytes(0).equals(m.bytes(0))).to.equal(true);
  });

  it('closes a slave that claims more than the master has', async () => {
    const m = new FakeStore(4096);
    await m.put(Buffer.alloc(100));
    const svc = await master(m);
    const sock = net.connect(svc.port, '127.0.0.1');
    cleanups.push(() => void sock.destroy());
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.on('error', () => undefined);
    sock.write(encodeReport(5000));
    await closed;
    expect(svc.slaves()).to.have.length(0);
  });

  it('exports lag and connection metrics, and holds retention at the slowest slave', async () => {
    const registry = new Registry();
    const m = new FakeStore(1 << 20);
    const svc = await master(m, {}, registry);
    const s = new FakeStore(1 << 20);
    let release!: () => void;
    s.stall = new Promise<void>((r) => (release = r));
    slave(s, svc.port);
    await waitUntil(() => svc.slaves()[0]?.ackedOffset === 0, 5000);
    await m.put(Buffer.alloc(5000));
    await new Promise((r) => setTimeout(r, 250));
    const text = await registry.metrics();
    expect(text).to.match(/^mq_broker_replication_lag_bytes 5000$/m);
    const secs = /^mq_broker_replication_lag_seconds ([\d.e-]+)$/m.exec(text);
    expect(Number(secs?.[1])).to.be.greaterThan(0);
    expect(text).to.match(/^mq_broker_slaves_connected 1$/m);
    expect(typeof m.replicatedOffset === 'function' ? m.replicatedOffset() : m.replicatedOffset).to.equal(0);
    s.stall = null;
    release();
    await waitUntil(() => svc.slaves()[0].ackedOffset === 5000, 5000);
    const after = await registry.metrics();
    expect(after).to.match(/^mq_broker_replication_lag_bytes 0$/m);
    expect(after).to.match(/^mq_broker_replication_lag_seconds 0$/m);
  });
});
