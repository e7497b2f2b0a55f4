/**
 * PullHoldService (ref §9): which held pulls an arrival wakes (offset and tags code), the periodic re-check, the
 * hold timeout, and connections that close while a pull is held.
 */
import { expect } from 'chai';
import { PullHoldService } from '../../src/broker';
import type { HeldPull } from '../../src/broker/pull-hold-service';
import { RemotingCommand } from '../../src/remoting';

function held(offset: number, answers: string[], name: string, filter?: (c: number) => boolean, channel = { id: 'c1', closed: false }): HeldPull {
  return {
    topic: 'T',
    queueId: 0,
    offset,
    filter,
    channel,
    rerun: async () => RemotingCommand.createResponse(0, name),
    resolve: (res) => answers.push(res ? `${name}:${res.remark}` : `${name}:dropped`),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('PullHoldService (unit)', () => {
  it('wakes only pulls below the new max offset whose filter accepts the tags code', async () => {
    let max = 0;
    const s = new PullHoldService(() => max);
    const answers: string[] = [];
    s.hold(held(0, answers, 'a'), 60000);
    s.hold(held(0, answers, 'tagA', (c) => c === 7), 60000);
    s.hold(held(5, answers, 'ahead'), 60000);
    expect(s.size()).to.equal(3);
    s.notifyArrival('T', 1, 1, 9); // other queue
    s.notifyArrival('T', 0, 1, 9); // offset 0 < 1, tags 9
    await tick();
    expect(answers).to.deep.equal(['a:a']);
    s.notifyArrival('T', 0, 2, 7);
    await tick();
    expect(answers).to.deep.equal(['a:a', 'tagA:tagA']);
    // The re-check finds the queue grown past offset 5.
    max = 6;
    s.recheck();
    await tick();
    expect(answers).to.deep.equal(['a:a', 'tagA:tagA', 'ahead:ahead']);
    expect(s.size()).to.equal(0);
  });

  it('answers at the hold timeout and drops pulls of closed connections', async () => {
    const s = new PullHoldService(() => 0);
    const answers: string[] = [];
    s.hold(held(0, answers, 'short'), 20);
    const ch = { id: 'c2', closed: false };
    s.hold(held(0, answers, 'gone', undefined, ch), 60000);
    await new Promise((r) => setTimeout(r, 60));
    expect(answers).to.deep.equal(['short:short']);
    ch.closed = true;
    s.channelClosed('c2');
    expect(answers).to.deep.equal(['short:short', 'gone:dropped']);
    expect(s.size()).to.equal(0);
  });
});
