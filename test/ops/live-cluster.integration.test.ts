/**
 * The shipped monitoring assets against a live cluster (name server, master + slave, a second master, a gateway):
 * every metric the Grafana dashboard, the Prometheus rules and the Zabbix template name is exported by the cluster
 * (and the label names their patterns use exist on its series); then a real Prometheus (Debian's, on a free port,
 * temporary directory) scrapes the cluster with the shipped rules and the backlog alert fires when a group falls
 * behind and resolves when it catches up. Durations (`for:`, intervals) are shortened in the copy Prometheus loads.
 */
import fs from 'fs';
import path from 'path';
import { spawn, spawnSync } from 'child_process';
import type { ChildProcess } from 'child_process';
import { expect } from 'chai';
import pino from 'pino';
import { MQClient } from '../../src/client';
import { ROOT, stopAll, tempDir, uniqueName } from '../helpers/proc';
import { freePort } from '../helpers/redis';
import { connect } from '../gateway/thrift-client';
import type { TestClient } from '../gateway/thrift-client';
import { admin, eventually, startOpsCluster } from '../cli/admin/ops-cluster';
import type { OpsCluster } from '../cli/admin/ops-cluster';

const OPS = path.join(ROOT, 'ops');

/** Families (from # TYPE lines) and sample lines of every process's /metrics. */
async function scrapeAll(c: OpsCluster): Promise<{ types: Map<string, string>; samples: string[] }> {
  const types = new Map<string, string>();
  const samples: string[] = [];
  for (const p of c.metricsProcesses()) {
    const text = await (await fetch(`http://127.0.0.1:${p.fields.httpPort}/metrics`)).text();
    for (const line of text.split('\n')) {
      const m = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (m) types.set(m[1], m[2]);
      else if (line && !line.startsWith('#')) samples.push(line);
    }
  }
  return { types, samples };
}

/** Names defined by `record:` in the shipped rules. */
function recordedNames(): Set<string> {
  const out = new Set<string>();
  for (const f of fs.readdirSync(path.join(OPS, 'prometheus')).filter((x) => x.endsWith('.rules.yml'))) {
    for (const m of fs.readFileSync(path.join(OPS, 'prometheus', f), 'utf8').matchAll(/^\s*- record: (\S+)$/gm)) out.add(m[1]);
  }
  return out;
}

