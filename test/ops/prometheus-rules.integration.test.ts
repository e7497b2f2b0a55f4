/**
 * The shipped Prometheus rules (ops/prometheus) with Debian's promtool: `promtool check rules` accepts every file,
 * `promtool test rules` passes, and every alert has at least one unit test that expects it to fire.
 * MQ_REQUIRE_TOOLS=1 (CI) turns a missing promtool into a failure instead of a skip.
 */
import fs from 'fs';
import path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import { expect } from 'chai';
import { ROOT } from '../helpers/proc';

const DIR = path.join(ROOT, 'ops', 'prometheus');
const RULES = ['mq-recording.rules.yml', 'mq-thresholds.rules.yml', 'mq-alerts.rules.yml'];

export function promtoolAvailable(): boolean {
  return spawnSync('promtool', ['--version']).status === 0;
}

describe('ops/prometheus rules with promtool (integration)', function () {
  this.timeout(60000);
  before(function () {
    if (!promtoolAvailable()) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('promtool is missing (apt-get install prometheus)');
      this.skip();
    }
  });

  it('promtool check rules accepts every rules file and the example prometheus.yml', () => {
    const out = execFileSync('promtool', ['check', 'rules', ...RULES], { cwd: DIR, encoding: 'utf8' });
    expect(out.match(/SUCCESS/g)).to.have.length(RULES.length);
    execFileSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: DIR, encoding: 'utf8' });
  });

  it('promtool test rules passes, and every alert has a test that expects it to fire', () => {
    const r = spawnSync('promtool', ['test', 'rules', 'tests/mq-alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.contain('SUCCESS');
    const alerts = [...fs.readFileSync(path.join(DIR, 'mq-alerts.rules.yml'), 'utf8').matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]);
    expect(alerts.length).to.be.greaterThanOrEqual(15);
    const tests = fs.readFileSync(path.join(DIR, 'tests', 'mq-alerts.test.yml'), 'utf8');
    // An alert counts as tested when some alert_rule_test names it with a non-empty exp_alerts.
    const firing = new Set([...tests.matchAll(/alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels/g)].map((m) => m[1]));
    for (const a of alerts) expect(firing.has(a), `no firing test for ${a}`).to.equal(true);
  });
});
