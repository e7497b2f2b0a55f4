import { expect } from 'chai';
import { clip, countOf, fromOffsets, normalize, removeOffset, takePrefix } from '../../src/coord/ranges';

describe('coord/ranges', () => {
  it('normalizes: sorts, merges adjacent and overlapping ranges, drops empty ones', () => {
    expect(normalize([[5, 7], [0, 2], [2, 3], [6, 9], [4, 4]])).to.deep.equal([[0, 3], [5, 9]]);
  });
  it('builds ranges from unsorted offsets with duplicates', () => {
    expect(fromOffsets([4, 1, 2, 2, 9, 3])).to.deep.equal([[1, 5], [9, 10]]);
  });
  it('clips, removes single offsets and splits prefixes', () => {
    expect(clip([[0, 5], [8, 12]], 3, 10)).to.deep.equal([[3, 5], [8, 10]]);
    expect(removeOffset([[0, 5]], 2)).to.deep.equal([[0, 2], [3, 5]]);
    expect(removeOffset([[0, 1]], 0)).to.deep.equal([]);
    expect(takePrefix([[0, 3], [5, 9]], 5)).to.deep.equal([[[0, 3], [5, 7]], [[7, 9]]]);
    expect(countOf([[0, 3], [5, 9]])).to.equal(7);
  });
});
