/**
 * GroupReader.readRange over a fake broker: the pipelined pulls of consecutive batches deliver every message once,
 * in queue order, also when the broker's answers end short of their batch (its per-pull byte limit) or when part of
 * the range was deleted by retention; a pull failure after some batches keeps what was read and releases the rest.
 */
import { expect } from 'chai';
import pino from 'pino';
import { MqError } from '../../src/common';
import { parseSubscription } from '../../src/client';
import type { MQClient, MessageQueue, PullRequest, PullResult, PulledMessage } from '../../src/client';
import { MemoryCoordinator } from '../../src/coord';
import { GroupReader } from '../../src/gateway/group-reader';
import { QueueCursors } from '../../src/gateway/queue-cursor';
import { QueueWatcher } from '../../src/gateway/queue-watcher';

const logger = pino({ level: 'silent' });

/** One queue of `count` messages with body sizes from `size(offset)`; answers like the broker's pull. */
function fakeBroker(initial: number, opts: { size?: (o: number) => number; maxBytes?: number; minOffset?: number; failAt?: number } = {}) {
  const q: MessageQueue = { topic: 'T', brokerName: 'b', queueId: 0 };
  let count = initial;
  /** Held pulls waiting for a message (suspendTimeoutMillis > 0 at the end of the queue). */
  const held: Array<() => void> = [];
  const size = opts.size ?? (() => 10);
  const minOffset = opts.minOffset ?? 0;
  const pulls: PullRequest[] = [];
  const stats = { inflight: 0, maxInflight: 0 };
  const pull = async (req: PullRequest): Promise<PullResult> => {
    pulls.push(req);
    stats.inflight++;
    stats.maxInflight = Math.max(stats.maxInflight, stats.inflight);
    // Answer on a later turn of the event loop, as a network round trip would.
    await new Promise((resolve) => setImmediate(resolve));
    stats.inflight--;
    if (opts.failAt !== undefined && req.offset >= opts.failAt) throw new MqError('UNAVAILABLE', 'broker b down', { retriable: true });
    if ((req.suspendTimeoutMillis ?? 0) > 0 && req.offset >= count) {
      // Hold until a message arrives or the hold ends.
      await new Promise<void>((resolve) => {
        held.push(resolve);
        setTimeout(resolve, req.suspendTimeoutMillis).unref();
      });
    }
    const base = { minOffset, maxOffset: count, brokerId: 0, suggestWhichBrokerId: 0 };
    if (req.offset < minOffset) return { ...base, status: 'OFFSET_ILLEGAL', nextBeginOffset: minOffset, messages: [] };
    if (req.offset >= count) return { ...base, status: 'NO_NEW_MSG', nextBeginOffset: req.offset, messages: [] };
    const messages: PulledMessage[] = [];
    let bytes = 0;
    // The broker's limits: at most 32 messages, and at most maxBytes unless it is the first message.
    for (let o = req.offset; o < count && messages.length < Math.min(req.maxMsgNums, 32); o++) {
      if (messages.length > 0 && bytes + size(o) > (opts.maxBytes ?? Infinity)) break;
      bytes += size(o);
      messages.push({ queueOffset: o, body: Buffer.alloc(size(o)), msgId: `m${o}`, keys: [], brokerName: 'b', properties: {} } as unknown as PulledMessage);
    }
    return { ...base, status: 'FOUND', nextBeginOffset: req.offset + messages.length, messages };
  };
  const client = {
    subscribeQueues: async () => [q],
    registerConsumerGroup: () => undefined,
    queryConsumerOffset: async () => -1,
    getMinOffset: async () => minOffset,
    getMaxOffset: async () => count,
    getMaxOffsetAnswer: async () => ({ offset: count, brokerId: 0, brokerAddr: 'b' }),
    getMinOffsetAnswer: async () => ({ offset: minOffset, brokerId: 0, brokerAddr: 'b' }),
    queryConsumerOffsetAnswer: async () => ({ offset: -1, brokerId: 0, brokerAddr: 'b' }),
    pull,
  } as unknown as MQClient;
  /** Stores `n` more messages and wakes the held pulls. */
  const append = (n: number): void => {
    count += n;
    for (const wake of held.splice(0)) wake();
  };
  return { client, pulls, stats, append };
}

