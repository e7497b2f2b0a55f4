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
});
