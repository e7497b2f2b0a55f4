/**
 * The store identity file and topic epochs (src/store/store-identity.ts, topic-config-table.ts) on a real directory:
 * an identity is created once and kept across loads, a slave's adopted id replaces it atomically, and a topic's epoch
 * is new on creation and re-creation, kept by updates, persisted in topics.json and copied by replaceAll.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { STORE_IDENTITY_FILE, StoreIdentity, TopicConfigTable, makeTopicConfig } from '../../src/store';
import { tempDir } from '../helpers/proc';

describe('store/store-identity', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('mq-store-id-')));
  afterEach(() => cleanup());

  it('creates an identity once, keeps it across loads, and a fresh directory gets another', async () => {
    const a = new StoreIdentity(dir);
    expect(await a.load()).to.equal(undefined);
    const id = await a.loadOrCreate();
    expect(id).to.match(/^[0-9a-f]{32}$/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, STORE_IDENTITY_FILE), 'utf8'))).to.include({ storeId: id, origin: 'created' });
    expect(await new StoreIdentity(dir).loadOrCreate()).to.equal(id);
    const other = tempDir('mq-store-id2-');
    try {
      expect(await new StoreIdentity(other.dir).loadOrCreate()).to.not.equal(id);
    } finally {
      other.cleanup();
    }
  });

  it('adopts a master\'s id (kept on reload) and rejects malformed ids; a torn file falls back to .bak', async () => {
    const s = new StoreIdentity(dir);
    const master = 'ab'.repeat(16);
    await s.adopt(master);
    expect(await new StoreIdentity(dir).load()).to.equal(master);
    const bad = await s.adopt('../etc').then(
      () => 'accepted',
      (err: Error) => err.message,
    );
    expect(bad).to.match(/not a store id/);
    const next = 'cd'.repeat(16);
    await s.adopt(next);
    fs.writeFileSync(path.join(dir, STORE_IDENTITY_FILE), '{"storeId":');
    expect(await new StoreIdentity(dir).load()).to.equal(master);
  });

  it('topic epochs: new on create and on re-create after delete, kept by update, persisted and copied', async () => {
    const t = new TopicConfigTable(dir);
    t.put(makeTopicConfig('T1', { readQueueNums: 4, writeQueueNums: 4 }));
    const e1 = t.get('T1')!.topicEpoch;
    expect(e1).to.match(/^[0-9a-f]{16}$/);
    t.put(makeTopicConfig('T1', { readQueueNums: 8, writeQueueNums: 8 }));
    expect(t.get('T1')!.topicEpoch).to.equal(e1);
    expect(t.get('T1')!.readQueueNums).to.equal(8);
    t.delete('T1');
    t.put(makeTopicConfig('T1'));
    const e2 = t.get('T1')!.topicEpoch;
    expect(e2).to.match(/^[0-9a-f]{16}$/).and.to.not.equal(e1);
    await t.persist();
    const u = new TopicConfigTable(dir);
    await u.load();
    expect(u.get('T1')!.topicEpoch).to.equal(e2);
    // A slave copying its master takes the master's epoch as it is.
    const slave = new TopicConfigTable(path.join(dir, 'slave'));
    slave.replaceAll({ T1: u.get('T1')! }, u.dataVersion());
    expect(slave.get('T1')!.topicEpoch).to.equal(e2);
    slave.put({ ...u.get('T1')!, topicEpoch: 'feedfacefeedface' });
    expect(slave.get('T1')!.topicEpoch).to.equal('feedfacefeedface');
  });

  it('a topic from an older topics.json (no epoch) keeps having none through updates', async () => {
    fs.writeFileSync(
      path.join(dir, 'topics.json'),
      JSON.stringify({ topicConfigTable: { Old: { topicName: 'Old', readQueueNums: 2, writeQueueNums: 2, perm: 6 } }, dataVersion: { timestamp: 1, counter: 1 } }),
    );
    const t = new TopicConfigTable(dir);
    await t.load();
    expect(t.get('Old')!.topicEpoch).to.equal(undefined);
    t.put(makeTopicConfig('Old', { readQueueNums: 3, writeQueueNums: 3 }));
    expect(t.get('Old')!.topicEpoch).to.equal(undefined);
  });
});
