/**
 * PULL_MESSAGE outside a queue's range, on a master and on a slave (ref §2.3.3, §8.4; RocketMQ's PullMessageProcessor
 * and DefaultMessageStore `nextOffsetCorrection`), over real stores:
 *   - master after retention: an offset below the min is PULL_OFFSET_MOVED with remark OFFSET_TOO_SMALL and the
 *     corrected nextBeginOffset (the min): the evidence that retention removed the messages;
 *   - a slave whose store starts later than the master's (it joined late and copied only the master's last segment):
 *     the same offset is PULL_RETRY_IMMEDIATELY, nextBeginOffset unchanged, suggesting the master (brokerId 0), never
 *     an offset move; likewise beyond its max and for a negative offset; with offsetCheckInSlave the slave corrects;
 *   - suggestWhichBrokerId with slaveReadEnable is the group's broker id (0, the master), not the slave's own id;
 *   - a master's offset move is recorded as a message in topic OFFSET_MOVED_EVENT (tag = group, JSON body with the
 *     queue, the requested and the new offset), as RocketMQ does; a slave's answer records nothing.
 */
import { expect } from 'chai';
import fs from 'fs';
import path from 'path';
import type { MessageStore } from '../../src/store';
import { decodeRecord } from '../../src/common/message';
import { ResponseCode } from '../../src/remoting';
import { tempDir } from '../helpers/proc';
import { openStore, msg } from '../store/store-fixtures';
import { createTopicRequest, pullRequest, startTestBroker } from './harness';
import type { TestBroker } from './harness';

const TOPIC = 'PullRange';
const SEG = 64 * 1024;

interface Answer {
  code: number;
  remark?: string;
  next: number;
  min: number;
  max: number;
  suggest: number;
}

async function pull(b: TestBroker, offset: number): Promise<Answer> {
  const r = await b.client.invokeSync(b.addr, pullRequest(TOPIC, { offset, sysFlag: 0x4, suspendMs: 0 }));
  const e = r.extFields ?? {};
  return {
    code: r.code,
    remark: r.remark,
    next: Number(e.nextBeginOffset),
    min: Number(e.minOffset),
    max: Number(e.maxOffset),
    suggest: Number(e.suggestWhichBrokerId),
  };
}

/** A slave's store as HA builds it for a slave that joined late: the master's last commit-log segment onwards. */
async function lateSlaveStore(master: MessageStore, dir: string, extra: Record<string, unknown> = {}): Promise<MessageStore> {
  const s = await openStore(dir, { brokerRole: 'SLAVE', ...extra });
  const end = master.getMaxPhyOffset();
  let pos = end - (end % SEG);
  while (pos < end) {
    const chunk = master.readCommitLog(pos, 32 * 1024);
    if (!chunk) break;
    expect(await s.appendCommitLogRaw(pos, chunk)).to.equal(true);
    pos += chunk.length;
  }
  return s;
}

