/** The whole send batch is checked before anything is stored; errors name the message's index. */
import { expect } from 'chai';
import { MqError } from '../../src/common';
import { T, checkGroup, checkSendBatch, checkTopic, parseMessageHead, userProperties } from '../../src/gateway';

const LIMITS = { maxMessageSize: 1024, maxBatchMessages: 4 };

function msg(over: Partial<{ topic: string; body: Buffer; tags: string; keys: string[]; properties: Record<string, string> }> = {}): T.Message {
  return new T.Message({ topic: 'orders', body: Buffer.from('x'), ...over });
}

function failure(fn: () => unknown): { code: string; index?: unknown } | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (!MqError.is(err)) throw err;
    return { code: err.code, index: err.details.index };
  }
}

describe('gateway/validate', () => {
  it('groups a valid batch by topic, keeping indexes', () => {
    const byTopic = checkSendBatch([msg(), msg({ topic: 'audit', tags: 'A', keys: ['k1', 'k2'], properties: { a: 'b' } }), msg()], LIMITS);
    expect([...byTopic.keys()]).to.deep.equal(['orders', 'audit']);
    expect(byTopic.get('orders')!.map((x) => x.index)).to.deep.equal([0, 2]);
    expect(byTopic.get('audit')![0].message).to.deep.include({ tags: 'A', keys: ['k1', 'k2'], properties: { a: 'b' } });
  });

  it('names the first bad message', () => {
    expect(failure(() => checkSendBatch([msg(), msg({ topic: 'bad topic' })], LIMITS))).to.deep.equal({ code: 'INVALID_ARGUMENT', index: 1 });
    expect(failure(() => checkSendBatch([msg(), msg(), msg({ body: Buffer.alloc(0) })], LIMITS))).to.deep.equal({ code: 'INVALID_ARGUMENT', index: 2 });
    expect(failure(() => checkSendBatch([msg({ body: Buffer.alloc(1025) })], LIMITS))).to.deep.equal({ code: 'PAYLOAD_TOO_LARGE', index: 0 });
    expect(failure(() => checkSendBatch([msg({ topic: 'x'.repeat(128) })], LIMITS))).to.deep.equal({ code: 'INVALID_ARGUMENT', index: 0 });
    expect(failure(() => checkSendBatch([msg({ tags: 'A||B' })], LIMITS))).to.deep.equal({ code: 'INVALID_ARGUMENT', index: 0 });
    expect(failure(() => checkSendBatch([msg({ keys: ['a b'] })], LIMITS))).to.deep.equal({ code: 'INVALID_ARGUMENT', index: 0 });
    expect(failure(() => checkSendBatch([msg({ properties: { UNIQ_KEY: 'x' } })], LIMITS))).to.deep.equal({ code: 'INVALID_ARGUMENT', index: 0 });
    expect(failure(() => checkSendBatch([msg({ properties: { a: 'x\u0001' } })], LIMITS))).to.deep.equal({ code: 'INVALID_ARGUMENT', index: 0 });
    expect(failure(() => checkSendBatch([msg({ properties: { big: 'x'.repeat(40000) } })], LIMITS))).to.deep.equal({ code: 'INVALID_ARGUMENT', index: 0 });
    expect(failure(() => checkSendBatch([], LIMITS))?.code).to.equal('INVALID_ARGUMENT');
    expect(failure(() => checkSendBatch([msg(), msg(), msg(), msg(), msg()], LIMITS))?.code).to.equal('INVALID_ARGUMENT');
  });

  it('checks topic and group names', () => {
    expect(checkTopic('%DLQ%billing')).to.equal('%DLQ%billing');
    expect(failure(() => checkTopic(null))?.code).to.equal('INVALID_ARGUMENT');
    expect(failure(() => checkGroup('a/b'))?.code).to.equal('INVALID_ARGUMENT');
    expect(checkGroup('g_1-x')).to.equal('g_1-x');
  });

  it('returns user properties only', () => {
    expect(userProperties({ a: '1', UNIQ_KEY: 'u', TAGS: 't', KEYS: 'k', RETRY_TOPIC: 'r', b: '2' })).to.deep.equal({ a: '1', b: '2' });
  });

  it('reads the head of a strict binary message and rejects garbage', () => {
    const head = Buffer.alloc(16);
    head.writeUInt32BE(0x80010001, 0);
    head.writeInt32BE(4, 4);
    head.write('send', 8);
    head.writeInt32BE(77, 12);
    expect(parseMessageHead(head)).to.deep.equal({ name: 'send', type: 1, seqid: 77 });
    expect(parseMessageHead(Buffer.from('GET / HTTP/1.1\r\n'))).to.equal(null);
    expect(parseMessageHead(head.subarray(0, 10))).to.equal(null);
  });
});