/** Reads until nothing more comes; returns the delivered offsets in delivery order. */
async function drain(client: MQClient, coord: MemoryCoordinator, maxMessages: number): Promise<number[]> {
  const reader = new GroupReader({ maxReconsumeTimes: 16, reclaimCheckIntervalMs: 1000, pullTimeoutMs: 1000 }, { client, coord, logger });
  const req = { topic: 'T', group: 'g', subscription: parseSubscription('*'), maxMessages, waitMs: 0, invisibleMs: 0, maxBytes: 16_000_000 };
  const seen: number[] = [];
  for (let i = 0; i < 200; i++) {
    const got = await reader.read(req);
    if (got.length === 0) break;
    seen.push(...got.map((d) => d.message.queueOffset));
  }
  return seen;
}

describe('gateway GroupReader (fake broker)', () => {
  it('delivers a long range once and in order with several batches in flight', async () => {
    const b = fakeBroker(1000);
    const seen = await drain(b.client, new MemoryCoordinator(), 256);
    expect(seen).to.deep.equal(Array.from({ length: 1000 }, (_, i) => i));
    // Batches were asked for ahead: several pulls of the queue were in flight at once.
    expect(b.stats.maxInflight).to.be.greaterThan(1);
  });

  it('continues from where a short answer ended when the broker limits bytes per pull', async () => {
    // Sizes vary so that answers end at irregular offsets.
    const b = fakeBroker(500, { size: (o) => 1000 + (o % 7) * 3000, maxBytes: 16 * 1024 });
    const seen = await drain(b.client, new MemoryCoordinator(), 200);
    expect(seen).to.deep.equal(Array.from({ length: 500 }, (_, i) => i));
  });

  it('large messages: batches sized to what one byte-limited answer brings, several in flight, few pulls wasted', async () => {
    // 100 KiB bodies under a 256 KiB per-pull limit: 2 messages per answer.
    const b = fakeBroker(300, { size: () => 100 * 1024, maxBytes: 256 * 1024 });
    const seen = await drain(b.client, new MemoryCoordinator(), 256);
    expect(seen).to.deep.equal(Array.from({ length: 300 }, (_, i) => i));
    // 150 pulls are needed; batches strided by 32 would waste most of the pulls in flight.
    expect(b.pulls.length, 'pulls').to.be.below(200);
    expect(b.stats.maxInflight).to.be.greaterThan(2);
  });

  it('skips offsets deleted by retention', async () => {
    const b = fakeBroker(300, { minOffset: 100 });
    const seen = await drain(b.client, new MemoryCoordinator(), 256);
    expect(seen).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 100));
  });

  it('a long-polling get takes the messages from the held pull that woke it, without pulling them again', async () => {
    const b = fakeBroker(10);
    const reader = new GroupReader({ maxReconsumeTimes: 16, reclaimCheckIntervalMs: 1000, pullTimeoutMs: 1000 }, { client: b.client, coord: new MemoryCoordinator(), logger });
    const req = { topic: 'T', group: 'g', subscription: parseSubscription('*'), maxMessages: 32, waitMs: 5000, invisibleMs: 0, maxBytes: 16_000_000 };
    expect((await reader.read(req)).map((d) => d.message.queueOffset)).to.deep.equal(Array.from({ length: 10 }, (_, i) => i));
    const waiting = reader.read(req);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = b.pulls.length;
    b.append(3);
    const got = await waiting;
    expect(got.map((d) => d.message.queueOffset)).to.deep.equal([10, 11, 12]);
    // The held pull (issued before the append) was the only pull at offset 10.
    expect(b.pulls.filter((p) => p.offset === 10)).to.have.length(1);
    expect(b.pulls.length).to.equal(before);
  });

  it('keeps what was read before a failing pull and gives back the rest', async () => {
    const coord = new MemoryCoordinator();
    const b = fakeBroker(300, { failAt: 64 });
    const reader = new GroupReader({ maxReconsumeTimes: 16, reclaimCheckIntervalMs: 1000, pullTimeoutMs: 1000 }, { client: b.client, coord, logger });
    const req = { topic: 'T', group: 'g', subscription: parseSubscription('*'), maxMessages: 256, waitMs: 0, invisibleMs: 0, maxBytes: 16_000_000 };
    const got = await reader.read(req);
    expect(got.map((d) => d.message.queueOffset)).to.deep.equal(Array.from({ length: 64 }, (_, i) => i));
    // The unread offsets are claimable again: a healthy broker now serves 64..299 and nothing twice.
    const healthy = fakeBroker(300);
    const again = await drain(healthy.client, coord, 256);
    expect(again).to.deep.equal(Array.from({ length: 236 }, (_, i) => i + 64));
  });

  it('skips a queue whose slave answers TOPIC_NOT_FOUND (topic config not copied yet) and reads the others', async () => {
    const good = fakeBroker(5);
    const qs: MessageQueue[] = [
      { topic: 'T', brokerName: 'b', queueId: 0 },
      { topic: 'T', brokerName: 'slave-behind', queueId: 0 },
    ];
    const base = good.client as unknown as Record<string, unknown>;
    const client = {
      ...base,
      subscribeQueues: async () => qs,
      pull: async (req: PullRequest) => {
        if (req.brokerName === 'slave-behind') {
          // Its offsets are known (a probe answers), but reading fails: the slave lacks the topic's config.
          if (req.maxMsgNums === 1) return { status: 'NO_NEW_MSG', nextBeginOffset: req.offset, minOffset: 0, maxOffset: 5, brokerId: 1, suggestWhichBrokerId: 1, messages: [] };
          throw new MqError('TOPIC_NOT_FOUND', 'topic T does not exist on broker slave-behind/1');
        }
        return (base.pull as (r: PullRequest) => Promise<PullResult>)(req);
      },
    } as unknown as MQClient;
    const reader = new GroupReader({ maxReconsumeTimes: 16, reclaimCheckIntervalMs: 1000, pullTimeoutMs: 1000 }, { client, coord: new MemoryCoordinator(), logger });
    const req = { topic: 'T', group: 'g', subscription: parseSubscription('*'), maxMessages: 32, waitMs: 0, invisibleMs: 0, maxBytes: 16_000_000 };
    const seen: number[] = [];
    for (let i = 0; i < 8 && seen.length < 5; i++) seen.push(...(await reader.read(req)).map((d) => d.message.queueOffset));
    expect(seen).to.deep.equal([0, 1, 2, 3, 4]);
    // Every later call still answers (the queue is skipped, not the call failed).
    for (let i = 0; i < 4; i++) expect(await reader.read(req)).to.deep.equal([]);
  });

  it('a slave whose store starts later than the cursor never moves it; only the master skips retention, counted', async () => {
    // The slave has offsets 100..199 only; the master has 0..199, with 0..9 deleted by retention.
    const q: MessageQueue = { topic: 'T', brokerName: 'b', queueId: 0 };
    let masterUp = false;
    const expired: number[] = [];
    const msg = (o: number): PulledMessage => ({ queueOffset: o, body: Buffer.from('x'), msgId: `m${o}`, keys: [], brokerName: 'b', properties: {} }) as unknown as PulledMessage;
    const answer = async (req: PullRequest): Promise<PullResult> => {
      await new Promise((resolve) => setImmediate(resolve));
      const [min, brokerId] = masterUp ? [10, 0] : [100, 1];
      const base = { minOffset: min, maxOffset: 200, brokerId, suggestWhichBrokerId: 0 };
      if (req.offset < min) {
        // A master corrects the offset; a slave does not (RETRY_IMMEDIATELY at the same offset).
        return brokerId === 0 ? { ...base, status: 'OFFSET_ILLEGAL', nextBeginOffset: min, messages: [] } : { ...base, status: 'NO_MATCHED_MSG', nextBeginOffset: req.offset, messages: [] };
      }
      const n = Math.min(req.maxMsgNums, 32, 200 - req.offset);
      return { ...base, status: 'FOUND', nextBeginOffset: req.offset + n, messages: Array.from({ length: n }, (_, i) => msg(req.offset + i)) };
    };
    const client = {
      subscribeQueues: async () => [q],
      registerConsumerGroup: () => undefined,
      getMaxOffsetAnswer: async () => ({ offset: 200, brokerId: masterUp ? 0 : 1, brokerAddr: 'b' }),
      getMinOffsetAnswer: async () => {
        if (!masterUp) throw new MqError('UNAVAILABLE', 'no master', { retriable: true });
        return { offset: 10, brokerId: 0, brokerAddr: 'b' };
      },
      queryConsumerOffsetAnswer: async () => ({ offset: 0, brokerId: 0, brokerAddr: 'b' }),
      pull: answer,
    } as unknown as MQClient;
    const coord = new MemoryCoordinator();
    const reader = new GroupReader(
      { maxReconsumeTimes: 16, reclaimCheckIntervalMs: 1000, pullTimeoutMs: 1000 },
      { client, coord, logger, onExpired: (_g, _t, n) => expired.push(n) },
    );
    const req = { topic: 'T', group: 'g', subscription: parseSubscription('*'), maxMessages: 64, waitMs: 0, invisibleMs: 0, maxBytes: 16_000_000 };
    for (let i = 0; i < 5; i++) expect(await reader.read(req)).to.deep.equal([]);
    expect((await coord.inspect({ group: 'g', topic: 'T', queueKey: 'b:0' }))?.cursor).to.equal(0);
    masterUp = true;
    const seen: number[] = [];
    for (let i = 0; i < 20 && seen.length < 190; i++) seen.push(...(await reader.read(req)).map((d) => d.message.queueOffset));
    expect(seen).to.deep.equal(Array.from({ length: 190 }, (_, i) => i + 10));
    expect(expired.reduce((a, b) => a + b, 0)).to.equal(10);
  });

  it('a long poll whose broker answers at once without news waits out waitMs with few pulls', async () => {
    // The master had 30 messages (all consumed); now only a slave with 20 answers, at once, never holding.
    const q: MessageQueue = { topic: 'T', brokerName: 'b', queueId: 0 };
    let slave = false;
    const pulls: PullRequest[] = [];
    const msg = (o: number): PulledMessage => ({ queueOffset: o, body: Buffer.from('x'), msgId: `m${o}`, keys: [], brokerName: 'b', properties: {} }) as unknown as PulledMessage;
    const client = {
      subscribeQueues: async () => [q],
      registerConsumerGroup: () => undefined,
      getMaxOffsetAnswer: async () => ({ offset: 30, brokerId: 0, brokerAddr: 'b' }),
      getMinOffsetAnswer: async () => ({ offset: 0, brokerId: 0, brokerAddr: 'b' }),
      queryConsumerOffsetAnswer: async () => ({ offset: -1, brokerId: 0, brokerAddr: 'b' }),
      queryConsumerOffset: async () => -1,
      getMinOffset: async () => 0,
      pull: async (req: PullRequest): Promise<PullResult> => {
        pulls.push(req);
        await new Promise((resolve) => setImmediate(resolve));
        if (slave) return { status: 'NO_MATCHED_MSG', nextBeginOffset: req.offset, minOffset: 0, maxOffset: 20, brokerId: 1, suggestWhichBrokerId: 1, messages: [] };
        const n = Math.max(0, Math.min(req.maxMsgNums, 30 - req.offset));
        const base = { minOffset: 0, maxOffset: 30, brokerId: 0, suggestWhichBrokerId: 0 };
        if (n === 0) return { ...base, status: 'NO_NEW_MSG', nextBeginOffset: req.offset, messages: [] };
        return { ...base, status: 'FOUND', nextBeginOffset: req.offset + n, messages: Array.from({ length: n }, (_, i) => msg(req.offset + i)) };
      },
    } as unknown as MQClient;
    const reader = new GroupReader({ maxReconsumeTimes: 16, reclaimCheckIntervalMs: 1000, pullTimeoutMs: 1000 }, { client, coord: new MemoryCoordinator(), logger });
    const req = { topic: 'T', group: 'g', subscription: parseSubscription('*'), maxMessages: 64, waitMs: 0, invisibleMs: 0, maxBytes: 16_000_000 };
    let got = 0;
    for (let i = 0; i < 5 && got < 30; i++) got += (await reader.read(req)).length;
    expect(got).to.equal(30);
    slave = true;
    const before = pulls.length;
    const t0 = Date.now();
    const r = await reader.read({ ...req, waitMs: 1500 });
    const took = Date.now() - t0;
    expect(r).to.deep.equal([]);
    expect(took, 'returned early').to.be.at.least(1400);
    expect(pulls.length - before, 'pulls of one long poll').to.be.below(40);
  });
});

