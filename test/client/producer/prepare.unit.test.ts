import { expect } from 'chai';
import { MqError } from '../../../src/common';
import { decodeProperties } from '../../../src/common/message';
import {
  MAX_MESSAGE_PROPERTIES_BYTES,
  checkProducerMessage,
  chunkForBatches,
  prepareMessages,
  propertiesBytes,
} from '../../../src/client/producer/prepare';

describe('client/producer/prepare', () => {
  it('sets UNIQ_KEY, TAGS, space-joined KEYS, DELAY and user properties', () => {
    const [m] = prepareMessages('T', [{ body: Buffer.from('x'), tags: 'TagA', keys: ['a', 'b'], delayLevel: 3, properties: { p: 'v' } }], 1024);
    const props = decodeProperties(m.propertiesString);
    expect(props).to.include({ TAGS: 'TagA', KEYS: 'a b', DELAY: '3', p: 'v' });
    expect(props.UNIQ_KEY).to.equal(m.uniqId).and.match(/^[0-9A-F]{32}$/);
    expect(m.batchBytes).to.equal(22 + 1 + Buffer.byteLength(m.propertiesString));
  });

  it('gives every message its own UNIQ_KEY', () => {
    const ms = prepareMessages('T', Array.from({ length: 100 }, () => ({ body: Buffer.from('x') })), 1024);
    expect(new Set(ms.map((m) => m.uniqId)).size).to.equal(100);
  });

  it('rejects bad input with the index of the first bad message', () => {
    const bad: Array<[() => unknown, string]> = [
      [() => prepareMessages('T', [{ body: Buffer.from('x') }, { body: Buffer.alloc(2000) }], 1024), 'PAYLOAD_TOO_LARGE'],
      [() => prepareMessages('T', [{ body: Buffer.from('x'), keys: ['has space'] }], 1024), 'INVALID_ARGUMENT'],
      [() => prepareMessages('T', [{ body: Buffer.from('x'), properties: { a: 'b\u0001c' } }], 1024), 'INVALID_ARGUMENT'],
      [() => prepareMessages('T', [{ body: Buffer.from('x'), properties: { big: 'v'.repeat(40000) } }], 1024 * 1024), 'INVALID_ARGUMENT'],
      [() => prepareMessages('T', [{ body: Buffer.from('x'), tags: 'A||B' }], 1024), 'INVALID_ARGUMENT'],
      [() => prepareMessages('x'.repeat(128), [{ body: Buffer.from('x') }], 1024), 'INVALID_ARGUMENT'],
      [() => prepareMessages('a/b', [{ body: Buffer.from('x') }], 1024), 'INVALID_ARGUMENT'],
    ];
    for (const [f, code] of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(MqError.is(err, code as MqError['code']), String(err)).to.equal(true);
    }
  });

  it('chunks batches so that each body stays within maxMessageSize, never splitting a lone message', () => {
    const ms = prepareMessages('T', [300, 300, 300, 2000].map((n) => ({ body: Buffer.alloc(n) })), 4096);
    const limit = 800; // two 300-byte messages with their properties fit, three do not
    const chunks = chunkForBatches(ms, limit);
    expect(chunks.map((c) => c.length)).to.deep.equal([2, 1, 1]);
    for (const c of chunks) if (c.length > 1) expect(c.reduce((s, m) => s + m.batchBytes, 0)).to.be.at.most(limit);
  });

  it('propertiesBytes is the exact byte length of the encoded properties (multi-byte text, empty values, UNIQ_KEY)', () => {
    const samples = [
      {},
      { tags: 'A' },
      { tags: '\u20ac'.repeat(10), keys: ['k1', '\u00e9t\u00e9'], properties: { a: 'b', empty: '', 'n\u00e4me': '\u{1F600}' } },
      { keys: ['x'], delayLevel: 2 },
    ];
    for (const extra of samples) {
      const [m] = prepareMessages('T', [{ body: Buffer.from('x'), ...extra }], 1024);
      const withoutUniq = { ...m.properties };
      delete withoutUniq.UNIQ_KEY;
      expect(propertiesBytes(withoutUniq), JSON.stringify(extra)).to.equal(Buffer.byteLength(m.propertiesString));
      expect(propertiesBytes(m.properties), JSON.stringify(extra)).to.equal(Buffer.byteLength(m.propertiesString));
    }
    expect(propertiesBytes({}, false)).to.equal(0);
  });

  it('accepts properties up to the limit in bytes and names the caller\'s index beyond it', () => {
    // 'p' + 0x01 + value, then TAGS (4 + 1 + 30 bytes) and UNIQ_KEY (8 + 1 + 32), joined by two 0x02.
    const tag = '\u20ac'.repeat(10);
    const fixed = 2 + 35 + 41 + 2;
    const at = { body: Buffer.from('x'), tags: tag, properties: { p: 'v'.repeat(MAX_MESSAGE_PROPERTIES_BYTES - fixed) } };
    expect(checkProducerMessage(at, 0, 1024)).to.equal(MAX_MESSAGE_PROPERTIES_BYTES);
    // What the check counted is what the client then encodes.
    const [prepared] = prepareMessages('T', [at], 1024);
    expect(Buffer.byteLength(prepared.propertiesString)).to.equal(MAX_MESSAGE_PROPERTIES_BYTES);
    const over = { ...at, properties: { p: 'v'.repeat(MAX_MESSAGE_PROPERTIES_BYTES - fixed + 1) } };
    let err: MqError | undefined;
    try {
      prepareMessages('T', [{ body: Buffer.from('ok') }, over], 1024, [4, 7]);
    } catch (e) {
      err = e as MqError;
    }
    expect(err?.code).to.equal('INVALID_ARGUMENT');
    expect(err?.details.index).to.equal(7);
    expect(err?.message).to.match(new RegExp(`^message 7: properties .* take ${MAX_MESSAGE_PROPERTIES_BYTES + 1} bytes`));
  });
});
