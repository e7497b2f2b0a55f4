import { expect } from 'chai';
import { suggestWhichBrokerId } from '../../../src/broker/ha';

describe('suggestWhichBrokerId (ref §8.4)', () => {
  it('points a lagging consumer at the slave only when slaveReadEnable is on', () => {
    expect(suggestWhichBrokerId({ slaveReadEnable: true, brokerId: 0, suggestPullingFromSlave: true })).to.equal(1);
    expect(suggestWhichBrokerId({ slaveReadEnable: true, brokerId: 0, suggestPullingFromSlave: false })).to.equal(0);
    expect(suggestWhichBrokerId({ slaveReadEnable: false, brokerId: 0, suggestPullingFromSlave: true })).to.equal(0);
  });

  it('on a slave: the group broker id (the master) with or without slaveReadEnable, as RocketMQ', () => {
    expect(suggestWhichBrokerId({ slaveReadEnable: true, brokerId: 2, suggestPullingFromSlave: false })).to.equal(0);
    expect(suggestWhichBrokerId({ slaveReadEnable: false, brokerId: 2, suggestPullingFromSlave: false })).to.equal(0);
    expect(
      suggestWhichBrokerId({ slaveReadEnable: true, brokerId: 0, suggestPullingFromSlave: true, whichBrokerWhenConsumeSlowly: 3 }),
    ).to.equal(3);
  });
});
