/**
 * Blue/green drain edge cases (issue 13), with real processes: a real dnsmasq serving the name servers' SRV record,
 * blue and green clusters whose broker sets have the same name, gateway replicas sharing Redis.
 *  - delayed messages parked on blue (SCHEDULE_TOPIC_XXXX, sent with a delay level before the flip) keep blue
 *    draining until they are due and consumed;
 *  - a replica restarted mid-drain knows both generations under the same ids and keys as its peer, and drains blue
 *    with it (no duplicates from different keys);
 *  - an operator offset reset by time on green (resetOffsetByTime) applies to green's state and to blue's while blue
 *    still drains;
 *  - messages of blue that reach maxReconsumeTimes while blue drains (blue frozen read-only) land in green's
 *    %DLQ%<group>, none in blue's.
 */
import { expect } from 'chai';
import http from 'http';
import { sleep } from '../../src/common';
import { AdminClient } from '../../src/client/admin';
import { T } from '../../src/gateway';
import type { MqProcess } from '../helpers/proc';
import { redisAvailable } from '../helpers/redis';
import { DnsServer, dnsmasqAvailable, gatewayStatus, startDnsGateway } from './blue-green';
import type { GatewayStatus } from './blue-green';
import { connect } from './thrift-client';
import type { TestClient } from './thrift-client';
import { RedisNode, Topology } from './topology';
import { until } from '../helpers/wait';

const SECRET = 'blue-green-drain-secret';

