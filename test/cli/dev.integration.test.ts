/**
 * `mq dev` as a user runs it: one command prints its endpoints, serves send/get, and a SIGTERM stops it cleanly
 * (exit 0) without losing anything acknowledged: after a restart on the same data directory every sent message is
 * still there for a new group, and a group continues after the messages it had already consumed.
 */
import { expect } from 'chai';
import { T } from '../../src/gateway';
import { spawnMq, stopAll, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';
import { connect } from '../gateway/thrift-client';
import type { TestClient } from '../gateway/thrift-client';

async function drain(c: TestClient, topic: string, group: string, want: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 60 && out.length < want; i++) {
    const r = await c.get({ topic, consumerGroup: group, maxMessages: 64, waitMs: 300 });
    out.push(...r.messages.map((m) => m.body.toString()));
  }
  return out;
}

describe('cli: mq dev', function () {
  this.timeout(90000);
  const data = tempDir('mq-dev-');
  const started: MqProcess[] = [];
  after(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await stopAll();
    data.cleanup();
  });

  async function dev(): Promise<MqProcess> {
    const p = await spawnMq(['dev', '--basePort=0', `--dataDir=${data.dir}`], { readyTimeoutMs: 30000 });
    started.push(p);
    return p;
  }

  it('prints its endpoints, serves, stops cleanly and keeps every acknowledged message', async () => {
    const first = await dev();
    for (const k of ['gatewayPort', 'namesrvPort', 'masterPort', 'slavePort', 'httpPort', 'dataDir']) expect(first.fields, k).to.have.property(k);
    expect(first.fields.dataDir).to.equal(data.dir);
    const topic = uniqueName('Dev');
    let c = connect(Number(first.fields.gatewayPort));
    const sent = Array.from({ length: 100 }, (_, i) => `dev-${i}`);
    const results = await c.send(sent.map((b) => new T.Message({ topic, body: Buffer.from(b) })));
    expect(results.filter((r) => r.error)).to.have.length(0);
    // The group consumes 40 now.
    const r = await c.get({ topic, consumerGroup: 'g_dev', maxMessages: 40, waitMs: 2000 });
    expect(r.messages).to.have.length(40);
    const health = await fetch(`http://127.0.0.1:${first.fields.httpPort}/healthz`);
    expect(health.status).to.equal(200);
    // /metrics serves every embedded process, told apart by labels, in one valid exposition.
    const metrics = await (await fetch(`http://127.0.0.1:${first.fields.httpPort}/metrics`)).text();
    expect(metrics).to.match(/^mq_namesrv_brokers_live\{process="namesrv"\} [1-9]/m);
    expect(metrics).to.match(/^mq_broker_info\{process="broker",brokerName="[^"]+",brokerId="0",cluster="[^"]+",role="(SYNC|ASYNC)_MASTER"\} 1$/m);
    expect(metrics).to.match(/^mq_broker_info\{process="broker",brokerName="[^"]+",brokerId="1",cluster="[^"]+",role="SLAVE"\} 1$/m);
    expect(metrics).to.match(/^mq_gateway_requests_total\{process="gateway",/m);
    expect(metrics.match(/^# TYPE mq_broker_info gauge$/gm)).to.have.length(1);
    c.close();
    expect(await first.stop()).to.equal(0);

    const second = await dev();
    c = connect(Number(second.fields.gatewayPort));
    try {
      // Every acknowledged send survived the restart.
      const all = await drain(c, topic, 'g_fresh', sent.length);
      expect(new Set(all)).to.deep.equal(new Set(sent));
      // The group continues after what it consumed before the stop.
      const rest = await drain(c, topic, 'g_dev', 60);
      expect(rest).to.have.length(60);
      expect(new Set([...r.messages.map((m) => m.body.toString()), ...rest])).to.deep.equal(new Set(sent));
    } finally {
      c.close();
    }
    expect(await second.stop()).to.equal(0);
  });
});
