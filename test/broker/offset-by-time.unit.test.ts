/** The exact first-at-or-after search against a queue of known store times (equal times, gaps, both ends). */
import { expect } from 'chai';
import { firstOffsetAtOrAfter } from '../../src/broker/offset-by-time';

function store(times: number[], min = 0) {
  return {
    getMinOffsetInQueue: () => min,
    getMaxOffsetInQueue: () => times.length,
    getMessageStoreTimeStamp: (_t: string, _q: number, o: number) => (o >= min && o < times.length ? times[o] : -1),
  };
}

describe('firstOffsetAtOrAfter (unit)', () => {
  it('returns the first offset whose store time is at or after the time, for every time', () => {
    const times = [10, 10, 20, 30, 30, 30, 45];
    const s = store(times);
    for (let t = 0; t <= 50; t++) {
      const want = times.findIndex((x) => x >= t);
      expect(firstOffsetAtOrAfter(s, 'T', 0, t), `t=${t}`).to.equal(want < 0 ? times.length : want);
    }
  });

  it('starts at the queue minimum (older messages deleted) and answers 0 for an empty queue', () => {
    expect(firstOffsetAtOrAfter(store([1, 2, 3, 4], 2), 'T', 0, 0)).to.equal(2);
    expect(firstOffsetAtOrAfter(store([]), 'T', 0, 5)).to.equal(0);
  });
});
