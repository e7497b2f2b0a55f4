/** stats.log on a real file: RocketMQ's line format with GMT+8 stamps, rolled at the size limit, 5 files kept. */
import fs from 'fs';
import path from 'path';
import { expect } from 'chai';
import pino from 'pino';
import { BrokerStatsManager } from '../../src/broker/broker-stats-manager';
import { STATS_LOG_KEEP, StatsLogService } from '../../src/broker/stats-log-service';
import { tempDir } from '../helpers/proc';

describe('StatsLogService (component)', () => {
  it('appends minute lines, rolls past the size limit and keeps at most 5 old files', async () => {
    const dir = tempDir('mq-statslog-');
    try {
      const file = path.join(dir.dir, 'logs', 'stats.log');
      const stats = new BrokerStatsManager('C');
      const svc = new StatsLogService(stats, file, pino({ level: 'silent' }), 300);
      svc.start();
      stats.recordPut('orders', 3, 30);
      for (let i = 0; i < 20; i++) svc.write(stats.logLines('Minute'));
      await svc.flushed();
      await svc.shutdown();
      const text = fs.readFileSync(file, 'utf8');
      expect(text).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO - \[TOPIC_PUT_NUMS\] \[orders\] Stats In One Minute, SUM: 3 TPS: \d+\.\d\d AVGPT: 3\.00$/m);
      const rolled = fs.readdirSync(path.dirname(file)).filter((f) => /^stats\.log\.\d+$/.test(f)).sort();
      expect(rolled).to.deep.equal(Array.from({ length: STATS_LOG_KEEP }, (_, i) => `stats.log.${i + 1}`));
      for (const f of rolled) expect(fs.statSync(path.join(path.dirname(file), f)).size).to.be.greaterThanOrEqual(300);
    } finally {
      dir.cleanup();
    }
  });
});