/** Metric names in a PromQL expression (mq_* and mq:* identifiers, and up). */
function metricNames(expr: string): string[] {
  return [...new Set([...expr.replace(/"[^"]*"/g, '""').matchAll(/\b(mq[_:][a-zA-Z0-9_:]*|up)\b/g)].map((m) => m[1]))];
}

/** True when `name` (or its histogram family) is exported or recorded. */
function known(name: string, types: Map<string, string>, recorded: Set<string>): boolean {
  if (name === 'up' || types.has(name) || recorded.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram';
}

describe('ops assets against a live cluster (integration)', function () {
  this.timeout(180000);
  let c: OpsCluster;
  let client: MQClient;
  let gw: TestClient;
  const group = uniqueName('og');
  const topic = uniqueName('OpsLive');

  before(async () => {
    c = await startOpsCluster({ gateway: true });
    client = new MQClient({ namesrvAddr: c.namesrvAddr, instanceName: uniqueName('live') }, { logger: pino({ level: 'silent' }) });
    await client.start();
    gw = connect(Number(c.gateway!.fields.listenPort));
    for (const t of [topic, `%DLQ%${group}`]) {
      const r = await admin(['updateTopic', '-n', c.namesrvAddr, '-c', 'OpsCluster', '-t', t, '-r', '1', '-w', '1']);
      expect(r.code, r.stderr).to.equal(0);
    }
    await eventually(async () => (await client.getRoute(topic)).publishQueues.length === 2, 'route');
    // Traffic so that labelled series exist: sends, a consuming group, gateway calls.
    await client.send(topic, Array.from({ length: 4 }, (_, i) => ({ body: Buffer.from(`m${i}`), tags: 'A' })));
    await gw.get({ topic, consumerGroup: group, maxMessages: 2 });
    await eventually(async () => (await scrapeAll(c)).samples.some((s) => s.startsWith(`mq_broker_consumer_lag{group="${group}"`)), 'lag series');
  });

  after(async () => {
    gw?.close();
    await client?.shutdown();
    await c?.stop();
    await stopAll();
  });

  it('every Grafana query names metrics the cluster exports (or the shipped recording rules define)', async () => {
    const dash = JSON.parse(fs.readFileSync(path.join(OPS, 'grafana', 'mq-dashboard.json'), 'utf8')) as {
      panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
    };
    const { types } = await scrapeAll(c);
    const recorded = recordedNames();
    const titles = dash.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(titles).to.include.members(['Cluster', 'Brokers', 'Topics', 'Consumer groups', 'Gateway', 'Replication']);
    let queries = 0;
    for (const p of dash.panels) {
      for (const t of p.targets ?? []) {
        queries++;
        const names = metricNames(t.expr);
        expect(names.length, `${p.title}: ${t.expr}`).to.be.greaterThan(0);
        for (const n of names) expect(known(n, types, recorded), `${p.title}: ${n} in ${t.expr}`).to.equal(true);
      }
    }
    expect(queries).to.be.greaterThan(30);
    // The recording and alert rules only use exported metrics too.
    for (const f of ['mq-recording.rules.yml', 'mq-alerts.rules.yml']) {
      const text = fs.readFileSync(path.join(OPS, 'prometheus', f), 'utf8');
      for (const m of text.matchAll(/^\s*expr: (?:>-\n)?([\s\S]*?)(?=\n\s*(?:for|labels|- record|- alert|$))/gm)) {
        for (const n of metricNames(m[1])) expect(known(n, types, recorded), `${f}: ${n}`).to.equal(true);
      }
    }
  });

  it('every Zabbix item key is unique, dependent items have their master, and each pattern matches live series', async () => {
    const text = fs.readFileSync(path.join(OPS, 'zabbix', 'mq_zabbix_6.0_template.yaml'), 'utf8');
    expect(text).to.match(/^ {2}version: '6\.0'$/m);
    const own = new Set<string>();
    for (const m of text.matchAll(/^( +)- uuid: \w+\n\1 {2}name: .*\n\1 {2}type: \w+\n\1 {2}key: '?([^'\n]+)'?$/gm)) {
      expect(own.has(m[2]), `duplicate key ${m[2]}`).to.equal(false);
      own.add(m[2]);
    }
    expect(own.size).to.be.greaterThanOrEqual(18);
    expect(own.has('mq.get_metrics')).to.equal(true);
    expect(text).to.match(/type: HTTP_AGENT\n\s+key: mq\.get_metrics/);
    for (const m of text.matchAll(/master_item:\n\s+key: (\S+)/g)) expect(own.has(m[1]), m[1]).to.equal(true);
    const { types, samples } = await scrapeAll(c);
    const patterns = [...text.matchAll(/- type: PROMETHEUS_(?:PATTERN|TO_JSON)\n\s+parameters:\n\s+- '([^']*)'/g)].map((m) => m[1]);
    expect(patterns.length).to.be.greaterThan(15);
    for (const p of patterns) {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(p)![0];
      expect(types.has(name), `${p}: ${name} is not exported`).to.equal(true);
      const labels = [...p.matchAll(/(\w+)="/g)].map((m) => m[1]);
      if (labels.length === 0) continue;
      const hit = samples.some((s) => s.startsWith(`${name}{`) && labels.every((l) => s.includes(`${l}="`)));
      expect(hit, `${p}: no live series of ${name} with labels ${labels.join(',')}`).to.equal(true);
    }
    // Per-group thresholds are macros with a group context.
    expect(text).to.contain('{$MQ.BACKLOG.MAX:"{#GROUP}"}');
    for (const d of ['mq.group.discovery', 'mq.topic.discovery', 'mq.dlq.discovery']) expect(own.has(d), d).to.equal(true);
  });

  it('a real Prometheus with the shipped rules fires the backlog alert when a group falls behind and resolves it when it catches up', async function () {
    this.timeout(360000);
    if (spawnSync('prometheus', ['--version']).status !== 0) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('prometheus is missing (apt-get install prometheus)');
      this.skip();
    }
    const dir = tempDir('mq-prom-');
    let prom: ChildProcess | undefined;
    try {
      const slow = uniqueName('slow');
      // The shipped rules with test-sized durations, and a threshold of 5 messages for the test group.
      for (const f of ['mq-recording.rules.yml', 'mq-alerts.rules.yml']) {
        const src = fs.readFileSync(path.join(OPS, 'prometheus', f), 'utf8').replace(/^(\s+)for: \S+$/gm, '$1for: 1s').replace(/^(\s+)interval: \S+$/gm, '$1interval: 1s');
        fs.writeFileSync(path.join(dir.dir, f), src);
      }
      fs.writeFileSync(
        path.join(dir.dir, 'mq-thresholds.rules.yml'),
        ['groups:', '  - name: test-thresholds', '    interval: 1s', '    rules:', '      - record: mq_group_backlog_threshold_count', '        expr: vector(5)', '        labels:', `          group: ${slow}`, ''].join('\n'),
      );
      const target = (p: { fields: Record<string, string> }): string => `"127.0.0.1:${p.fields.httpPort}"`;
      fs.writeFileSync(
        path.join(dir.dir, 'prometheus.yml'),
        [
          // 2 s scrapes with a 2 s timeout: a scrape missed on a loaded machine would make the series stale.
          'global: {scrape_interval: 2s, scrape_timeout: 2s, evaluation_interval: 1s}',
          'rule_files: [mq-recording.rules.yml, mq-thresholds.rules.yml, mq-alerts.rules.yml]',
          'scrape_configs:',
          `  - {job_name: mq-namesrv, static_configs: [{targets: [${target(c.ns)}]}]}`,
          `  - {job_name: mq-broker, static_configs: [{targets: [${[c.a, c.aSlave, c.b].map(target).join(', ')}]}]}`,
          `  - {job_name: mq-gateway, static_configs: [{targets: [${target(c.gateway!)}]}]}`,
          '',
        ].join('\n'),
      );
      const port = await freePort();
      prom = spawn('prometheus', [`--config.file=${path.join(dir.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let log = '';
      prom.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
      const alerts = async (): Promise<Array<{ labels: Record<string, string>; state: string }>> => {
        if (prom!.exitCode !== null) throw new Error(`prometheus exited (${prom!.exitCode}): ${log}`);
        const r = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`);
        return ((await r.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } }).data.alerts;
      };
      // Prometheus answers 503 until its storage is ready (slow on a loaded machine).
      await eventually(async () => {
        if (prom!.exitCode !== null) throw new Error(`prometheus exited (${prom!.exitCode}): ${log}`);
        return (await fetch(`http://127.0.0.1:${port}/-/ready`)).status === 200;
      }, 'prometheus ready', 120000);
      const backlogAlert = async () => (await alerts()).find((a) => a.labels.alertname === 'MQGroupBacklogHigh' && a.labels.group === slow);
      // The group reads one message of 20 and stops: 19 behind > 5.
      await client.send(topic, Array.from({ length: 20 }, (_, i) => ({ body: Buffer.from(`b${i}`) })));
      expect((await gw.get({ topic, consumerGroup: slow, maxMessages: 1 })).messages).to.have.length(1);
      const query = async (q: string): Promise<string> =>
        JSON.stringify(((await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: unknown }).data);
      const fired = await eventually(async () => (await backlogAlert())?.state === 'firing', 'backlog alert firing', 90000).catch(async (err: Error) => {
        const seen = await Promise.all(
          [`mq_broker_consumer_lag{group="${slow}"}`, `mq:group_backlog:count{group="${slow}"}`, 'mq:group_backlog_threshold:count', 'up'].map(async (q) => `${q} = ${await query(q)}`),
        );
        throw new Error(`${err.message}; ${seen.join('; ')}; alerts ${JSON.stringify(await alerts())}; prometheus log: ${log.slice(-1500)}`);
      });
      expect(fired).to.equal(true);
      const firing = await backlogAlert();
      expect(firing!.labels).to.include({ topic, severity: 'warning' });
      // It catches up: the alert resolves (leaves the active list).
      let got = 1;
      for (let i = 0; i < 20 && got < 24; i++) {
        const r = await gw.get({ topic, consumerGroup: slow, maxMessages: 64, waitMs: 200 });
        got += r.messages.length;
        if (r.messages.length === 0) break;
      }
      expect(got).to.equal(24);
      await eventually(async () => (await backlogAlert()) === undefined, 'backlog alert resolved', 90000);
    } finally {
      if (prom && prom.exitCode === null) {
        const exited = new Promise((r) => prom!.once('exit', r));
        prom.kill('SIGTERM');
        await exited;
      }
      dir.cleanup();
    }
  });
});