/** GET /metrics of a gateway. */
function metricsText(p: MqProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: Number(p.fields.httpPort), path: '/metrics', timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
const GROUP = 'bgd_group';


describe('gateway: blue/green drain edge cases (integration)', function () {
  this.timeout(300000);
  const cleanups: Array<() => Promise<void> | void> = [];
  const clients: TestClient[] = [];

  before(function () {
    const missing = [!redisAvailable() && 'redis-server', !dnsmasqAvailable() && 'dnsmasq'].filter(Boolean);
    if (missing.length > 0) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error(`required tools missing: ${missing.join(', ')}`);
      this.skip();
    }
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const f of cleanups.splice(0).reverse()) await Promise.resolve(f()).catch(() => undefined);
  });

  const cl = (g: MqProcess): TestClient => {
    const c = connect(Number(g.fields.listenPort));
    clients.push(c);
    return c;
  };

  async function cluster() {
    const topo = new Topology();
    cleanups.push(() => topo.stop());
    await topo.startNamesrv();
    const master = await topo.addBroker('broker-a', 'ASYNC_MASTER', [`--mappedFileSizeCommitLog=${64 * 1024 * 1024}`]);
    await master.start();
    await topo.startAdmin();
    await topo.waitRegistered(['broker-a']);
    return { topo, master };
  }

  async function setup(gatewayFlags: string[] = []) {
    const redis = await RedisNode.create();
    await redis.start();
    cleanups.push(() => redis.dispose());
    const blue = await cluster();
    const green = await cluster();
    const topic = await blue.topo.createTopic('GwBGD', 2, 1);
    await green.topo.createTopicNamed(topic, 2, 1);
    const dns = new DnsServer();
    cleanups.push(() => dns.dispose());
    await dns.point([blue.topo.namesrvAddr]);
    const flags = [
      '--coord=redis',
      `--redisUrl=redis://127.0.0.1:${redis.port}/0`,
      `--receiptSecret=${SECRET}`,
      '--offsetFlushIntervalMs=300',
      '--reclaimCheckIntervalMs=0',
      '--sendTimeoutMs=3000',
      // Brokers learn the group's consumers (the gateways) within a second: resets reach them at once.
      '--heartbeatBrokerInterval=1000',
      ...gatewayFlags,
    ];
    const start = async (): Promise<MqProcess> => {
      const g = await startDnsGateway(dns, flags);
      cleanups.push(async () => {
        await g.kill9();
      });
      return g;
    };
    const gws = [await start(), await start()];
    return { blue, green, topic, dns, gws, start };
  }

  const statuses = (gws: MqProcess[]): Promise<GatewayStatus[]> => Promise.all(gws.map((g) => gatewayStatus(g)));

  /** Sends `n` messages through a gateway, 10 per call; returns the bodies acknowledged. */
  async function produce(g: MqProcess, topic: string, prefix: string, n: number): Promise<string[]> {
    const c = cl(g);
    const acked: string[] = [];
    for (let i = 0; i < n; i += 10) {
      const bodies = Array.from({ length: Math.min(10, n - i) }, (_, k) => `${prefix}-${i + k}`);
      const r = await c.send(bodies.map((b) => new T.Message({ topic, body: Buffer.from(b) })));
      r.forEach((x, k) => {
        if (!x.error) acked.push(bodies[k]);
      });
    }
    return acked;
  }

  /** At-least-once consumers (one per gateway) that ack what they get, until stopped. */
  function consume(gws: MqProcess[], topic: string, group: string) {
    const seen: string[] = [];
    let running = true;
    let errors = 0;
    const loops = gws.map(async (g) => {
      const c = cl(g);
      let ack: string[] = [];
      while (running) {
        try {
          const r = await c.get({ topic, consumerGroup: group, maxMessages: 32, waitMs: 300, invisibleMs: 15000, ack });
          ack = r.messages.map((m) => m.receipt ?? '');
          for (const m of r.messages) seen.push(m.body.toString());
        } catch {
          errors++;
          ack = [];
          await sleep(200);
        }
      }
      if (ack.length > 0) await c.get({ topic, consumerGroup: group, maxMessages: 0, ack }).catch(() => undefined);
    });
    return {
      seen,
      errors: () => errors,
      stop: async () => {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  async function freeze(addr: string, namesrvAddr: string): Promise<void> {
    const ac = new AdminClient({ namesrvAddr });
    try {
      await ac.updateBrokerConfig(addr, { brokerPermission: '4' });
    } finally {
      await ac.close();
    }
  }

  /**
   * Blue holds a backlog (300 messages through the gateways; with `delayed`, 20 more sent straight to blue with delay
   * level 3 = 10 s); the DNS flips to green, blue is frozen; with `restart`, replica 2 is restarted before anything
   * is consumed; then consumers run through both replicas while 200 more messages go to green, until every replica
   * reports blue drained and every message was consumed.
   */
  async function drainScenario(opts: { delayed: boolean; restart: boolean }) {
    const env = await setup();
    const { blue, green, topic, dns, gws, start } = env;
    // The group is known (it has state) before the switch: one get per replica.
    for (const g of gws) await cl(g).get({ topic, consumerGroup: GROUP, maxMessages: 1, waitMs: 0, invisibleMs: 15000 });
    const acked = [...(await produce(gws[0], topic, 'blue0', 150)), ...(await produce(gws[1], topic, 'blue1', 150))];
    const delayedBodies = opts.delayed ? Array.from({ length: 20 }, (_, k) => `delayed-${k}`) : [];
    const delayedAt = Date.now();
    for (const b of delayedBodies) {
      const [r] = await blue.topo.admin.send(topic, [{ body: Buffer.from(b), delayLevel: 3 }]);
      expect(r.ok ? '' : r.error.message, 'delayed send stored on blue').to.equal('');
    }
    const flipAt = Date.now();
    await dns.point([green.topo.namesrvAddr]);
    await until(async () => (await statuses(gws)).every((s) => s.generations.length === 2 && s.generations[1].nameServers.includes(green.topo.namesrvAddr)), 20000, 'every gateway to report green active');
    await freeze(blue.master.addr, blue.topo.namesrvAddr);
    if (opts.delayed) {
      // The parked messages are visible while blue drains: /metrics and /status.
      const metric = new RegExp(`mq_gateway_drain_delayed\\{group="${GROUP}",generation="1"\\} ${delayedBodies.length}\\b`);
      await until(
        async () => metric.test(await metricsText(gws[0])) && (await gatewayStatus(gws[0])).generations[0].groups[GROUP]?.delayBacklog === delayedBodies.length,
        8000,
        'the delayed messages in /metrics (mq_gateway_drain_delayed) and /status (delayBacklog)',
      );
    }
    let afterRestart: GatewayStatus[] = [];
    if (opts.restart) {
      await gws[1].kill9();
      gws[1] = await start();
      afterRestart = await statuses(gws);
    }
    const c = consume(gws, topic, GROUP);
    acked.push(...(await produce(gws[0], topic, 'green0', 100)), ...(await produce(gws[1], topic, 'green1', 100)));
    const drainTimeout = until(async () => (await statuses(gws)).every((s) => s.generations[0].state === 'drained'), 90000, 'every gateway to report blue drained');
    await drainTimeout.catch(async (err: unknown) => {
      await c.stop();
      console.log(JSON.stringify(await statuses(gws)));
      throw err;
    });
    const st = await statuses(gws);
    const drainedAt = Math.max(...st.map((s) => Date.parse(s.generations[0].drainedAt ?? '') || 0));
    // Whatever is still in flight is consumed (bounded), then the figures.
    await until(async () => [...acked, ...delayedBodies].every((b) => c.seen.includes(b)), 20000, 'every acknowledged and delayed message consumed').catch(() => undefined);
    await c.stop();
    const distinct = new Set(c.seen);
    const dup = c.seen.length - distinct.size;
    console.log(
      `      delayed=${opts.delayed} restart=${opts.restart}: acked ${acked.length} + delayed ${delayedBodies.length}, delivered ${c.seen.length}, ` +
        `duplicates ${dup}, flip→drain end ${drainedAt - flipAt} ms` +
        (opts.delayed ? ` (delayed messages due ${delayedAt + 10000 - flipAt} ms after the flip)` : '') +
        `, get errors ${c.errors()}`,
    );
    expect(acked.filter((b) => !distinct.has(b)).slice(0, 10), 'acknowledged messages lost').to.deep.equal([]);
    return { ...env, acked, delayedBodies, delayedAt, distinct, dup, drainedAt, afterRestart };
  }

  it('delayed messages parked on blue keep it draining until they come due and are consumed', async () => {
    const r = await drainScenario({ delayed: true, restart: false });
    expect(r.delayedBodies.filter((b) => !r.distinct.has(b)), 'delayed messages never consumed').to.deep.equal([]);
    expect(r.drainedAt, 'blue drained only after its delayed messages came due').to.be.greaterThan(r.delayedAt + 10000);
    for (const queueId of [0, 1]) {
      const q = { topic: r.topic, brokerName: 'broker-a', queueId };
      expect(await r.blue.topo.admin.queryConsumerOffset(GROUP, q), `blue queue ${queueId} consumed`).to.equal(await r.blue.topo.admin.getMaxOffset(q));
    }
  });

  it('a replica restarted mid-drain has the same generation ids and keys as its peer and drains blue with it', async () => {
    const r = await drainScenario({ delayed: false, restart: true });
    const [s0, s1] = r.afterRestart;
    const ident = (s: GatewayStatus) => s.generations.map((g) => `${g.id}/${g.tag}/${g.state}`);
    expect(ident(s1), 'generations of the restarted replica').to.deep.equal(ident(s0));
    expect(s1.generations.map((g) => g.state)).to.deep.equal(['draining', 'active']);
    // The same keys on both replicas: nothing is delivered twice (no lease was cut: nothing was consumed before).
    expect(r.dup, 'duplicates').to.be.at.most(5);
  });

  it('an operator reset by time on green (resetOffsetByTime) applies to green and to the still-draining blue', async () => {
    const { green, topic, dns, gws } = await setup();
    // A second group with state and a backlog on blue that it never consumes keeps blue draining (open) throughout.
    const parked = 'bgd_parked';
    for (const g of gws) {
      await cl(g).get({ topic, consumerGroup: GROUP, maxMessages: 1, waitMs: 0, invisibleMs: 15000 });
      await cl(g).get({ topic, consumerGroup: parked, maxMessages: 1, waitMs: 0, invisibleMs: 15000 });
    }
    const onBlue = await produce(gws[0], topic, 'blue', 100);
    await dns.point([green.topo.namesrvAddr]);
    await until(async () => (await statuses(gws)).every((s) => s.generations.length === 2), 20000, 'every gateway to report green active');
    const onGreen = await produce(gws[1], topic, 'green', 100);
    const c = consume(gws, topic, GROUP);
    await until(async () => [...onBlue, ...onGreen].every((b) => c.seen.includes(b)), 30000, 'every message consumed once');
    await c.stop();
    await until(async () => (await statuses(gws)).every((s) => s.generations[0].groups[GROUP]?.drained === true), 20000, 'blue drained for the group');
    expect((await statuses(gws)).map((s) => s.generations[0].state), 'blue still draining (the parked group)').to.deep.equal(['draining', 'draining']);
    const ac = new AdminClient({ namesrvAddr: green.topo.namesrvAddr });
    try {
      await until(async () => (await ac.resetOffset(green.master.addr, topic, GROUP, 0, true)).online, 10000, 'the gateways online as consumers of the group on green');
    } finally {
      await ac.close();
    }
    await sleep(1000);
    const again = consume(gws, topic, GROUP);
    const all = [...onBlue, ...onGreen];
    await until(async () => all.every((b) => again.seen.includes(b)), 30000, 'blue and green messages delivered again after the reset')
      .catch(() => undefined)
      .finally(() => again.stop());
    const re = new Set(again.seen);
    console.log(`      reset on green by time: ${onBlue.length} on blue + ${onGreen.length} on green, delivered again: blue ${onBlue.filter((b) => re.has(b)).length}, green ${onGreen.filter((b) => re.has(b)).length}`);
    expect(onGreen.filter((b) => !re.has(b)).length, "green's messages not delivered again").to.equal(0);
    expect(onBlue.filter((b) => !re.has(b)).length, "blue's messages not delivered again").to.equal(0);
  });

  it('messages of a draining blue that reach maxReconsumeTimes land in green %DLQ%<group>, none in blue', async () => {
    const { blue, green, topic, dns, gws } = await setup(['--maxReconsumeTimes=2']);
    const group = 'bgd_dlq';
    await cl(gws[0]).get({ topic, consumerGroup: group, maxMessages: 1, waitMs: 0, invisibleMs: 1000 });
    const acked = await produce(gws[0], topic, 'blue', 60);
    await dns.point([green.topo.namesrvAddr]);
    await until(async () => (await statuses(gws)).every((s) => s.generations.length === 2), 20000, 'every gateway to report green active');
    await freeze(blue.master.addr, blue.topo.namesrvAddr);
    // A consumer that never acks: every message is delivered twice, then moved to the DLQ.
    const c = cl(gws[0]);
    const seen: string[] = [];
    const getErrors: string[] = [];
    await until(
      async () => {
        const r = await c.get({ topic, consumerGroup: group, maxMessages: 64, waitMs: 200, invisibleMs: 1000 }).catch((err: unknown) => {
          getErrors.push(String((err as Error).message ?? err));
          throw err;
        });
        for (const m of r.messages) seen.push(m.body.toString());
        return (await statuses(gws)).every((s) => s.generations[0].state === 'drained');
      },
      90000,
      'blue drained for the never-acking group',
    ).catch(async (err: unknown) => {
      console.log(JSON.stringify(await statuses(gws), null, 1), gws[0].output().slice(-4000), seen.length, getErrors.slice(0, 5));
      throw err;
    });
    const dlq = `%DLQ%${group}`;
    const inDlq = async (topo: Topology): Promise<string[]> => {
      const q = { topic: dlq, brokerName: 'broker-a', queueId: 0 };
      const max = await topo.admin.getMaxOffset(q).catch(() => 0);
      const out: string[] = [];
      for (let off = 0; off < max; ) {
        const r = await topo.admin.pull({ consumerGroup: group, brokerName: 'broker-a', topic: dlq, queueId: 0, offset: off, maxMsgNums: 32, subscription: '*', suspendTimeoutMillis: 0 });
        for (const m of r.messages) out.push(m.body.toString());
        if (r.nextBeginOffset <= off) break;
        off = r.nextBeginOffset;
      }
      return out;
    };
    const greenDlq = await inDlq(green.topo);
    const blueDlq = await inDlq(blue.topo);
    console.log(`      DLQ while draining: ${acked.length} sent on blue, delivered ${seen.length}, green DLQ ${greenDlq.length}, blue DLQ ${blueDlq.length}`);
    expect(blueDlq, "blue's DLQ").to.deep.equal([]);
    expect(acked.filter((b) => !greenDlq.includes(b)).slice(0, 10), "blue's messages missing from green's DLQ").to.deep.equal([]);
  });
});
