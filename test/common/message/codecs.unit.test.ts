import { expect } from 'chai';
import {
  PROP,
  decodeBatchBody,
  decodeProperties,
  encodeBatchBody,
  encodeProperties,
  javaStringHashCode,
  tagsCode,
} from '../../../src/common/message';

describe('common/message/properties', () => {
  it('encodes name 0x01 value pairs joined by 0x02 without a trailing 0x02 (4.9.1+)', () => {
    expect(encodeProperties({ TAGS: 'TagA', KEYS: 'k1 k2' })).to.equal('TAGS\u0001TagA\u0002KEYS\u0001k1 k2');
    expect(encodeProperties({ A: '', B: 'x' })).to.equal('B\u0001x');
  });

  it('decodes both the old (trailing 0x02) and the new form, skipping empty keys and values', () => {
    expect(decodeProperties('TAGS\u0001TagA\u0002KEYS\u0001k\u0002')).to.deep.equal({ TAGS: 'TagA', KEYS: 'k' });
    expect(decodeProperties('TAGS\u0001TagA\u0002KEYS\u0001k')).to.deep.equal({ TAGS: 'TagA', KEYS: 'k' });
    expect(decodeProperties('\u0001x\u0002A\u0001\u0002B\u0001v=1\u0001z')).to.deep.equal({ B: 'v=1\u0001z' });
    expect(decodeProperties('')).to.deep.equal({});
    expect(PROP.UNIQ_KEY).to.equal('UNIQ_KEY');
  });
});

describe('common/message/tags', () => {
  it('hashes like Java String.hashCode (ref §4.8)', () => {
    expect(javaStringHashCode('TagA')).to.equal(2598919);
    expect(javaStringHashCode('')).to.equal(0);
    // Overflows wrap in int32, as in Java: "polygenelubricants".hashCode() == Integer.MIN_VALUE.
    expect(javaStringHashCode('polygenelubricants')).to.equal(-2147483648);
    expect(tagsCode(undefined)).to.equal(0);
    expect(tagsCode('TagA')).to.equal(2598919);
  });
});

describe('common/message/batch', () => {
  it('round-trips a SEND_BATCH_MESSAGE body of ref §4.7', () => {
    const body = encodeBatchBody([
      { flag: 1, body: Buffer.from('one'), properties: { UNIQ_KEY: 'U1' } },
      { body: Buffer.alloc(0), properties: {} },
    ]);
    // First entry: TOTALSIZE = 22 + 3 + len("UNIQ_KEY\x01U1") = 36.
    expect(body.readInt32BE(0)).to.equal(36);
    const out = decodeBatchBody(body);
    expect(out).to.have.length(2);
    expect(out[0].flag).to.equal(1);
    expect(out[0].body.toString()).to.equal('one');
    expect(out[0].properties).to.deep.equal({ UNIQ_KEY: 'U1' });
    expect(out[1].body.length).to.equal(0);
    expect(() => decodeBatchBody(body.subarray(0, 30))).to.throw(/batch body/);
  });
});
