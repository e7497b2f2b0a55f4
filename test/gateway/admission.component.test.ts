/**
 * Admission control of the Thrift listener on a real port, with raw sockets: slow writers hold only the bytes they
 * sent and are cut off by the frame deadline however often they trickle; 9 million empty structs and deep nesting are
 * refused while decoding; connection caps (global, per address) and the idle timeout between calls.
 */
import { expect } from 'chai';
import pino from 'pino';
import { sleep } from '../../src/common';
import { T, ThriftServer, i64 } from '../../src/gateway';
import type { GatewayHandler, ThriftServerOptions } from '../../src/gateway';
import { connect } from './thrift-client';
import { Bytes, RawConn, TYPE, emptyMessagesCall, encodeCall, frame } from './raw-thrift';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });
const MiB = 1024 * 1024;

function stub(delayMs = 0): GatewayHandler & { calls: number } {
  const h = {
    calls: 0,
    async send(req: T.SendRequest): Promise<T.SendResult[]> {
      h.calls++;
      if (delayMs) await sleep(delayMs);
      return req.messages.map((m, i) => new T.SendResult({ msgId: `${m.body.length}`, brokerName: 'b', queueId: i, queueOffset: i64(i) }));
    },
    async get(req: T.GetRequest): Promise<T.GetResult> {
      h.calls++;
      if (delayMs) await sleep(delayMs);
      return new T.GetResult({ messages: [new T.ReceivedMessage({ msgId: 'm', topic: req.topic, body: Buffer.from('x') })], acked: 0 });
    },
  };
  return h;
}

