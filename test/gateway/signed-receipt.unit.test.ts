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

  it('a run of receipts shares one signed head: each verifies with its own offset, none outside the run', () => {
    const a = new ReceiptSigner('shared');
    const { offset: _o, ...run } = R;
    const head = a.signRun(run, 100, 103);
    const receipts = [100, 101, 102, 103].map((o) => ReceiptSigner.receiptOf(head, o));
    const other = new ReceiptSigner('shared');
    expect(other.verifyAll(receipts)).to.deep.equal([100, 101, 102, 103].map((offset) => ({ ...R, offset })));
    expect(other.verify(ReceiptSigner.receiptOf(head, 99))).to.equal(null);
    expect(other.verify(ReceiptSigner.receiptOf(head, 104))).to.equal(null);
    expect(other.verify(`${head}.-1`)).to.equal(null);
    expect(other.verify(`${head}.1e3`)).to.equal(null);
    expect(new ReceiptSigner('other').verifyAll(receipts)).to.deep.equal([null, null, null, null]);
    // A run head edited to widen the run, or to name another lease, fails its MAC.
    const wide = a.signRun(run, 100, 200).split('.');
    const forged = [wide[0], wide[1], head.split('.')[2]].join('.');
    expect(a.verify(ReceiptSigner.receiptOf(forged, 150))).to.equal(null);
    const flipped = head.slice(0, 5) + (head[5] === 'A' ? 'B' : 'A') + head.slice(6);
    expect(a.verify(ReceiptSigner.receiptOf(flipped, 100))).to.equal(null);
    // One bad receipt in a list does not spoil the others of its run.
    expect(a.verifyAll([receipts[0], `${receipts[1]}x`, receipts[2]]).map((r) => r?.offset ?? null)).to.deep.equal([100, null, 102]);
  });

  it('version 1 receipts (one MAC each, from older gateways) still verify; edited ones do not', () => {
    const a = new ReceiptSigner('shared');
    const v1 = a.signV1(R);
    expect(v1.startsWith('r1.')).to.equal(true);
    expect(new ReceiptSigner('x, shared').verify(v1)).to.deep.equal(R);
    const parts = v1.split('.');
    const edited = [parts[0], a.signV1({ ...R, offset: 43 }).split('.')[1], parts[2]].join('.');
    expect(a.verify(edited)).to.equal(null);
    expect(a.verify(`${v1}.42`)).to.equal(null);
  });

  it('receipts over MAX_RECEIPT_LENGTH are refused without work', () => {
    const a = new ReceiptSigner('shared');
    expect(a.verify(a.sign({ ...R, group: 'g'.repeat(3000) }))).to.equal(null);
  });
});