/** A broker on `store`, with the topic already in its topics.json (a slave cannot be asked to create it). */
async function brokerOn(store: MessageStore, role: string, overrides: Record<string, unknown> = {}): Promise<TestBroker> {
  const dir = tempDir('mq-pull-range-');
  fs.mkdirSync(path.join(dir.dir, 'config'));
  const tc = { topicName: TOPIC, readQueueNums: 1, writeQueueNums: 1, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
  fs.writeFileSync(path.join(dir.dir, 'config', 'topics.json'), JSON.stringify({ topicConfigTable: { [TOPIC]: tc } }));
  const b = await startTestBroker({ brokerRole: role, brokerId: role === 'SLAVE' ? 1 : 0, storePathRootDir: dir.dir, ...overrides }, store);
  const stop = b.stop;
  b.stop = async () => {
    await stop();
    dir.cleanup();
  };
  return b;
}

describe('broker/pull outside the queue range: master vs slave', function () {
  this.timeout(30000);
  const cleanups: Array<() => Promise<unknown> | void> = [];
  let master: MessageStore;
  let late: number;

  before(async () => {
    const d = tempDir('mq-pull-range-m-');
    cleanups.push(d.cleanup);
    master = await openStore(d.dir, { fileReservedTime: 0, flushDiskType: 'SYNC_FLUSH' });
    cleanups.push(() => master.shutdown());
    // About three segments of 4 KiB messages in one queue.
    for (let i = 0; i < 40; i++) expect((await master.putMessage(msg(TOPIC, 0, Buffer.alloc(4000, i)))).status).to.equal('PUT_OK');
  });

  after(async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  });

  it('a late-started slave answers below its min offset with RETRY_IMMEDIATELY, unchanged offset, and suggests the master', async () => {
    const d = tempDir('mq-pull-range-s-');
    cleanups.push(d.cleanup);
    const s = await lateSlaveStore(master, d.dir);
    cleanups.push(() => s.shutdown());
    late = s.getMinOffsetInQueue(TOPIC, 0);
    expect(late, 'the slave store starts later than the master').to.be.greaterThan(0);
    const slave = await brokerOn(s, 'SLAVE', { slaveReadEnable: true });
    cleanups.push(() => slave.stop());

    const below = await pull(slave, 0);
    expect(below).to.deep.include({ code: ResponseCode.PULL_RETRY_IMMEDIATELY, remark: 'OFFSET_TOO_SMALL', next: 0, min: late, suggest: 0 });
    const beyond = await pull(slave, 45);
    expect(beyond).to.deep.include({ code: ResponseCode.PULL_RETRY_IMMEDIATELY, remark: 'OFFSET_OVERFLOW_BADLY', next: 45, suggest: 0 });
    const negative = await pull(slave, -1);
    expect(negative).to.deep.include({ code: ResponseCode.PULL_RETRY_IMMEDIATELY, next: -1, suggest: 0 });
    // Within its range the slave serves; with slaveReadEnable it still points the consumer back at the master (the
    // group's broker id), not at itself.
    const found = await pull(slave, late);
    expect(found).to.deep.include({ code: ResponseCode.SUCCESS, remark: 'FOUND', suggest: 0 });
  });

  it('with offsetCheckInSlave a slave corrects the offset like a master', async () => {
    const d = tempDir('mq-pull-range-s2-');
    cleanups.push(d.cleanup);
    const s = await lateSlaveStore(master, d.dir, { offsetCheckInSlave: true });
    cleanups.push(() => s.shutdown());
    const slave = await brokerOn(s, 'SLAVE', { offsetCheckInSlave: true });
    cleanups.push(() => slave.stop());
    const min = s.getMinOffsetInQueue(TOPIC, 0);
    expect(await pull(slave, 0)).to.deep.include({ code: ResponseCode.PULL_OFFSET_MOVED, remark: 'OFFSET_TOO_SMALL', next: min });
  });

  it('the master after retention answers PULL_OFFSET_MOVED / OFFSET_TOO_SMALL with its min offset', async () => {
    const m = await brokerOn(master, 'ASYNC_MASTER');
    cleanups.push(() => m.stop());
    expect((await m.client.invokeSync(m.addr, createTopicRequest(TOPIC, 1))).code).to.equal(ResponseCode.SUCCESS);
    expect(await pull(m, 0)).to.deep.include({ code: ResponseCode.SUCCESS, min: 0 });
    // Retention (fileReservedTime 0, run by hand): every segment but the newest goes.
    expect(master.cleanExpiredFiles(true)).to.be.greaterThan(0);
    const min = master.getMinOffsetInQueue(TOPIC, 0);
    expect(min).to.be.greaterThan(0);
    expect(await pull(m, 0)).to.deep.include({ code: ResponseCode.PULL_OFFSET_MOVED, remark: 'OFFSET_TOO_SMALL', next: min, min, suggest: 0 });
    expect(await pull(m, -1)).to.deep.include({ code: ResponseCode.PULL_OFFSET_MOVED, next: min });
    // Beyond the max (a cursor from another log): moved to the max, as RocketMQ does when the min is not 0.
    expect(await pull(m, 45)).to.deep.include({ code: ResponseCode.PULL_OFFSET_MOVED, remark: 'OFFSET_OVERFLOW_BADLY', next: 40 });
    expect(await pull(m, 40)).to.deep.include({ code: ResponseCode.PULL_NOT_FOUND, remark: 'OFFSET_OVERFLOW_ONE', next: 40 });

    // Each move above is an OFFSET_MOVED_EVENT message (ops tools read them); the slave tests before wrote none.
    // The events are appended after the answers (not awaited by the pull): wait for them, bounded.
    let events = await master.getMessage('ops', 'OFFSET_MOVED_EVENT', 0, 0, 32, 1 << 20);
    for (let i = 0; i < 100 && events.messageCount < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      events = await master.getMessage('ops', 'OFFSET_MOVED_EVENT', 0, 0, 32, 1 << 20);
    }
    expect(events.status).to.equal('FOUND');
    const decoded = events.records.map((r) => decodeRecord(r));
    expect(decoded.map((r) => r.properties.TAGS)).to.deep.equal(['CG', 'CG', 'CG']);
    const bodies = decoded.map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);
    expect(bodies[0]).to.deep.equal({
      consumerGroup: 'CG',
      messageQueue: { brokerName: m.broker.config.brokerName, queueId: 0, topic: TOPIC },
      offsetNew: min,
      offsetRequest: 0,
    });
    expect(bodies.map((b) => [b.offsetRequest, b.offsetNew])).to.deep.equal([
      [0, min],
      [-1, min],
      [45, 40],
    ]);
  });
});
