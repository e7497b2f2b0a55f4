/**
 * ReplyProtocol + FrameWriter write exactly the bytes of the Thrift library's TBinaryProtocol (framed), for get and
 * send results with small and large bodies, Unicode strings, maps, negative and large i64 values, and errors; large
 * bodies are passed by reference, and a writer can frame several replies in a row.
 */
import { expect } from 'chai';
import Int64 from 'node-int64';
import thrift from 'thrift';
import { FrameWriter } from '../../src/gateway/frame-writer';
import { ReplyProtocol } from '../../src/gateway/reply-protocol';
import { T, i64 } from '../../src/gateway';

interface Writable {
  write(p: thrift.TProtocol): void;
}

/** The library's encoding of one struct as a framed message (the reference bytes). */
function reference(s: Writable, name: string, seqid: number): Buffer {
  const parts: Buffer[] = [];
  const trans = {
    write: (b: Buffer) => parts.push(Buffer.from(b)),
    flush: () => undefined,
    setCurrSeqId: () => undefined,
  };
  const p = new thrift.TBinaryProtocol(trans as unknown as thrift.TTransport);
  p.writeMessageBegin(name, thrift.Thrift.MessageType.REPLY, seqid);
  s.write(p);
  p.writeMessageEnd();
  const payload = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}

/** Ours: the frames the writer hands to its sink. */
function ours(items: Array<{ s: Writable; name: string; seqid: number }>): Array<{ parts: Buffer[]; total: number }> {
  const frames: Array<{ parts: Buffer[]; total: number }> = [];
  const p = new ReplyProtocol(new FrameWriter((parts, total) => frames.push({ parts, total })));
  for (const { s, name, seqid } of items) {
    p.writeMessageBegin(name, thrift.Thrift.MessageType.REPLY, seqid);
    s.write(p);
    p.writeMessageEnd();
    p.flush();
  }
  return frames;
}

function received(body: Buffer, i: number): T.ReceivedMessage {
  return new T.ReceivedMessage({
    msgId: `0A0000010000${i}`,
    topic: 'TopicÄ✓',
    body,
    tags: i % 2 ? 'tag-ü' : undefined,
    keys: ['k1', 'ключ'],
    properties: { a: 'b', 'ü': '✓'.repeat(100) },
    bornTimestamp: i64(1_700_000_000_000 + i),
    storeTimestamp: i64(-1),
    brokerName: 'broker-a',
    queueId: i,
    queueOffset: i64(2 ** 53 - 1 - i),
    deliveryAttempt: i + 1,
    receipt: i % 3 ? undefined : 'r'.repeat(300),
  });
}

