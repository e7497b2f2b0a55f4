/**
 * SlaveSynchronize against a fake master (one real RemotingServer): topics and offsets are copied, offsets committed
 * on the slave while the master was away are handed back when it returns, a dead master is survived.
 */
import { expect } from 'chai';
import pino from 'pino';
import { SlaveSynchronize, encodeOffsetTable, readOffsetTable } from '../../../src/broker/ha';
import type { SlaveSyncTarget } from '../../../src/broker/ha';
import { RemotingClient, RemotingCommand, RemotingServer, RequestCode, ResponseCode } from '../../../src/remoting';
import type { DataVersion, TopicConfig } from '../../../src/remoting';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });

class Tables implements SlaveSyncTarget {
  applyStoreId?: (storeId: string) => boolean;
  /** When true, the target lists its offsets so that SlaveSynchronize detects local commits by itself. */
  constructor(private readonly listOffsets = false) {}
  topics: TopicConfig[] = [];
  version: DataVersion | null = null;
  offsets = new Map<string, number>();
  applyTopicConfigs(configs: TopicConfig[], dataVersion: DataVersion): void {
    this.topics = configs;
    this.version = dataVersion;
  }
  setConsumerOffset(group: string, topic: string, queueId: number, offset: number): void {
    this.offsets.set(`${topic}@${group}#${queueId}`, offset);
  }
  consumerOffsets(): Array<{ group: string; topic: string; queueId: number; offset: number }> {
    if (!this.listOffsets) return [];
    return [...this.offsets].map(([k, offset]) => {
      const m = /^(.*)@(.*)#(\d+)$/.exec(k)!;
      return { topic: m[1], group: m[2], queueId: Number(m[3]), offset };
    });
  }
}