describe('gateway GroupReader: long-poll wake-ups', () => {
  /** A coordinator that counts claims (each woken get claims once per queue before it returns or waits again). */
  function countingCoord(): { coord: MemoryCoordinator; claims: () => number } {
    const coord = new MemoryCoordinator();
    let n = 0;
    const claim = coord.claim.bind(coord);
    coord.claim = (...args: Parameters<MemoryCoordinator['claim']>) => {
      n++;
      return claim(...args);
    };
    return { coord, claims: () => n };
  }

  it('one message wakes one of the gets of a group waiting on the queue, not all of them; the others get the next ones', async () => {
    const b = fakeBroker(0);
    const { coord, claims } = countingCoord();
    const reader = new GroupReader({ maxReconsumeTimes: 16, reclaimCheckIntervalMs: 1000, pullTimeoutMs: 1000 }, { client: b.client, coord, logger });
    // One message per get, so that 7 messages are taken by 7 gets.
    const req = { topic: 'T', group: 'g', subscription: parseSubscription('*'), maxMessages: 1, waitMs: 20000, invisibleMs: 0, maxBytes: 16_000_000 };
    // Learn the (empty) queue first, so the waits below hold a pull.
    expect(await reader.read({ ...req, waitMs: 0 })).to.deep.equal([]);
    const results: number[][] = [];
    const waiting = Array.from({ length: 8 }, () => reader.read(req).then((got) => void results.push(got.map((d) => d.message.queueOffset))));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = claims();
    b.append(1);
    for (let i = 0; i < 100 && results.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(results, 'gets returned after one message').to.deep.equal([[0]]);
    // The woken get claimed (once); the 7 others stayed asleep (each would claim once if woken).
    expect(claims() - before, 'claims after one message').to.be.at.most(2);
    // The 7 still waiting each get one of the next 7 messages.
    b.append(7);
    await Promise.race([Promise.all(waiting), new Promise((resolve) => setTimeout(resolve, 3000))]);
    expect(results.length, 'gets returned after 7 more messages').to.equal(8);
    expect(results.flat().sort((x, y) => x - y)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('one message wakes a waiting get of every group; a get whose wait ends gives its turn to the others', async () => {
    const b = fakeBroker(0);
    const reader = new GroupReader({ maxReconsumeTimes: 16, reclaimCheckIntervalMs: 1000, pullTimeoutMs: 1000 }, { client: b.client, coord: new MemoryCoordinator(), logger });
    const req = (group: string, waitMs: number) => ({ topic: 'T', group, subscription: parseSubscription('*'), maxMessages: 32, waitMs, invisibleMs: 0, maxBytes: 16_000_000 });
    expect(await reader.read(req('g1', 0))).to.deep.equal([]);
    expect(await reader.read(req('g2', 0))).to.deep.equal([]);
    // g1's first waiter gives up before the message comes: the second must be the one woken.
    const short = reader.read(req('g1', 100));
    const g1 = reader.read(req('g1', 20000));
    const g2 = reader.read(req('g2', 20000));
    expect(await short).to.deep.equal([]);
    b.append(1);
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 3000));
    const [a, c] = await Promise.all([Promise.race([g1, timeout]), Promise.race([g2, timeout])]);
    expect(a === 'timeout' ? a : (a as Array<{ message: PulledMessage }>).map((d) => d.message.queueOffset)).to.deep.equal([0]);
    expect(c === 'timeout' ? c : (c as Array<{ message: PulledMessage }>).map((d) => d.message.queueOffset)).to.deep.equal([0]);
  });
});

describe('gateway GroupReader: reply after a wake-up', () => {
  it('a get woken by news of one queue answers from it without claiming on the other queues first', async () => {
    const brokers = [fakeBroker(0), fakeBroker(0), fakeBroker(0), fakeBroker(0)];
    const queues: MessageQueue[] = brokers.map((_, i) => ({ topic: 'T', brokerName: 'b', queueId: i }));
    const client = {
      subscribeQueues: async () => queues,
      registerConsumerGroup: () => undefined,
      getMaxOffsetAnswer: async (q: MessageQueue) => brokers[q.queueId].client.getMaxOffsetAnswer(q),
      getMinOffsetAnswer: async () => ({ offset: 0, brokerId: 0, brokerAddr: 'b' }),
      queryConsumerOffsetAnswer: async () => ({ offset: -1, brokerId: 0, brokerAddr: 'b' }),
      pull: (req: PullRequest) => brokers[req.queueId].client.pull(req),
    } as unknown as MQClient;
    const coord = new MemoryCoordinator();
    const claimed: string[] = [];
    const claim = coord.claim.bind(coord);
    coord.claim = (...args: Parameters<MemoryCoordinator['claim']>) => {
      claimed.push(args[0].queueKey);
      return claim(...args);
    };
    const reader = new GroupReader({ maxReconsumeTimes: 16, reclaimCheckIntervalMs: 1000, pullTimeoutMs: 1000 }, { client, coord, logger });
    const req = { topic: 'T', group: 'g', subscription: parseSubscription('*'), maxMessages: 32, waitMs: 20000, invisibleMs: 0, maxBytes: 16_000_000 };
    expect(await reader.read({ ...req, waitMs: 0 })).to.deep.equal([]);
    const waiting = reader.read(req);
    await new Promise((resolve) => setTimeout(resolve, 50));
    claimed.length = 0;
    brokers[2].append(1);
    const got = await waiting;
    expect(got.map((d) => `${d.queueKey}/${d.message.queueOffset}`)).to.deep.equal(['b:2/0']);
    expect(claimed, 'claims after the wake-up').to.deep.equal(['b:2']);
    // The next get visits every queue again (a message of another queue is not left behind).
    brokers[0].append(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await reader.read({ ...req, waitMs: 2000 });
    expect(next.map((d) => `${d.queueKey}/${d.message.queueOffset}`)).to.deep.equal(['b:0/0']);
  });
});

describe('gateway QueueWatcher: a get that joined a held pull late', () => {
  const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  function setup() {
    const b = fakeBroker(0);
    const q: MessageQueue = { topic: 'T', brokerName: 'b', queueId: 0 };
    const cursors = new QueueCursors();
    // The queue's max offset is known (0): watches hold.
    cursors.observe(q, { minOffset: 0, maxOffset: 0, brokerId: 0 });
    const watcher = new QueueWatcher({ pullTimeoutMs: 1000, maxHoldMs: 5000 }, { client: b.client, cursors, logger });
    return { b, q, watcher };
  }

  it('keeps watching the queue when the pull it joined ends its hold without news, and wakes on the next arrival', async () => {
    const { b, q, watcher } = setup();
    const early = watcher.watch('g', q, 200);
    await sleepMs(180);
    early.cancel();
    // Joins the pull held for the earlier get, which ends without news about 20 ms later.
    const late = watcher.watch('g', q, 5000);
    let outcome: boolean | undefined;
    void late.news.then((v) => (outcome = v));
    await sleepMs(120);
    expect(outcome, 'told "no news" when the joined pull ended').to.equal(undefined);
    b.append(1);
    for (let i = 0; i < 100 && outcome === undefined; i++) await sleepMs(10);
    expect(outcome).to.equal(true);
    late.cancel();
  });

  it('a get that waited the whole hold is told "no news" when it ends', async () => {
    const { q, watcher } = setup();
    const t0 = Date.now();
    const w = watcher.watch('g', q, 200);
    expect(await w.news).to.equal(false);
    expect(Date.now() - t0).to.be.at.least(150);
  });
});