describe('gateway/ThriftServer admission control', function () {
  this.timeout(60000);
  const servers: ThriftServer[] = [];
  const raws: RawConn[] = [];
  afterEach(async () => {
    for (const r of raws.splice(0)) r.destroy();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function serve(handler: GatewayHandler, over: Partial<ThriftServerOptions> = {}): Promise<{ port: number; server: ThriftServer }> {
    const server = new ThriftServer(
      {
        port: 0,
        host: '127.0.0.1',
        maxFrameBytes: 10 * MiB,
        maxInflightBytes: 32 * MiB,
        maxInflightBytesPerConnection: 16 * MiB,
        busyRetryAfterMs: 500,
        ...over,
      },
      handler,
      { logger },
    );
    servers.push(server);
    return { port: await server.start(), server };
  }
  function raw(port: number, localAddress?: string): RawConn {
    const r = new RawConn(port, { localAddress });
    raws.push(r);
    return r;
  }

  it('slow writers announcing 9 MiB frames reserve only what they sent, and a trickle does not extend the frame deadline', async () => {
    const { port, server } = await serve(stub(), { frameReadTimeoutMs: 1500, frameMinBytesPerSecond: 100 * MiB });
    // Eight connections announce 9 MiB send frames (72 MiB, over the 32 MiB cap) and trickle a byte every 100 ms.
    const head = emptyMessagesCall(1).subarray(4, 40);
    const slow = Array.from({ length: 8 }, () => raw(port));
    await Promise.all(slow.map((s) => s.connected));
    const announce = Buffer.alloc(4);
    announce.writeInt32BE(9 * MiB, 0);
    await Promise.all(slow.map((s) => s.write(announce)));
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < head.length) for (const s of slow) void s.write(head.subarray(sent, sent + 1));
      sent++;
    }, 100);
    try {
      await sleep(300);
      // A normal 4 MiB call is served while they trickle.
      const c = connect(port);
      try {
        const r = await c.send([new T.Message({ topic: 't', body: Buffer.alloc(4 * MiB, 1) })]);
        expect(r[0].msgId).to.equal(String(4 * MiB));
      } finally {
        c.close();
      }
      expect(server.inflightBytes()).to.be.below(1024);
      // Every trickler is closed by its frame deadline (1.5 s + 9 MiB at 100 MiB/s), although bytes keep arriving.
      const t0 = Date.now();
      await Promise.all(slow.map((s) => s.closedByServer(8000)));
      expect(Date.now() - t0).to.be.below(6000);
      for (let i = 0; i < 50 && server.inflightBytes() > 0; i++) await sleep(20);
      expect(server.inflightBytes()).to.equal(0);
    } finally {
      clearInterval(trickle);
    }
  });

  it('refuses a frame the in-flight budget cannot hold when its length announces it, before its body is read', async () => {
    // The first frame's announcement counts for 60 s here (1 s by default), so a loaded machine cannot let it lapse.
    const { port, server } = await serve(stub(), {
      maxFrameBytes: 20 * MiB,
      maxInflightBytes: 32 * MiB,
      maxInflightBytesPerConnection: 32 * MiB,
      announcedBytesHoldMs: 60000,
    });
    // A 20 MiB send frame arrives at speed: its first 10 MiB are here, the rest is on its way.
    const call = encodeCall('send', new T.SendRequest({ messages: [new T.Message({ topic: 't', body: Buffer.alloc(20 * MiB - 200, 1) })] }));
    const other = encodeCall('send', new T.SendRequest({ messages: [new T.Message({ topic: 't', body: Buffer.alloc(20 * MiB - 200, 2) })] }), 7);
    const a = raw(port);
    const b = raw(port);
    await Promise.all([a.connected, b.connected]);
    await a.write(call.subarray(0, 10 * MiB));
    for (let i = 0; i < 200 && server.inflightBytes() < 10 * MiB - 4; i++) await sleep(10);
    expect(server.inflightBytes()).to.equal(10 * MiB - 4);
    // A second 20 MiB frame cannot fit next to the first one's 20 MiB: refused from its length and call head alone,
    // without waiting for (or holding) its body.
    await b.write(other.subarray(0, 64));
    const refused = await b.reply(5000);
    expect(refused.seqid).to.equal(7);
    expect(refused.error && T.ErrorCode[refused.error.code]).to.equal('BUSY');
    expect(server.inflightBytes()).to.equal(10 * MiB - 4);
    // The first frame completes and is served; once it is answered the budget is free again.
    await a.write(call.subarray(10 * MiB));
    const ok = await a.reply(10000);
    expect(ok.success).to.equal(true);
    for (let i = 0; i < 50 && server.inflightBytes() > 0; i++) await sleep(20);
    expect(server.inflightBytes()).to.equal(0);
  });

  it('holds memory for what arrived of a frame, not for what its length word announced', async () => {
    const { port, server } = await serve(stub(), { maxFrameBytes: 10 * MiB, maxInflightBytes: 128 * MiB, maxInflightBytesPerConnection: 16 * MiB });
    // Eight connections announce 9 MiB send frames and send 64 KiB of each (in reads of any size).
    const call = encodeCall('send', new T.SendRequest({ messages: [new T.Message({ topic: 't', body: Buffer.alloc(9 * MiB, 1) })] }));
    const conns = Array.from({ length: 8 }, () => raw(port));
    await Promise.all(conns.map((c) => c.connected));
    const before = process.memoryUsage.rss();
    await Promise.all(conns.map((c) => c.write(call.subarray(0, 64 * 1024))));
    for (let i = 0; i < 200 && server.inflightBytes() < 8 * (64 * 1024 - 4); i++) await sleep(10);
    expect(server.inflightBytes()).to.equal(8 * (64 * 1024 - 4));
    // 512 KiB arrived; buffers of the announced size, written (or zeroed) in full, would be 72 MiB of resident memory.
    const grown = process.memoryUsage.rss() - before;
    expect(grown, `resident memory grown by ${grown} bytes`).to.be.below(24 * MiB);
    // And each frame still completes and is served.
    await Promise.all(conns.map((c) => c.write(call.subarray(64 * 1024))));
    const replies = await Promise.all(conns.map((c) => c.reply(20000)));
    expect(replies.every((r) => r.success)).to.equal(true);
  });

  it('refuses a 9 MiB frame of 9 million empty Message structs while decoding, cheaply, and keeps serving', async () => {
    const h = stub();
    const { port, server } = await serve(h, { decodeLimits: { maxBatchMessages: 1024 } });
    const r = raw(port);
    await r.connected;
    const call = emptyMessagesCall(9 * 1000 * 1000, 7);
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = Date.now();
    await r.write(call);
    const reply = await r.reply(10000);
    const took = Date.now() - t0;
    expect(reply.seqid).to.equal(7);
    expect(reply.error?.code).to.equal(T.ErrorCode.INVALID_ARGUMENT);
    expect(reply.error?.message).to.match(/9000000 elements, more than 1024 \(maxBatchMessages\)/);
    expect(h.calls).to.equal(0);
    expect(took).to.be.below(3000);
    expect(process.memoryUsage().heapUsed - heapBefore).to.be.below(200 * MiB);
    // The same connection still serves a good call.
    await r.write(encodeCall('send', new T.SendRequest({ messages: [new T.Message({ topic: 't', body: Buffer.from('ok') })] }), 8));
    const ok = await r.reply();
    expect(ok.seqid).to.equal(8);
    expect(ok.success).to.equal(true);
    expect(server.inflightBytes()).to.equal(0);
  });

  it('refuses deep nesting, 100,000 keys and 10,000 receipts while decoding', async () => {
    const h = stub();
    const { port } = await serve(h);
    const r = raw(port);
    await r.connected;
    // An unknown field 9 of SendRequest holding lists nested 100,000 deep.
    const deep = new Bytes().call('send', 1).field(TYPE.STRUCT, 1).field(TYPE.LIST, 9);
    for (let i = 0; i < 100000; i++) deep.i8(TYPE.LIST).i32(1);
    await r.write(frame(deep.build()));
    const d = await r.reply();
    expect(d.error?.code).to.equal(T.ErrorCode.INVALID_ARGUMENT);
    expect(d.error?.message).to.match(/deeper than 32 levels/);
    // One message with 100,000 keys.
    const keys = Array.from({ length: 100000 }, (_, i) => `k${i}`);
    await r.write(encodeCall('send', new T.SendRequest({ messages: [new T.Message({ topic: 't', body: Buffer.from('x'), keys })] }), 2));
    const k = await r.reply();
    expect(k.error?.code).to.equal(T.ErrorCode.INVALID_ARGUMENT);
    expect(k.error?.message).to.match(/Message\.keys has 100000 elements/);
    // A get with 10,000 receipts.
    const ack = Array.from({ length: 10000 }, (_, i) => `r${i}`);
    await r.write(encodeCall('get', new T.GetRequest({ topic: 't', consumerGroup: 'g', ack }), 3));
    const a = await r.reply();
    expect(a.error?.code).to.equal(T.ErrorCode.INVALID_ARGUMENT);
    expect(a.error?.message).to.match(/GetRequest\.ack has 10000 elements, more than 4096/);
    expect(h.calls).to.equal(0);
    // A list whose count cannot fit in the frame is malformed: the connection is closed.
    const lie = new Bytes().call('send', 4).field(TYPE.STRUCT, 1).field(TYPE.LIST, 1).i8(TYPE.STRUCT).i32(0x7fffffff).build();
    await r.write(frame(lie));
    await r.closedByServer(5000);
  });

  it('caps connections per remote address and globally', async () => {
    const { port } = await serve(stub(), { maxConnectionsPerAddress: 3, maxConnections: 5 });
    const same = [0, 1, 2].map(() => raw(port, '127.0.0.3'));
    await Promise.all(same.map((s) => s.connected));
    await sleep(100);
    const extra = raw(port, '127.0.0.3');
    await extra.closedByServer(5000);
    expect(same.every((s) => !s.closed)).to.equal(true);
    // Another address still gets in, up to the global cap of 5.
    const other = [raw(port, '127.0.0.4'), raw(port, '127.0.0.4')];
    await Promise.all(other.map((s) => s.connected));
    await sleep(100);
    const over = raw(port, '127.0.0.5');
    await over.closedByServer(5000);
    // Once one closes, a new connection is served.
    same[0].destroy();
    await sleep(200);
    const later = raw(port, '127.0.0.5');
    await later.write(encodeCall('get', new T.GetRequest({ topic: 't', consumerGroup: 'g' }), 9));
    expect((await later.reply()).success).to.equal(true);
  });

  it('closes connections idle between calls, but not one waiting for its answer', async () => {
    const { port } = await serve(stub(1500), { connectionIdleTimeoutMs: 600 });
    const idle = raw(port);
    await idle.connected;
    const t0 = Date.now();
    await idle.closedByServer(5000);
    expect(idle.closedAt - t0).to.be.within(400, 4000);
    // A call that takes longer than the idle timeout is answered.
    const busy = raw(port);
    await busy.connected;
    await busy.write(encodeCall('get', new T.GetRequest({ topic: 't', consumerGroup: 'g', waitMs: 1500 }), 5));
    const r = await busy.reply(5000);
    expect(r.success).to.equal(true);
    expect(busy.closed).to.equal(false);
    // ... and the connection is closed once idle again.
    await busy.closedByServer(5000);
  });
});