describe('SlaveSynchronize (ref §8.1, §8.5)', function () {
  this.timeout(10000);
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A fake master holding a topic table and an offset table; records UPDATE_CONSUMER_OFFSET calls. */
  async function fakeMaster(port = 0, storeId?: string) {
    const state = {
      offsets: { 'TopicA@G1': { 0: 10, 1: 20 } } as Record<string, Record<number, number>>,
      updates: [] as Record<string, string>[],
    };
    const server = new RemotingServer({ listenPort: port, host: '127.0.0.1', name: 'fake-master', logger });
    server.registerProcessor(RequestCode.GET_ALL_TOPIC_CONFIG, () => {
      // fastjson style: bare integer keys elsewhere, nested AtomicLong counter.
      const body = `{"dataVersion":{"counter":{"value":7},"timestamp":1700000000000},"topicConfigTable":{"TopicA":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicA","topicSysFlag":0,"writeQueueNums":4,"topicEpoch":"0123456789abcdef"},"TopicOld":{"perm":6,"readQueueNums":1,"topicName":"TopicOld","writeQueueNums":1}}}`;
      return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, storeId ? { storeId } : undefined, Buffer.from(body));
    });
    server.registerProcessor(RequestCode.GET_ALL_CONSUMER_OFFSET, () => {
      const inner = (m: Record<number, number>) =>
        '{' + Object.entries(m).map(([q, o]) => `${q}:${o}`).join(',') + '}';
      const body =
        '{"offsetTable":{' + Object.entries(state.offsets).map(([k, m]) => `"${k}":${inner(m)}`).join(',') + '}}';
      return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, undefined, Buffer.from(body));
    });
    server.registerProcessor(RequestCode.UPDATE_CONSUMER_OFFSET, (req) => {
      const ext = req.extFields ?? {};
      state.updates.push(ext);
      const k = `${ext.topic}@${ext.consumerGroup}`;
      state.offsets[k] = { ...(state.offsets[k] ?? {}), [Number(ext.queueId)]: Number(ext.commitOffset) };
      return RemotingCommand.createResponse(ResponseCode.SUCCESS);
    });
    const bound = await server.start();
    cleanups.push(() => server.close());
    return { server, state, addr: `127.0.0.1:${bound}`, port: bound };
  }

  function sync(tables: Tables, addr: string) {
    const client = new RemotingClient({ connectTimeoutMs: 500, logger });
    cleanups.push(() => client.close());
    const s = new SlaveSynchronize(client, tables, { slaveSyncTimeout: 1000 }, { logger });
    cleanups.push(() => s.shutdown());
    s.setMasterAddress(addr);
    return s;
  }

  it('copies the topic configs and consumer offsets of the master', async () => {
    const m = await fakeMaster();
    const t = new Tables();
    const s = sync(t, m.addr);
    expect(await s.syncOnce()).to.equal(true);
    expect(t.topics.map((x) => [x.topicName, x.readQueueNums, x.perm])).to.deep.equal([
      ['TopicA', 4, 6],
      ['TopicOld', 1, 6],
    ]);
    // The master's topic epochs are copied; a topic without one has the default epoch, never one of the slave's own.
    expect(t.topics.map((x) => x.topicEpoch)).to.deep.equal(['0123456789abcdef', '0']);
    expect(t.version).to.deep.equal({ timestamp: 1700000000000, counter: 7 });
    expect(t.offsets.get('TopicA@G1#0')).to.equal(10);
    expect(t.offsets.get('TopicA@G1#1')).to.equal(20);
  });

  it('keeps offsets committed on the slave while the master is away and hands them back when it returns', async () => {
    const m = await fakeMaster();
    const t = new Tables();
    const s = sync(t, m.addr);
    await m.server.close(); // master down
    // Consumers commit to the slave meanwhile: one ahead of the master, one behind it.
    t.setConsumerOffset('G1', 'TopicA', 0, 15);
    s.noteLocalCommit('G1', 'TopicA', 0, 15);
    t.setConsumerOffset('G1', 'TopicA', 1, 5);
    s.noteLocalCommit('G1', 'TopicA', 1, 5);
    expect(await s.syncOnce()).to.equal(false);
    expect(t.offsets.get('TopicA@G1#0')).to.equal(15);
    expect(s.pendingCommits()).to.have.length(2);
    // The master returns on the same port with its old table.
    const back = await fakeMaster(m.port);
    back.state.offsets = { 'TopicA@G1': { 0: 10, 1: 20 } };
    expect(await s.syncOnce()).to.equal(true);
    expect(back.state.updates.map((u) => [u.queueId, u.commitOffset])).to.deep.equal([['0', '15']]);
    expect(back.state.offsets['TopicA@G1'][0]).to.equal(15);
    expect(t.offsets.get('TopicA@G1#0')).to.equal(15); // not rolled back to the master's stale 10
    expect(t.offsets.get('TopicA@G1#1')).to.equal(20); // the master was ahead there
    expect(s.pendingCommits()).to.deep.equal([]);
    expect(s.stats.handedBack).to.equal(1);
  });

  it('detects offsets committed on the slave from the target table alone, after a first sync', async () => {
    const m = await fakeMaster();
    const t = new Tables(true);
    const s = sync(t, m.addr);
    expect(await s.syncOnce()).to.equal(true);
    expect(m.state.updates).to.deep.equal([]); // nothing committed locally yet
    await m.server.close();
    t.setConsumerOffset('G1', 'TopicA', 1, 33); // a consumer commits to the slave (offset processor)
    t.setConsumerOffset('G2', 'TopicA', 0, 3); // a group the master never had
    expect(await s.syncOnce()).to.equal(false);
    const back = await fakeMaster(m.port);
    expect(await s.syncOnce()).to.equal(true);
    expect(back.state.updates.map((u) => [u.consumerGroup, u.queueId, u.commitOffset]).sort()).to.deep.equal([
      ['G1', '1', '33'],
      ['G2', '0', '3'],
    ]);
    expect(t.offsets.get('TopicA@G1#1')).to.equal(33);
    // The next round hands back nothing more.
    expect(await s.syncOnce()).to.equal(true);
    expect(back.state.updates).to.have.length(2);
  });

  it('encodes the offset table the way the slave reads it back', () => {
    const entries = [
      { group: 'G', topic: 'T', queueId: 0, offset: 5 },
      { group: 'G', topic: 'T', queueId: 3, offset: 2 ** 40 },
      { group: 'H', topic: '%RETRY%H', queueId: 0, offset: 0 },
    ];
    const body = JSON.parse(encodeOffsetTable(entries).toString()) as Record<string, unknown>;
    expect(readOffsetTable(body)).to.deep.equal(entries);
  });

  it('does nothing without a master address', async () => {
    const t = new Tables();
    const s = sync(t, '');
    expect(await s.syncOnce()).to.equal(false);
    expect(t.topics).to.deep.equal([]);
  });

  it('passes the master\'s store id on; a slave of another master hands back no offsets and copies none', async () => {
    const m = await fakeMaster(0, 'ab'.repeat(16));
    const seen: string[] = [];
    let same = true;
    const t = new Tables();
    t.applyStoreId = (id: string): boolean => {
      seen.push(id);
      return same;
    };
    const s = sync(t, m.addr);
    expect(await s.syncOnce()).to.equal(true);
    expect(seen).to.deep.equal(['ab'.repeat(16)]);
    expect(t.offsets.get('TopicA@G1#0')).to.equal(10);
    // The store turns out to belong to another master: what consumers committed here is never handed back.
    same = false;
    t.offsets.clear();
    s.noteLocalCommit('G1', 'TopicA', 0, 99);
    expect(await s.syncOnce()).to.equal(true);
    expect(m.state.updates).to.deep.equal([]);
    expect(s.pendingCommits()).to.deep.equal([]);
    expect(t.offsets.size).to.equal(0);
  });
});
