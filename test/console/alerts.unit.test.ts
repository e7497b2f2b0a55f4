import { expect } from 'chai';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { AlertStore, evaluate, prometheusRules, resolveConsoleOptions, roleOf, validateThreshold } from '../../src/console';
import type { LagRow } from '../../src/console';

const row = (topic: string, queueId: number, lag: number, ageSeconds: number): LagRow => ({
  topic,
  brokerName: 'broker-a',
  queueId,
  brokerOffset: 100,
  consumerOffset: 100 - lag,
  lag,
  ageSeconds,
  lastTimestamp: 0,
});

describe('console alerts and access', () => {
  it('a group threshold fires on count or age, ignores %RETRY% rows, and keeps its since time while firing', () => {
    const t = validateThreshold({ group: 'g', maxCount: 10, maxAgeSeconds: 300 });
    const rows = [row('T', 0, 6, 20), row('T', 1, 5, 400), row('%RETRY%g', 0, 1000, 9999)];
    const a = evaluate(t, rows, 1000);
    expect(a.firing).to.equal(true);
    expect(a.count).to.equal(11);
    expect(a.reasons).to.deep.equal(['backlog 11 > 10', 'oldest 400s > 300s']);
    expect(evaluate(t, rows, 2000, a).since).to.equal(1000);
    const ok = evaluate(t, [row('T', 0, 10, 299)], 3000, a);
    expect(ok.firing).to.equal(false);
    expect(ok.since).to.equal(undefined);
  });

  it('a per-queue threshold looks at its queue only, and needs topic, brokerName and queueId', () => {
    const t = validateThreshold({ group: 'g', topic: 'T', brokerName: 'broker-a', queueId: 1, maxCount: 3 });
    expect(evaluate(t, [row('T', 0, 50, 0), row('T', 1, 2, 0)], 0).firing).to.equal(false);
    expect(evaluate(t, [row('T', 0, 0, 0), row('T', 1, 4, 0)], 0).firing).to.equal(true);
    expect(() => validateThreshold({ group: 'g', queueId: 1, maxCount: 3 })).to.throw(/needs topic, brokerName and queueId/);
    expect(() => validateThreshold({ group: 'g' })).to.throw(/maxCount, maxAgeSeconds/);
    expect(() => validateThreshold({ group: 'g', maxCount: -1 })).to.throw(/maxCount/);
    expect(() => validateThreshold({ group: 'g', maxCount: 1, colour: 'red' })).to.throw(/unknown field colour/);
    expect(() => validateThreshold({ group: 'bad group', maxCount: 1 })).to.throw(/group/);
  });

  it('exports Prometheus rules over the broker lag series, per group and per queue', () => {
    const text = prometheusRules([
      { id: 'a', group: 'g', maxCount: 10 },
      { id: 'b', group: 'g', topic: 'T', brokerName: 'broker-a', queueId: 2, maxAgeSeconds: 60, forSeconds: 120 },
    ]);
    expect(text).to.contain(`expr: 'sum by (group) (mq_broker_consumer_lag{group="g",topic!~"%RETRY%.*"}) > 10'`);
    expect(text).to.contain(`expr: 'max by (group, topic, brokerName, queueId) (mq_broker_consumer_lag_seconds{group="g",topic="T",brokerName="broker-a",queueId="2"}) > 60'`);
    expect(text).to.contain('for: 120s');
    expect(prometheusRules([])).to.equal('groups: []\n');
  });

  it('stores thresholds in <dataDir>/alerts.json and reads them back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-console-alerts-'));
    try {
      const s = new AlertStore(dir);
      const t = s.put({ group: 'g', maxCount: 5 });
      s.put({ group: 'g', maxCount: 7 }, t.id);
      expect(new AlertStore(dir).all()).to.deep.equal([{ id: t.id, group: 'g', maxCount: 7 }]);
      expect(() => s.remove('nope')).to.throw(/no threshold/);
      s.remove(t.id);
      expect(new AlertStore(dir).all()).to.deep.equal([]);
      fs.writeFileSync(path.join(dir, 'alerts.json'), '{not json');
      expect(() => new AlertStore(dir)).to.throw(/not valid JSON/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('grants admin or read by bearer token, nothing otherwise', () => {
    expect(roleOf('Bearer adm', 'adm', 'rd')).to.equal('admin');
    expect(roleOf('bearer rd', 'adm', 'rd')).to.equal('read');
    expect(roleOf('Bearer rd', 'adm', '')).to.equal(undefined);
    expect(roleOf('Bearer ', 'adm', 'rd')).to.equal(undefined);
    expect(roleOf('adm', 'adm', 'rd')).to.equal(undefined);
    expect(roleOf(undefined, 'adm', 'rd')).to.equal(undefined);
  });

  it('console options: namesrvAddr and adminToken required, tokens must differ, unknown keys rejected', () => {
    expect(() => resolveConsoleOptions({ adminToken: 'a' })).to.throw(/namesrvAddr/);
    expect(() => resolveConsoleOptions({ namesrvAddr: 'h:1' })).to.throw(/adminToken/);
    expect(() => resolveConsoleOptions({ namesrvAddr: 'h:1', adminToken: 'a', readToken: 'a' })).to.throw(/differ/);
    expect(() => resolveConsoleOptions({ namesrvAddr: 'h:1', adminToken: 'a', colour: 'x' })).to.throw(/colour/);
    expect(resolveConsoleOptions({ namesrvAddr: 'h:1', adminToken: 'a', listenPort: '0' }).listenPort).to.equal(0);
  });
});
