/** RocketMQ's statistics windows and stats.log lines with a controlled clock. */
import { expect } from 'chai';
import { BrokerStatsManager, MAX_KEYS_PER_STATS, STATS, statsLogTime } from '../../src/broker/broker-stats-manager';

describe('BrokerStatsManager (unit)', () => {
  it('sums, TPS and AVGPT over the minute window, as RocketMQ prints them', () => {
    let now = 1_000_000;
    const s = new BrokerStatsManager('C', () => now);
    s.recordPut('t', 10, 1000);
    now += 10_000;
    s.sampleMinute();
    s.recordPut('t', 30, 3000);
    now += 10_000;
    s.sampleMinute();
    const v = s.view(STATS.TOPIC_PUT_NUMS, 't')!;
    expect(v.statsMinute).to.deep.equal({ sum: 40, tps: 2, avgpt: 20 });
    expect(s.total(STATS.BROKER_PUT_NUMS, 'C')).to.equal(40);
    expect(s.logLines('Minute')).to.include('[TOPIC_PUT_NUMS] [t] Stats In One Minute, SUM: 40 TPS: 2.00 AVGPT: 20.00');
    expect(s.view(STATS.TOPIC_PUT_NUMS, 'nope')).to.equal(undefined);
  });

  it('keeps the minute window to the last 7 snapshots (one minute)', () => {
    let now = 0;
    const s = new BrokerStatsManager('C', () => now);
    s.recordGet('t', 'g', 100, 1);
    for (let i = 0; i < 8; i++) {
      now += 10_000;
      s.sampleMinute();
    }
    s.recordGet('t', 'g', 6, 1);
    expect(s.view(STATS.GROUP_GET_NUMS, 't@g')!.statsMinute.sum).to.equal(6);
    expect(s.view(STATS.GROUP_GET_NUMS, 't@g')!.statsHour.sum).to.equal(106);
  });

  it('bounds the keys per name and drops a group\'s keys on request', () => {
    const s = new BrokerStatsManager('C');
    for (let i = 0; i < MAX_KEYS_PER_STATS + 10; i++) s.recordPut(`t${i}`, 1, 1);
    expect(s.keys(STATS.TOPIC_PUT_NUMS)).to.have.length(MAX_KEYS_PER_STATS + 1);
    expect(s.total(STATS.TOPIC_PUT_NUMS, 'OTHERS')).to.equal(10);
    s.recordGet('t', 'gone', 1, 1);
    s.removeMatching((k) => k.endsWith('@gone'));
    expect(s.keys(STATS.GROUP_GET_NUMS)).to.deep.equal([]);
  });

  it('stamps stats.log lines in GMT+8 whatever the host zone', () => {
    expect(statsLogTime(Date.UTC(2024, 0, 31, 20, 5, 6, 7))).to.equal('2024-02-01 04:05:06,007');
  });
});
