/**
 * Blue/green through the name servers' DNS name (issue 13), with real processes: a real dnsmasq serves the SRV record
 * of the name servers; blue and green are clusters whose broker sets have the same name (broker-a); two gateway
 * replicas share Redis; producers and at-least-once consumers run through the switch. After the DNS flip the
 * gateways open a green generation, send only there, and drain blue for the group; blue is frozen with
 * brokerPermission=4. Checked: no acknowledged message lost, nothing left unconsumed on blue, duplicates bounded.
 * Variant: blue's name server stays up with no routes (apache/rocketmq#2090).
 */
import { expect } from 'chai';
import { freePort, sleep } from '../../src/common';
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

const SECRET = 'blue-green-secret';
const GROUP = 'bg_group';


describe('gateway: blue/green through the name servers DNS name (integration)', function () {
  this.timeout(240000);
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

  async function setup() {
    const redis = await RedisNode.create();
    await redis.start();
    cleanups.push(() => redis.dispose());
    const blue = await cluster();
    const green = await cluster();
    const topic = await blue.topo.createTopic('GwBG', 2, 1);
    await green.topo.createTopicNamed(topic, 2, 1);
    const dns = new DnsServer();
    cleanups.push(() => dns.dispose());
    await dns.point([blue.topo.namesrvAddr]);
    const coord = ['--coord=redis', `--redisUrl=redis://127.0.0.1:${redis.port}/0`, `--receiptSecret=${SECRET}`, '--offsetFlushIntervalMs=300', '--reclaimCheckIntervalMs=0', '--sendTimeoutMs=3000'];
    const gws: MqProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const g = await startDnsGateway(dns, coord);
      cleanups.push(async () => {
        await g.kill9();
      });
      gws.push(g);
    }
    return { blue, green, topic, dns, gws };
  }

  /** Producers (one per gateway) and at-least-once consumers (one per gateway) until stopped. */
  function traffic(gws: MqProcess[], topic: string) {
    const acked: string[] = [];
    const seen: string[] = [];
    let sendErrors = 0;
    let getErrors = 0;
    let producing = true;
    let consuming = true;
    const cl = (g: MqProcess): TestClient => {
      const c = connect(Number(g.fields.listenPort));
      clients.push(c);
      return c;
    };
    const producers = gws.map(async (g, gi) => {
      const c = cl(g);
      for (let n = 0; producing && n < 100000; n++) {
        const bodies = Array.from({ length: 5 }, (_, k) => `m-${gi}-${n}-${k}`);
        try {
          const r = await c.send(bodies.map((b) => new T.Message({ topic, body: Buffer.from(b) })));
          r.forEach((x, k) => (x.error ? sendErrors++ : acked.push(bodies[k])));
        } catch {
          sendErrors++;
        }
        await sleep(40);
      }
    });
    const consumers = gws.map(async (g) => {
      const c = cl(g);
      let ack: string[] = [];
      while (consuming) {
        try {
          const r = await c.get({ topic, consumerGroup: GROUP, maxMessages: 32, waitMs: 300, invisibleMs: 15000, ack });
          ack = r.messages.map((m) => m.receipt ?? '');
          for (const m of r.messages) seen.push(m.body.toString());
        } catch {
          getErrors++;
          await sleep(200);
        }
      }
      if (ack.length > 0) await c.get({ topic, consumerGroup: GROUP, maxMessages: 0, ack }).catch(() => undefined);
    });
    return {
      acked,
      seen,
      errors: () => ({ sendErrors, getErrors }),
      stopProducing: async () => {
        producing = false;
        await Promise.all(producers);
      },
      stopConsuming: async () => {
        consuming = false;
        await Promise.all(consumers);
      },
    };
  }

  const statuses = (gws: MqProcess[]): Promise<GatewayStatus[]> => Promise.all(gws.map((g) => gatewayStatus(g)));

  async function switchAndDrain(opts: { stopBlueBrokerAfterFlip: boolean }) {
    const { blue, green, topic, dns, gws } = await setup();
    const t = traffic(gws, topic);
    await sleep(2500);
    const flipAt = Date.now();
    await dns.point([green.topo.namesrvAddr]);
    // Every gateway reports green active (a second generation, newest = green's name servers).
    await until(
      async () => (await statuses(gws)).every((s) => s.generations.at(-1)?.nameServers.includes(green.topo.namesrvAddr) === true && s.generations.length === 2),
      20000,
      'every gateway to report green active',
    );
    const switchedAt = Date.now();
    if (!opts.stopBlueBrokerAfterFlip) {
      // Write freeze on blue's master, persistent (brokerPermission=4 through UPDATE_BROKER_CONFIG).
      const ac = new AdminClient({ namesrvAddr: blue.topo.namesrvAddr });
      await ac.updateBrokerConfig(blue.master.addr, { brokerPermission: '4' });
      await ac.close();
    }
    const blueMaxAtSwitch = await blue.topo.admin.getMaxOffset({ topic, brokerName: 'broker-a', queueId: 0 });
    await sleep(2500);
    await t.stopProducing();
    if (opts.stopBlueBrokerAfterFlip) {
      // Wait for blue's drain first, then take blue's broker away: its name server now answers without routes.
      await until(async () => (await statuses(gws)).every((s) => s.generations[0].state === 'drained'), 60000, 'blue drained');
      await blue.master.stop();
      await until(async () => t.acked.every((b) => t.seen.includes(b)), 30000, 'every acknowledged message consumed');
      await t.stopConsuming();
      // Traffic through the gateways keeps working with blue's name server alive and routeless.
      const again = traffic(gws, topic);
      await sleep(3000);
      await again.stopProducing();
      await until(async () => again.acked.every((b) => again.seen.includes(b)), 30000, 'post-#2090 messages consumed');
      await again.stopConsuming();
      expect(again.acked.length, 'sends after blue went routeless').to.be.greaterThan(20);
      expect(again.errors().sendErrors, 'send errors with a routeless blue name server').to.equal(0);
      return { t, flipAt, switchedAt, gws, blue, topic, blueMaxAtSwitch };
    }
    await until(async () => (await statuses(gws)).every((s) => s.generations[0].state === 'drained'), 60000, 'every gateway to report blue drained');
    await until(async () => new Set(t.seen).size >= new Set(t.acked).size && t.acked.every((b) => t.seen.includes(b)), 30000, 'every acknowledged message consumed');
    await t.stopConsuming();
    return { t, flipAt, switchedAt, gws, blue, topic, blueMaxAtSwitch };
  }

  function report(label: string, r: Awaited<ReturnType<typeof switchAndDrain>>, st: GatewayStatus[]) {
    const lastBlueSend = Math.max(...st.map((s) => Date.parse(s.generations[0].lastSendAt ?? '') || 0));
    const drainedAt = Math.max(...st.map((s) => Date.parse(s.generations[0].drainedAt ?? '') || 0));
    const distinct = new Set(r.t.seen);
    const dup = r.t.seen.length - distinct.size;
    console.log(
      `      ${label}: acked ${r.t.acked.length}, delivered ${r.t.seen.length}, duplicates ${dup}, ` +
        `flip→last send on blue ${lastBlueSend - r.flipAt} ms, flip→drain end ${drainedAt - r.flipAt} ms, ` +
        `errors ${JSON.stringify(r.t.errors())}`,
    );
    const missing = r.t.acked.filter((b) => !distinct.has(b));
    expect(missing.slice(0, 10), `${missing.length} acknowledged messages lost`).to.deep.equal([]);
    // Redeliveries happen only for leases cut by the switch: far fewer than the traffic.
    expect(dup, 'duplicates').to.be.at.most(Math.max(20, Math.ceil(r.t.acked.length * 0.1)));
    expect(lastBlueSend, 'a send reached blue before the flip').to.be.greaterThan(0);
    expect(lastBlueSend - r.flipAt, 'flip → last send on blue').to.be.lessThan(r.switchedAt - r.flipAt + 1000);
    expect(drainedAt).to.be.greaterThan(lastBlueSend);
  }

  it('DNS flip to green: sends move, blue drains, nothing lost, nothing left on blue, duplicates bounded', async () => {
    const r = await switchAndDrain({ stopBlueBrokerAfterFlip: false });
    const st = await statuses(r.gws);
    report('blue/green', r, st);
    // Nothing left unconsumed on blue: the group's committed offset on blue reached every queue's max offset.
    await until(
      async () => {
        for (const queueId of [0, 1]) {
          const q = { topic: r.topic, brokerName: 'broker-a', queueId };
          if ((await r.blue.topo.admin.queryConsumerOffset(GROUP, q)) < (await r.blue.topo.admin.getMaxOffset(q))) return false;
        }
        return true;
      },
      15000,
      "blue's committed offsets to reach its max offsets",
    );
    // After the switch no new message reached blue (beyond sends in flight at the switch).
    const blueMax = await r.blue.topo.admin.getMaxOffset({ topic: r.topic, brokerName: 'broker-a', queueId: 0 });
    expect(blueMax - r.blueMaxAtSwitch, 'messages stored on blue after every gateway switched').to.be.at.most(5);
    for (const s of st) {
      expect(s.generations.map((g) => g.state)).to.deep.equal(['drained', 'active']);
      expect(s.generations[0].groups[GROUP]).to.include({ backlog: 0, drained: true });
    }
  });

  it('a DNS record pointing at name servers that answer nothing opens no generation: sends stay on blue until green answers', async () => {
    const { blue, green, topic, dns, gws } = await setup();
    const t = traffic(gws, topic);
    await sleep(1500);
    // Nothing listens there (a typo in the record, a green not up yet).
    const dead = `127.0.0.1:${await freePort()}`;
    await dns.point([dead]);
    await sleep(4000);
    for (const s of await statuses(gws)) {
      expect(s.generations.map((g) => [g.state, g.nameServers.join(',')]), 'generations while the record points at nothing').to.deep.equal([
        ['active', blue.topo.namesrvAddr],
      ]);
    }
    const blueBefore = await blue.topo.admin.getMaxOffset({ topic, brokerName: 'broker-a', queueId: 0 });
    await sleep(1000);
    expect(await blue.topo.admin.getMaxOffset({ topic, brokerName: 'broker-a', queueId: 0 }), 'sends still reach blue').to.be.greaterThan(blueBefore);
    await dns.point([green.topo.namesrvAddr]);
    await until(
      async () => (await statuses(gws)).every((s) => s.generations.length === 2 && s.generations.at(-1)?.nameServers.includes(green.topo.namesrvAddr) === true),
      20000,
      'every gateway to report green active once the record points at it',
    );
    await sleep(1000);
    await t.stopProducing();
    await until(async () => t.acked.every((b) => t.seen.includes(b)), 30000, 'every acknowledged message consumed');
    await t.stopConsuming();
    expect(t.errors().sendErrors, 'send errors').to.equal(0);
    expect(t.acked.length).to.be.greaterThan(50);
  });

  it('#2090: blue name server left running without routes: gateways keep sending and reading through green', async () => {
    const r = await switchAndDrain({ stopBlueBrokerAfterFlip: true });
    const st = await statuses(r.gws);
    report('blue/green, routeless blue name server', r, st);
    for (const s of st) expect(s.generations.at(-1)?.state).to.equal('active');
  });
});