describe('gateway ReplyProtocol', () => {
  it('encodes get results byte for byte like TBinaryProtocol, keeping large bodies by reference', () => {
    const big = Buffer.alloc(100 * 1024, 7);
    const bodies = [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(2048, 1), big, Buffer.alloc(16 * 1024 - 1, 2), Buffer.alloc(70 * 1024, 3)];
    const result = new T.GetResult({ messages: bodies.map((b, i) => received(b, i)), acked: 5 });
    // The generated result wrapper of `get` (field 0 = success).
    const wrapped = { write: (p: thrift.TProtocol) => {
      p.writeStructBegin('MessageGateway_get_result');
      p.writeFieldBegin('success', thrift.Thrift.Type.STRUCT, 0);
      (result as unknown as Writable).write(p);
      p.writeFieldEnd();
      p.writeFieldStop();
      p.writeStructEnd();
    } };
    const [frame] = ours([{ s: wrapped, name: 'get', seqid: 42 }]);
    const want = reference(wrapped, 'get', 42);
    expect(frame.total).to.equal(want.length);
    expect(Buffer.concat(frame.parts).equals(want)).to.equal(true);
    // The 100 KiB body went out as the caller's own buffer (no copy).
    expect(frame.parts.some((p) => p === big)).to.equal(true);
  });

  it('encodes send results and errors byte for byte, frame after frame on one writer', () => {
    const results = Array.from({ length: 300 }, (_, i) =>
      i % 7 === 0
        ? new T.SendResult({ queueId: -1, queueOffset: i64(-1), error: new T.MessageError({ code: T.ErrorCode.BUSY, message: 'busy ✗', retryAfterMs: 250 }) })
        : new T.SendResult({ msgId: `id${i}`, brokerName: 'b', queueId: i % 8, queueOffset: i64(i * 1000), status: T.SendStatus.OK }),
    );
    const list = { write: (p: thrift.TProtocol) => {
      p.writeStructBegin('r');
      p.writeFieldBegin('success', thrift.Thrift.Type.LIST, 0);
      p.writeListBegin(thrift.Thrift.Type.STRUCT, results.length);
      for (const r of results) (r as unknown as Writable).write(p);
      p.writeListEnd();
      p.writeFieldEnd();
      p.writeFieldStop();
      p.writeStructEnd();
    } };
    const err = new T.GatewayError({ code: T.ErrorCode.PAYLOAD_TOO_LARGE, message: 'too large: ' + 'é'.repeat(5000) });
    const frames = ours([
      { s: list, name: 'send', seqid: 1 },
      { s: err as unknown as Writable, name: 'send', seqid: -7 },
      { s: list, name: 'send', seqid: 2 ** 31 - 1 },
    ]);
    expect(frames.map((f) => Buffer.concat(f.parts).toString('hex'))).to.deep.equal([
      reference(list, 'send', 1).toString('hex'),
      reference(err as unknown as Writable, 'send', -7).toString('hex'),
      reference(list, 'send', 2 ** 31 - 1).toString('hex'),
    ]);
  });

  it('writes i64 fields given as plain numbers (send results) like the library writes them through node-int64', () => {
    const values = [0, 1, -1, 255, -256, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, -(2 ** 32), 2 ** 32 + 5, 1_700_000_000_123, 2 ** 53 - 1, -(2 ** 53 - 1)];
    const results = values.map(
      (v, i) => new T.SendResult({ msgId: `id${i}`, brokerName: 'b', queueId: i, queueOffset: v as unknown as Int64, status: T.SendStatus.OK, uniqueId: 'u' }),
    );
    const list = { write: (p: thrift.TProtocol) => {
      p.writeStructBegin('r');
      p.writeFieldBegin('success', thrift.Thrift.Type.LIST, 0);
      p.writeListBegin(thrift.Thrift.Type.STRUCT, results.length);
      for (const r of results) (r as unknown as Writable).write(p);
      p.writeListEnd();
      p.writeFieldEnd();
      p.writeFieldStop();
      p.writeStructEnd();
    } };
    const [frame] = ours([{ s: list, name: 'send', seqid: 3 }]);
    expect(Buffer.concat(frame.parts).toString('hex')).to.equal(reference(list, 'send', 3).toString('hex'));
  });

  it('writes i64 fields given as plain safe integers (get replies) as the library writes their Int64', () => {
    const values = [0, 1, -1, 255, -256, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, -(2 ** 32) - 3, 1_700_000_000_123, 2 ** 53 - 1, -(2 ** 53 - 1)];
    for (const v of values) {
      const asInt64 = received(Buffer.from('b'), 1);
      asInt64.queueOffset = i64(v);
      asInt64.bornTimestamp = i64(-v);
      const asNumber = received(Buffer.from('b'), 1);
      asNumber.queueOffset = v as unknown as Int64;
      asNumber.bornTimestamp = -v as unknown as Int64;
      const [frame] = ours([{ s: asNumber as unknown as Writable, name: 'get', seqid: 3 }]);
      expect(Buffer.concat(frame.parts).toString('hex'), String(v)).to.equal(reference(asInt64 as unknown as Writable, 'get', 3).toString('hex'));
    }
  });

  it('i64() gives the same 8 bytes and value as node-int64 for safe integers', () => {
    const values = [0, 1, -1, 255, -256, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, -(2 ** 32), 2 ** 32 + 5, 1_700_000_000_123, 2 ** 53 - 1, -(2 ** 53 - 1)];
    for (const v of values) {
      const ours = i64(v);
      expect(ours.buffer.toString('hex'), String(v)).to.equal(new Int64(v).buffer.toString('hex'));
      expect(ours.toNumber(), String(v)).to.equal(v);
    }
  });
});
