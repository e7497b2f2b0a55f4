import { expect } from 'chai';
import { AckWaiters } from '../../../src/broker/ha/ack-waiters';
import { LagClock } from '../../../src/broker/ha/lag-clock';

describe('LagClock', () => {
  it('gives the age of the oldest byte beyond the ack, and 0 when caught up', () => {
    const c = new LagClock();
    c.record(100, 1000);
    c.record(200, 2000);
    c.record(200, 2500); // no growth: ignored
    c.record(300, 3000);
    expect(c.lagSeconds(300, 4000)).to.equal(0);
    expect(c.lagSeconds(250, 4000)).to.equal(1); // bytes 250..300 existed by t=3000
    expect(c.lagSeconds(150, 4000)).to.equal(2);
    expect(c.lagSeconds(0, 4000)).to.equal(3);
    c.prune(200);
    expect(c.lagSeconds(250, 4000)).to.equal(1);
    expect(c.lagSeconds(0, 4000)).to.equal(1); // older samples are gone: an underestimate, never an error
  });

  it('keeps a bounded number of samples', () => {
    const c = new LagClock(8);
    for (let i = 1; i <= 100; i++) c.record(i * 10, i);
    expect(c.lagSeconds(995, 100)).to.equal(0);
    expect(c.lagSeconds(0, 1100)).to.be.lessThan(1.1);
  });
});

describe('AckWaiters', () => {
  it('resolves waiters at or below an ack, times out the others, and fails all on shutdown', async () => {
    const w = new AckWaiters();
    expect(await w.wait(10, 10, 1000)).to.equal(true); // already acknowledged
    const a = w.wait(100, 0, 1000);
    const b = w.wait(200, 0, 1000);
    const c = w.wait(300, 0, 20);
    w.ack(150);
    expect(await a).to.equal(true);
    expect(await c).to.equal(false);
    expect(w.size).to.equal(1);
    w.failAll();
    expect(await b).to.equal(false);
    expect(w.size).to.equal(0);
  });
});
