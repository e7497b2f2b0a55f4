/**
 * SYNC_FLUSH with a stalling disk, over the wire: a real broker over a real store whose commit-log fsyncs stall for
 * up to 500 ms. At ~1,000 msg/s no send may be refused with SYSTEM_BUSY (a send holds its send-queue slot only until
 * its put reached the OS, not until the fsync ends), every reply is PUT_OK or FLUSH_DISK_TIMEOUT, an OK reply comes
 * only after the fsync that covers the message, and every acknowledged message is in the store.
 */
import { expect } from 'chai';
import pino from 'pino';
import { RemotingCommand, ResponseCode } from '../../src/remoting';
import { decodeSendMessageResponseHeader } from '../../src/remoting/header/send-message-response';
import { decodeOffsetMsgId } from '../../src/common/message';
import { MessageStore } from '../../src/store';
import { tempDir, uniqueName } from '../helpers/proc';
import { createTopicRequest, sendRequest, startTestBroker } from './harness';
import type { TestBroker } from './harness';

const RATE = 1000; // msg/s
const TOTAL = 1500;

interface Outcome {
  code: number;
  remark?: string;
  phys?: number;
  /** commitLog.flushedPos when the reply arrived. */
  flushedAtReply: number;
  body: string;
}

describe('broker send path under SYNC_FLUSH with stalling fsyncs (component, real store)', function () {
  this.timeout(60000);

  async function run(syncFlushTimeout: number): Promise<{ outcomes: Outcome[]; real: MessageStore; topic: string; cleanup: () => Promise<void> }> {
    const tmp = tempDir('mq-sync-flush-');
    const real = new MessageStore(
      { storePathRootDir: tmp.dir, mappedFileSizeCommitLog: 16 * 1024 * 1024, flushDiskType: 'SYNC_FLUSH', syncFlushTimeout },
      { logger: pino({ level: 'silent' }) },
    );
    await real.load();
    await real.start();
    // The injected slow disk: every commit-log fsync takes 500 ms longer (the fsync itself runs first, so the flushed
    // position it reports covers only what was written before it began).
    const cl = real.commitLog;
    const flush = cl.flush.bind(cl);
    let stalls = 0;
    cl.flush = async () => {
      const pos = await flush();
      stalls++;
      await new Promise((r) => setTimeout(r, 500));
      return pos;
    };
    let b: TestBroker | undefined;
    const cleanup = async (): Promise<void> => {
      await b?.stop();
      await real.shutdown();
      tmp.cleanup();
    };
    try {
      // Defaults for the send queue (64 in flight, 200 ms in the queue at most): what an operator runs.
      b = await startTestBroker({ flushDiskType: 'SYNC_FLUSH', syncFlushTimeout }, real);
      const broker = b;
      const topic = uniqueName('SF');
      expect((await broker.client.invokeSync(broker.addr, createTopicRequest(topic, 1), 30000)).code).to.equal(0);
      const pending: Array<Promise<Outcome>> = [];
      const started = Date.now();
      // Paced: every 10 ms, as many sends as keep the total at RATE msg/s since the start (bounded by TOTAL).
      while (pending.length < TOTAL) {
        const due = Math.min(TOTAL, Math.floor(((Date.now() - started) * RATE) / 1000) + 1);
        while (pending.length < due) {
          const body = `m-${pending.length}`;
          pending.push(
            broker.client.invokeSync(broker.addr, sendRequest(topic, Buffer.from(body)), 30000).then((r: RemotingCommand) => {
              const flushedAtReply = cl.flushedPos;
              let phys: number | undefined;
              if (r.code === ResponseCode.SUCCESS || r.code === ResponseCode.FLUSH_DISK_TIMEOUT) {
                phys = decodeOffsetMsgId(decodeSendMessageResponseHeader(r.extFields).msgId).physicalOffset;
              }
              return { code: r.code, remark: r.remark, phys, flushedAtReply, body };
            }),
          );
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      const outcomes = await Promise.all(pending);
      expect(stalls, 'fsyncs stalled').to.be.greaterThan(1);
      return { outcomes, real, topic, cleanup };
    } catch (err) {
      await cleanup();
      throw err;
    }
  }

  function summary(outcomes: Outcome[]): Record<string, number> {
    const s: Record<string, number> = {};
    for (const o of outcomes) {
      const k = o.code === 0 ? 'OK' : `${o.code}:${(o.remark ?? '').replace(/\].*$/, ']')}`;
      s[k] = (s[k] ?? 0) + 1;
    }
    return s;
  }

  function expectStored(real: MessageStore, topic: string, outcomes: Outcome[]): void {
    expect(real.getMaxOffsetInQueue(topic, 0)).to.equal(TOTAL);
    for (const o of outcomes) {
      const rec = real.lookMessageByOffset(o.phys!);
      expect(rec, `record of ${o.body}`).to.not.equal(null);
      expect(rec!.includes(Buffer.from(o.body)), `body of ${o.body}`).to.equal(true);
    }
  }

  it('syncFlushTimeout 5000 ms: every send is answered OK, each after the fsync covering it, none SYSTEM_BUSY', async () => {
    const { outcomes, real, topic, cleanup } = await run(5000);
    try {
      expect(summary(outcomes)).to.deep.equal({ OK: TOTAL });
      for (const o of outcomes) expect(o.flushedAtReply, `${o.body} answered before its fsync`).to.be.greaterThan(o.phys!);
      expectStored(real, topic, outcomes);
    } finally {
      await cleanup();
    }
  });

  it('syncFlushTimeout 200 ms: replies are OK or FLUSH_DISK_TIMEOUT (never SYSTEM_BUSY), and every message is stored', async () => {
    const { outcomes, real, topic, cleanup } = await run(200);
    try {
      const s = summary(outcomes);
      expect(Object.keys(s).filter((k) => k !== 'OK' && k !== `${ResponseCode.FLUSH_DISK_TIMEOUT}:`), JSON.stringify(s)).to.deep.equal([]);
      expect(s[`${ResponseCode.FLUSH_DISK_TIMEOUT}:`] ?? 0, JSON.stringify(s)).to.be.greaterThan(0);
      for (const o of outcomes) if (o.code === 0) expect(o.flushedAtReply, `${o.body} answered OK before its fsync`).to.be.greaterThan(o.phys!);
      expectStored(real, topic, outcomes);
    } finally {
      await cleanup();
    }
  });
});
