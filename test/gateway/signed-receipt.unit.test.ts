/** Receipts verify on any replica that shares the secret, and any change to them is caught. */
import { expect } from 'chai';
import { ReceiptSigner } from '../../src/gateway';

const R = { group: 'g', topic: 't', queueKey: 'broker-a:3', offset: 42, lease: 7, attempt: 2, deadline: 1_800_000_000_000 };

describe('gateway/signed-receipt', () => {
  it('round-trips between two signers with the same secret', () => {
    const s = new ReceiptSigner('shared').sign(R);
    expect(new ReceiptSigner('shared').verify(s)).to.deep.equal(R);
  });

  it('rejects another secret, edits, truncation and garbage', () => {
    const a = new ReceiptSigner('shared');
    const s = a.sign(R);
    expect(new ReceiptSigner('other').verify(s)).to.equal(null);
    const forged = a.sign({ ...R, offset: 43 }).split('.').slice(0, -1).join('.') + '.' + s.split('.').pop();
    expect(a.verify(forged)).to.equal(null);
    expect(a.verify(s.slice(0, -1))).to.equal(null);
    expect(a.verify('r1.abc.def')).to.equal(null);
    expect(a.verify('')).to.equal(null);
  });

  it('rotates keys: signs with the first of a list and verifies with every one', () => {
    const old = new ReceiptSigner('k1').sign(R);
    const rotated = new ReceiptSigner('k2, k1');
    expect(rotated.verify(old)).to.deep.equal(R);
    const fresh = rotated.sign(R);
    expect(new ReceiptSigner('k2').verify(fresh)).to.deep.equal(R);
    expect(new ReceiptSigner('k1').verify(fresh)).to.equal(null);
  });

  it('an empty secret gives a random key (receipts work on this process only)', () => {
    const s = new ReceiptSigner('').sign(R);
    expect(new ReceiptSigner('').verify(s)).to.equal(null);
  });
});
