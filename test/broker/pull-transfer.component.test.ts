/**
 * PULL_MESSAGE with the extra header field mqgTransferBytes (our client's PullRequest.transferBytes, used by the
 * gateway), over a real store: the answer goes beyond the store's per-pull transfer limits (32 messages, 256 KiB),
 * up to maxMsgNums and the given bytes, with consecutive offsets and nextBeginOffset just after the last; the bytes
 * are never passed (a store read that would pass them is left for the next pull). Without the field the answer is
 * RocketMQ's (32 messages at most). The client's field name is the broker's.
 */
import { expect } from 'chai';
import fs from 'fs';
import path from 'path';
import type { MessageStore } from '../../src/store';
import { decodeRecords } from '../../src/common/message';
import { ResponseCode } from '../../src/remoting';
import { TRANSFER_BYTES_FIELD, adjacentView } from '../../src/broker/pull-processor';
import { TRANSFER_BYTES_FIELD as CLIENT_FIELD } from '../../src/client/consumer/puller';
import { tempDir } from '../helpers/proc';
import { openStore, msg } from '../store/store-fixtures';
import { pullRequest, startTestBroker } from './harness';
import type { TestBroker } from './harness';

const TOPIC = 'PullTransfer';

describe('broker/pull beyond the store transfer limits (mqgTransferBytes)', function () {
  this.timeout(30000);
  const cleanups: Array<() => Promise<unknown> | void> = [];
  let b: TestBroker;

  before(async () => {
    const d = tempDir('mq-pull-transfer-');
    cleanups.push(d.cleanup);
    const store: MessageStore = await openStore(path.join(d.dir), { mappedFileSizeCommitLog: 16 * 1024 * 1024 });
    cleanups.push(() => store.shutdown());
    // Queue 0: 300 small messages; queue 1: 30 of 100 KiB.
    for (let i = 0; i < 300; i++) expect((await store.putMessage(msg(TOPIC, 0, Buffer.alloc(500, i % 256)))).status).to.equal('PUT_OK');
    for (let i = 0; i < 30; i++) expect((await store.putMessage(msg(TOPIC, 1, Buffer.alloc(100 * 1024, i)))).status).to.equal('PUT_OK');
    const bd = tempDir('mq-pull-transfer-b-');
    cleanups.push(bd.cleanup);
    fs.mkdirSync(path.join(bd.dir, 'config'));
    const tc = { topicName: TOPIC, readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
    fs.writeFileSync(path.join(bd.dir, 'config', 'topics.json'), JSON.stringify({ topicConfigTable: { [TOPIC]: tc } }));
    b = await startTestBroker({ storePathRootDir: bd.dir }, store);
    cleanups.push(() => b.stop());
  });

  after(async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  });

  async function pull(queueId: number, offset: number, maxMsgNums: number, transferBytes?: number): Promise<{ offsets: number[]; next: number; bytes: number }> {
    const req = pullRequest(TOPIC, { queueId, offset, maxMsgNums, sysFlag: 0x4, suspendMs: 0 });
    if (transferBytes !== undefined) req.extFields![TRANSFER_BYTES_FIELD] = String(transferBytes);
    const r = await b.client.invokeSync(b.addr, req);
    expect(r.code).to.equal(ResponseCode.SUCCESS);
    const recs = decodeRecords(r.body!);
    return { offsets: recs.map((x) => x.queueOffset), next: Number(r.extFields!.nextBeginOffset), bytes: r.body!.length };
  }

  it('an answer of records back to back in one read is one view of them, else undefined (copied)', () => {
    const read = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const view = adjacentView([read.subarray(10, 20), read.subarray(20, 35), read.subarray(35, 36)]);
    expect(view?.equals(Buffer.concat([read.subarray(10, 20), read.subarray(20, 35), read.subarray(35, 36)]))).to.equal(true);
    expect(view?.buffer).to.equal(read.buffer);
    expect(adjacentView([read.subarray(10, 20), read.subarray(21, 30)])).to.equal(undefined);
    expect(adjacentView([read.subarray(10, 20), Buffer.from(read.subarray(20, 30))])).to.equal(undefined);
  });

  it('the client and the broker name the same header field', () => {
    expect(CLIENT_FIELD).to.equal(TRANSFER_BYTES_FIELD);
  });

  it('without the field, at most the store limit (32); with it, up to maxMsgNums in one answer', async () => {
    const plain = await pull(0, 10, 200);
    expect(plain.offsets).to.deep.equal(Array.from({ length: 32 }, (_, i) => 10 + i));
    expect(plain.next).to.equal(42);
    const more = await pull(0, 10, 200, 1024 * 1024);
    expect(more.offsets).to.deep.equal(Array.from({ length: 200 }, (_, i) => 10 + i));
    expect(more.next).to.equal(210);
    // To the end of the queue.
    const tail = await pull(0, 250, 200, 1024 * 1024);
    expect(tail.offsets).to.deep.equal(Array.from({ length: 50 }, (_, i) => 250 + i));
    expect(tail.next).to.equal(300);
  });

  it('large messages: up to the given bytes, never past them; the next pull goes on from there', async () => {
    const first = await pull(1, 0, 128, 1024 * 1024);
    // 100 KiB records: 10 fit in 1 MiB (the store's own limit brings 2 per read).
    expect(first.bytes).to.be.at.most(1024 * 1024);
    expect(first.offsets.length).to.be.within(8, 10);
    expect(first.offsets).to.deep.equal(Array.from({ length: first.offsets.length }, (_, i) => i));
    const second = await pull(1, first.next, 128, 1024 * 1024);
    expect(second.offsets[0]).to.equal(first.next);
    const plain = await pull(1, 0, 128);
    expect(plain.offsets).to.deep.equal([0, 1]);
  });
});
