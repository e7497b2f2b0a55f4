import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { ConsumerOffsetTable, JsonConfigFile, TopicConfigTable, makeTopicConfig, quoteBareIntegerKeys } from '../../src/store';
import { tempDir } from '../helpers/proc';

describe('store/metadata files', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('mq-store-meta-')));
  afterEach(() => cleanup());

  it('persists consumer offsets as fastjson-style consumerOffset.json and loads them back', async () => {
    const t = new ConsumerOffsetTable(dir);
    t.commitOffset('g1', 'TopicA', 0, 12);
    t.commitOffset('g1', 'TopicA', 3, 7);
    t.commitOffset('g2', 'TopicA', 0, 1);
    await t.persist();
    const text = fs.readFileSync(path.join(dir, 'consumerOffset.json'), 'utf8');
    // ref §5.10: keys topic@group, bare integer queue-id keys.
    expect(text).to.contain('"TopicA@g1":{0:12,3:7}');
    const u = new ConsumerOffsetTable(dir);
    expect(await u.load()).to.equal(true);
    expect(u.queryOffset('g1', 'TopicA', 3)).to.equal(7);
    expect(u.queryOffset('g2', 'TopicA', 0)).to.equal(1);
    expect(u.queryOffset('g2', 'TopicA', 5)).to.equal(-1);
    expect(u.keys().sort()).to.deep.equal(['TopicA@g1', 'TopicA@g2']);
  });

  it('falls back to the .bak copy when the main file is empty or broken', async () => {
    const t = new ConsumerOffsetTable(dir);
    t.commitOffset('g', 'T', 0, 5);
    await t.persist();
    t.commitOffset('g', 'T', 0, 6);
    await t.persist();
    // A torn main file: the previous good content is in .bak.
    fs.writeFileSync(path.join(dir, 'consumerOffset.json'), '{"offsetTable":{"T@g":{0:');
    const u = new ConsumerOffsetTable(dir);
    expect(await u.load()).to.equal(true);
    expect(u.queryOffset('g', 'T', 0)).to.equal(5);
    fs.writeFileSync(path.join(dir, 'consumerOffset.json'), '');
    expect(await new ConsumerOffsetTable(dir).load()).to.equal(true);
    expect(await new ConsumerOffsetTable(path.join(dir, 'nothing-here')).load()).to.equal(false);
    expect(fs.existsSync(path.join(dir, 'consumerOffset.json.tmp'))).to.equal(false);
  });

  it('persists topics.json in the TopicConfigSerializeWrapper form with a data version', async () => {
    const t = new TopicConfigTable(dir);
    const v0 = t.dataVersion().counter;
    t.put(makeTopicConfig('TopicA', { readQueueNums: 4, writeQueueNums: 4 }));
    t.put(makeTopicConfig('TopicB'));
    expect(t.dataVersion().counter).to.equal(v0 + 2);
    await t.persist();
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'topics.json'), 'utf8')) as {
      topicConfigTable: Record<string, { perm: number; readQueueNums: number; topicFilterType: string }>;
      dataVersion: { counter: number; timestamp: number };
    };
    expect(json.topicConfigTable.TopicA.readQueueNums).to.equal(4);
    expect(json.topicConfigTable.TopicB).to.include({ perm: 6, readQueueNums: 16, topicFilterType: 'SINGLE_TAG' });
    expect(json.dataVersion.counter).to.equal(v0 + 2);
    const u = new TopicConfigTable(dir);
    expect(await u.load()).to.equal(true);
    expect(u.get('TopicA')?.writeQueueNums).to.equal(4);
    expect(u.dataVersion()).to.deep.equal(t.dataVersion());
    expect(u.delete('TopicA')).to.equal(true);
    expect(u.has('TopicA')).to.equal(false);
  });

  it('serves built-in topics without writing them, and keeps them over a file entry of the same name', async () => {
    const t = new TopicConfigTable(dir);
    const v0 = t.dataVersion();
    t.putBuiltIn(makeTopicConfig('SELF_TEST_TOPIC', { readQueueNums: 1, writeQueueNums: 1 }));
    // Defining a built-in is part of the starting state: the data version does not move.
    expect(t.dataVersion()).to.deep.equal(v0);
    t.put(makeTopicConfig('TopicA', { readQueueNums: 4, writeQueueNums: 4 }));
    expect(t.toWrapper().topicConfigTable).to.have.keys('SELF_TEST_TOPIC', 'TopicA');
    await t.persist();
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'topics.json'), 'utf8')) as { topicConfigTable: object };
    expect(json.topicConfigTable).to.have.keys('TopicA');
    // A file that does list a built-in (hand-edited, or written by another broker): the built-in definition wins.
    fs.writeFileSync(
      path.join(dir, 'topics.json'),
      JSON.stringify({ topicConfigTable: { SELF_TEST_TOPIC: { readQueueNums: 9 }, TopicB: {} }, dataVersion: { timestamp: 5, counter: 3 } }),
    );
    const u = new TopicConfigTable(dir);
    u.putBuiltIn(makeTopicConfig('SELF_TEST_TOPIC', { readQueueNums: 1, writeQueueNums: 1 }));
    expect(await u.load()).to.equal(true);
    expect(u.get('SELF_TEST_TOPIC')?.readQueueNums).to.equal(1);
    expect(u.get('TopicB')?.readQueueNums).to.equal(16);
    expect(u.dataVersion()).to.deep.equal({ timestamp: 5, counter: 3 });
    expect(u.isBuiltIn('SELF_TEST_TOPIC')).to.equal(true);
    expect(u.delete('SELF_TEST_TOPIC')).to.equal(true);
    expect(u.isBuiltIn('SELF_TEST_TOPIC')).to.equal(false);
  });

  it('lists offsets as entries, drops a topic, and treats negative offsets in a file as none', async () => {
    fs.writeFileSync(path.join(dir, 'consumerOffset.json'), '{"offsetTable":{"T@g":{0:4,1:-1},"U@g":{"2":8}}}');
    const t = new ConsumerOffsetTable(dir);
    expect(await t.load()).to.equal(true);
    expect(t.queryOffset('g', 'T', 1)).to.equal(-1);
    expect(t.entries()).to.deep.equal([
      { group: 'g', topic: 'T', queueId: 0, offset: 4 },
      { group: 'g', topic: 'U', queueId: 2, offset: 8 },
    ]);
    t.removeTopic('T');
    expect(t.keys()).to.deep.equal(['U@g']);
  });

  it('auto-persists both tables until stopped', async () => {
    const offsets = new ConsumerOffsetTable(dir);
    const topics = new TopicConfigTable(dir);
    topics.putBuiltIn(makeTopicConfig('SELF_TEST_TOPIC'));
    offsets.commitOffset('g', 'T', 0, 3);
    topics.put(makeTopicConfig('T'));
    offsets.startAutoPersist(5);
    topics.startAutoPersist(5);
    const bothWritten = (): boolean => fs.existsSync(path.join(dir, 'consumerOffset.json')) && fs.existsSync(path.join(dir, 'topics.json'));
    let written = false;
    try {
      // Bounded wait for the first interval's writes (at most ~2 s).
      for (let i = 0; i < 200 && !written; i++) {
        await new Promise((r) => setTimeout(r, 10));
        written = bothWritten();
      }
    } finally {
      offsets.stopAutoPersist();
      topics.stopAutoPersist();
    }
    // Saves are queued: these resolve after any timer save still under way, so nothing writes after cleanup.
    await Promise.all([offsets.persist(), topics.persist()]);
    expect(written).to.equal(true);
    const o = new ConsumerOffsetTable(dir);
    expect(await o.load()).to.equal(true);
    expect(o.queryOffset('g', 'T', 0)).to.equal(3);
    const t = new TopicConfigTable(dir);
    expect(await t.load()).to.equal(true);
    expect(t.all().map((c) => c.topicName)).to.deep.equal(['T']);
  });

  it('never interleaves concurrent saves and quotes only bare integer keys', async () => {
    const f = new JsonConfigFile<{ n: number }>(path.join(dir, 'x.json'), {
      encode: (v) => JSON.stringify(v),
      decode: (s) => JSON.parse(s) as { n: number },
    });
    await Promise.all(Array.from({ length: 20 }, (_, n) => f.save({ n })));
    expect(await f.load()).to.deep.equal({ n: 19 });
    expect(quoteBareIntegerKeys('{0:"a",-1:{2:"x{3:4}"}}')).to.equal('{"0":"a","-1":{"2":"x{3:4}"}}');
  });
});
