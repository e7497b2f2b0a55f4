import { expect } from 'chai';
import { MqError } from '../../../src/common';
import { parseSubscription } from '../../../src/client/consumer/subscription';

describe('client/consumer/subscription', () => {
  it('reads *, empty and undefined as "everything"', () => {
    for (const s of ['*', '', ' * ', undefined]) {
      const sub = parseSubscription(s);
      expect(sub.all).to.equal(true);
      expect(sub.expression).to.equal('*');
    }
  });

  it('splits A || B, trims tags and hashes them as Java does', () => {
    const sub = parseSubscription(' TagA ||TagB ');
    expect(sub.all).to.equal(false);
    expect([...sub.tags]).to.deep.equal(['TagA', 'TagB']);
    expect(sub.codes.has(2598919)).to.equal(true); // "TagA".hashCode() (ref §4.8)
    expect(sub.expression).to.equal('TagA || TagB');
  });

  it('rejects an empty tag', () => {
    expect(() => parseSubscription('A ||')).to.throw(MqError, /empty tag/);
  });
});
