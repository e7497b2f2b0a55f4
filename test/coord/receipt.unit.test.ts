import { expect } from 'chai';
import { decodeReceipt, encodeReceipt } from '../../src/coord/receipt';

describe('coord/receipt', () => {
  const r = { group: 'g-1', topic: '%DLQ%g-1', queueKey: 'broker-a:3', offset: 123456789012, lease: 42, attempt: 2, deadline: 1_700_000_000_000 };

  it('round-trips every field, with names that hold separators and non-ASCII text', () => {
    expect(decodeReceipt(encodeReceipt(r))).to.deep.equal(r);
    const odd = { ...r, group: 'a:b.c/ü', queueKey: 'x y' };
    expect(decodeReceipt(encodeReceipt(odd))).to.deep.equal(odd);
  });

  it('is one opaque token (no characters that need escaping)', () => {
    expect(encodeReceipt(r)).to.match(/^r1\.[A-Za-z0-9_-]+$/);
  });

  it('returns null for malformed receipts instead of throwing', () => {
    const good = encodeReceipt(r);
    for (const bad of ['', 'r1.', 'r2.' + good.slice(3), good + '!', 'r1.' + Buffer.from('a\nb\nc\n1\n2\n3').toString('base64url'),
      'r1.' + Buffer.from('a\nb\nc\n-1\n2\n3\n4').toString('base64url'), 'r1.' + Buffer.from('a\n\nc\n1\n2\n3\n4').toString('base64url'),
      'r1.' + 'A'.repeat(5000)]) {
      expect(decodeReceipt(bad), JSON.stringify(bad)).to.equal(null);
    }
  });
});
