/**
 * Every `mq admin` command against a real cluster (name server, broker set A = master + slave, broker set B, a
 * gateway), with the output checked for what an operator reads: the message found by key, progress diffs shrinking
 * as the gateway consumes, the gateway delivering again after resetOffsetByTime, topicCount exact across a broker
 * restart, and so on. Each command's text output and its --json are both exercised. Commands run in this process
 * (src/cli/admin's runAdmin with captured stdout/stderr); exit codes and NAMESRV_ADDR are checked with ./bin/mq.
 */
import fs from 'fs';
import path from 'path';
import { expect } from 'chai';
import pino from 'pino';
import { MQClient } from '../../../src/client';
import { connect } from '../../gateway/thrift-client';
import type { TestClient } from '../../gateway/thrift-client';
import { stopAll, uniqueName } from '../../helpers/proc';
import { admin, adminJson, adminProcess, eventually, startOpsCluster } from './ops-cluster';
import type { OpsCluster } from './ops-cluster';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mq admin commands against a real cluster (integration)', function () {
  this.timeout(120000);
  let c: OpsCluster;
  let ns: string;
  let client: MQClient;
  let gw: TestClient;
  const topic = uniqueName('OpsT');

  /** Sends `n` messages with key `<prefix>-<i>` and tag `tag`; resolves with the send results. */
  async function sendN(t: string, n: number, prefix: string, tag = 'TagA', oneByOne = false) {
    const msgs = Array.from({ length: n }, (_, i) => ({ body: Buffer.from(`${prefix} body ${i}`), tags: tag, keys: [`${prefix}-${i}`] }));
    // A batch lands on one broker set; one send per message spreads them round-robin over every queue.
    const res = oneByOne ? (await Promise.all(msgs.map((m) => client.send(t, [m])))).flat() : await client.send(t, msgs);
    for (const r of res) if (!r.ok) throw new Error(`send failed: ${JSON.stringify(r)}`);
    return res as Array<Extract<(typeof res)[number], { ok: true }>>;
  }

  before(async () => {
    c = await startOpsCluster({ gateway: true });
    ns = c.namesrvAddr;
    client = new MQClient({ namesrvAddr: ns, instanceName: uniqueName('ops') }, { logger: pino({ level: 'silent' }) });
    await client.start();
    gw = connect(Number(c.gateway!.fields.listenPort));
    const r = await admin(['updateTopic', '-n', ns, '-c', 'OpsCluster', '-t', topic, '-r', '2', '-w', '2']);
    expect(r.code, r.stderr).to.equal(0);
    await eventually(async () => (await client.getRoute(topic)).publishQueues.length === 4, 'route of the new topic');
  });

  after(async () => {
    gw?.close();
    await client?.shutdown();
    await c?.stop();
    await stopAll();
  });

  it('clusterList lists both broker sets with the slave, version, TPS, disk columns; --json has the figures', async () => {
    const r = await admin(['clusterList', '-n', ns]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/#Cluster Name\s+#Broker Name\s+#BID\s+#Addr\s+#Version\s+#InTPS\(LOAD\)\s+#OutTPS\(LOAD\)\s+#PCWait\(ms\)\s+#Hour\s+#SPACE/);
    expect(r.stdout).to.match(new RegExp(`OpsCluster\\s+ops-a\\s+0\\s+127\\.0\\.0\\.1:${c.a.fields.listenPort}\\s+V4_9_8\\s+\\d+\\.\\d\\d\\(\\d+,\\d+ms\\)`));
    expect(r.stdout).to.match(new RegExp(`OpsCluster\\s+ops-a\\s+1\\s+127\\.0\\.0\\.1:${c.aSlave.fields.listenPort}`));
    expect(r.stdout).to.match(/OpsCluster\s+ops-b\s+0\s/);
    const rows = await adminJson<Array<{ brokerName: string; brokerId: number; online: boolean; commitLogDiskRatio: number }>>(['clusterList', '-n', ns]);
    expect(rows.map((x) => `${x.brokerName}/${x.brokerId}`)).to.deep.equal(['ops-a/0', 'ops-a/1', 'ops-b/0']);
    for (const x of rows) {
      expect(x.online).to.equal(true);
      expect(x.commitLogDiskRatio).to.be.greaterThan(0).and.lessThan(1);
    }
  });

  it('NAMESRV_ADDR replaces -n; unknown flags are refused with nothing on stdout; --help on each command', async () => {
    const r = await adminProcess(['topicList'], { NAMESRV_ADDR: ns });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.split('\n')).to.include(topic);
    const bad = await adminProcess(['topicList', '-n', ns, '--bogus']);
    expect(bad.code).to.equal(2);
    expect(bad.stdout).to.equal('');
    expect(bad.stderr).to.contain('unknown option --bogus');
    const failed = await adminProcess(['topicStatus', '-n', ns, '-t', 'NoSuchTopic_x']);
    expect(failed.code).to.equal(1);
    expect(failed.stdout).to.equal('');
    const h = await adminProcess(['consumerProgress', '--help']);
    expect(h.code).to.equal(0);
    expect(h.stdout).to.contain('usage: mq admin consumerProgress').and.contain('--json');
  });

  it('topicRoute and topicStatus show the queues; the max offsets and last-update time follow the sends', async () => {
    const route = await adminJson<{ queueDatas: Array<{ brokerName: string; writeQueueNums: number }> }>(['topicRoute', '-n', ns, '-t', topic]);
    expect(route.queueDatas.map((q) => q.brokerName).sort()).to.deep.equal(['ops-a', 'ops-b']);
    const before = Date.now();
    await sendN(topic, 8, 'st');
    const rows = await adminJson<Array<{ brokerName: string; queueId: number; maxOffset: number; lastUpdateTimestamp: number }>>(['topicStatus', '-n', ns, '-t', topic]);
    expect(rows).to.have.length(4);
    expect(rows.reduce((s, x) => s + x.maxOffset, 0)).to.equal(8);
    for (const x of rows) if (x.maxOffset > 0) expect(x.lastUpdateTimestamp).to.be.within(before - 1000, Date.now() + 1000);
    const t = await admin(['topicStatus', '-n', ns, '-t', topic]);
    expect(t.stdout).to.match(/#Broker Name\s+#QID\s+#Min Offset\s+#Max Offset\s+#Last Updated/);
    expect(t.stdout).to.match(/^ops-[ab]\s+[01]\s+0\s+[1-9]\d*\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$/m);
  });

  it('queryMsgByKey finds the message sent with that key; ById (offset id and client id), ByUniqueKey and ByOffset show it', async () => {
    const [sent] = await sendN(topic, 1, 'needle');
    const k = await admin(['queryMsgByKey', '-n', ns, '-t', topic, '-k', 'needle-0']);
    expect(k.code, k.stderr).to.equal(0);
    expect(k.stdout).to.match(/#Message ID\s+#QID\s+#Offset/);
    expect(k.stdout).to.contain(sent.uniqId);
    expect((await adminJson<unknown[]>(['queryMsgByKey', '-n', ns, '-t', topic, '-k', 'no-such-key'])).length).to.equal(0);
    for (const args of [
      ['queryMsgById', '-i', sent.msgId],
      ['queryMsgById', '-i', sent.uniqId, '-t', topic],
      ['queryMsgByUniqueKey', '-i', sent.uniqId, '-t', topic],
      ['queryMsgByOffset', '-t', topic, '-b', sent.brokerName, '-i', String(sent.queueId), '-o', String(sent.queueOffset)],
    ]) {
      const found = await adminJson<Array<{ body: string; keys: string; msgId: string; queueOffset: number }>>([...args, '-n', ns]);
      expect(found, args.join(' ')).to.have.length(1);
      expect(found[0].body).to.equal('needle body 0');
      expect(found[0].keys).to.equal('needle-0');
      expect(found[0].msgId).to.equal(sent.uniqId);
      const text = await admin([...args, '-n', ns]);
      expect(text.stdout).to.match(/Message Body:\s+needle body 0/).and.match(/Keys:\s+\[needle-0\]/);
    }
    const miss = await admin(['queryMsgByOffset', '-n', ns, '-t', topic, '-b', sent.brokerName, '-i', String(sent.queueId), '-o', '999999']);
    expect(miss.code).to.equal(1);
    expect(miss.stdout).to.equal('');
  });

  it('printMsg prints the messages stored in a time range, and only those', async () => {
    const t = uniqueName('OpsPrint');
    expect((await admin(['updateTopic', '-n', ns, '-c', 'OpsCluster', '-t', t, '-r', '1', '-w', '1'])).code).to.equal(0);
    await eventually(async () => (await client.getRoute(t)).publishQueues.length === 2, 'route');
    await sendN(t, 3, 'early');
    await sleep(50);
    const from = Date.now();
    await sleep(20);
    await sendN(t, 4, 'late', 'TagB');
    const msgs = await adminJson<Array<{ body: string }>>(['printMsg', '-n', ns, '-t', t, '-b', String(from)]);
    expect(msgs.map((m) => m.body).sort()).to.deep.equal([0, 1, 2, 3].map((i) => `late body ${i}`));
    const text = await admin(['printMsg', '-n', ns, '-t', t, '-b', String(from), '-s', 'TagA']);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.equal('');
    const all = await admin(['printMsg', '-n', ns, '-t', t]);
    expect(all.stdout.match(/^MSGID: /gm)).to.have.length(7);
  });

  it('consumerProgress shows the diff shrinking as the gateway consumes; consumerConnection shows the gateway', async () => {
    const t = uniqueName('OpsProg');
    const group = uniqueName('g');
    expect((await admin(['updateTopic', '-n', ns, '-c', 'OpsCluster', '-t', t, '-r', '2', '-w', '2'])).code).to.equal(0);
    await eventually(async () => (await client.getRoute(t)).publishQueues.length === 4, 'route');
    await sendN(t, 20, 'prog');
    // The group starts at the oldest message: consume 5 of them, let the gateway write its offsets.
    const first = await gw.get({ topic: t, consumerGroup: group, maxMessages: 5 });
    expect(first.messages.length).to.be.within(1, 5);
    const diff1 = await eventually(async () => {
      const p = await adminJson<{ diffTotal: number; queues: unknown[] }>(['consumerProgress', '-n', ns, '-g', group]);
      return p.queues.length === 4 && p.diffTotal === 20 - first.messages.length ? p.diffTotal : 0;
    }, 'progress after the first get');
    let got = first.messages.length;
    while (got < 20) {
      const r = await gw.get({ topic: t, consumerGroup: group, maxMessages: 32, waitMs: 500 });
      got += r.messages.length;
      if (r.messages.length === 0) break;
    }
    expect(got).to.equal(20);
    await eventually(async () => (await adminJson<{ diffTotal: number }>(['consumerProgress', '-n', ns, '-g', group])).diffTotal === 0, 'diff 0');
    expect(diff1).to.be.greaterThan(0);
    const text = await admin(['consumerProgress', '-n', ns, '-g', group]);
    expect(text.stdout).to.match(/#Topic\s+#Broker Name\s+#QID\s+#Broker Offset\s+#Consumer Offset\s+#Diff\s+#LastTime/);
    expect(text.stdout).to.match(/Diff Total: 0/).and.match(/Consume TPS: \d+\.\d\d/);
    const withIp = await admin(['consumerProgress', '-n', ns, '-g', group, '-s']);
    expect(withIp.stdout).to.match(/#Consumer Offset\s+#Client IP\s+#Diff\s+#LastTime/);
    // Without -g: one line per group (groups are found by their %RETRY% topic, created at the group's first heartbeat).
    const line = new RegExp(`${group}\\s+1\\s+V\\d+\\s+(PULL|PUSH)\\s+CLUSTERING\\s+\\d+\\.\\d\\d\\s+0`);
    await eventually(async () => line.test((await admin(['consumerProgress', '-n', ns])).stdout), 'the group listed by consumerProgress');
    const conn = await adminJson<{ connectionSet: Array<{ clientId: string }>; subscriptionTable: Record<string, unknown> }>(['consumerConnection', '-n', ns, '-g', group]);
    expect(conn.connectionSet).to.have.length(1);
    expect(Object.keys(conn.subscriptionTable)).to.include(t);
    const ct = await admin(['consumerConnection', '-n', ns, '-g', group]);
    expect(ct.stdout).to.contain(conn.connectionSet[0].clientId).and.contain(`Topic: ${t}`);
    const off = await admin(['consumerConnection', '-n', ns, '-g', 'no_such_group_x']);
    expect(off.code).to.equal(1);
    expect(off.stderr).to.contain('not online');
  });

  it('resetOffsetByTime makes the gateway deliver the messages again', async () => {
    const t = uniqueName('OpsReset');
    const group = uniqueName('rg');
    expect((await admin(['updateTopic', '-n', ns, '-c', 'OpsCluster', '-t', t, '-r', '1', '-w', '1'])).code).to.equal(0);
    await eventually(async () => (await client.getRoute(t)).publishQueues.length === 2, 'route');
    await sendN(t, 3, 'old');
    await sleep(50);
    const mark = Date.now();
    await sleep(20);
    await sendN(t, 4, 'new');
    let seen: string[] = [];
    for (let i = 0; i < 10 && seen.length < 7; i++) {
      seen.push(...(await gw.get({ topic: t, consumerGroup: group, maxMessages: 32, waitMs: 300 })).messages.map((m) => m.body.toString()));
    }
    expect(seen).to.have.length(7);
    expect((await gw.get({ topic: t, consumerGroup: group, maxMessages: 32 })).messages).to.have.length(0);
    // The gateway heartbeats the group: the brokers know it online.
    await eventually(async () => (await admin(['consumerConnection', '-n', ns, '-g', group])).code === 0, 'group online');
    const r = await admin(['resetOffsetByTime', '-n', ns, '-g', group, '-t', t, '-s', String(mark)]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`rollback consumer offset by specified consumerGroup[${group}], topic[${t}]`);
    expect(r.stdout).to.match(/#brokerName\s+#queueId\s+#offset/);
    seen = [];
    for (let i = 0; i < 20 && seen.length < 4; i++) {
      seen.push(...(await gw.get({ topic: t, consumerGroup: group, maxMessages: 32, waitMs: 300 })).messages.map((m) => m.body.toString()));
    }
    expect(seen.sort(), JSON.stringify(seen)).to.deep.equal([0, 1, 2, 3].map((i) => `new body ${i}`));
  });

  it('brokerStatus prints the runtime keys (putTps, getTransferedTps, msgPutTotalTodayNow, commitLogDiskRatio)', async () => {
    const r = await admin(['brokerStatus', '-n', ns, '-b', `127.0.0.1:${c.a.fields.listenPort}`]);
    expect(r.code, r.stderr).to.equal(0);
    for (const k of ['putTps', 'getTransferedTps', 'msgPutTotalTodayNow', 'commitLogDiskRatio', 'brokerVersionDesc', 'earliestMessageTimeStamp']) {
      expect(r.stdout).to.match(new RegExp(`^${k}\\s*: \\S`, 'm'));
    }
    expect(r.stdout).to.match(/^putTps\s*: \d+\.\d\d \d+\.\d\d \d+\.\d\d$/m);
    const j = await adminJson<Record<string, string>>(['brokerStatus', '-n', ns, '-b', `127.0.0.1:${c.a.fields.listenPort}`]);
    expect(Number(j.msgPutTotalTodayNow)).to.be.greaterThan(0);
    const all = await adminJson<Record<string, Record<string, string>>>(['brokerStatus', '-n', ns, '-c', 'OpsCluster']);
    expect(Object.keys(all)).to.have.length(3);
  });

  it('getBrokerConfig and updateBrokerConfig read and change a live option on a whole cluster', async () => {
    const before = await adminJson<Record<string, string>>(['getBrokerConfig', '-n', ns, '-b', `127.0.0.1:${c.b.fields.listenPort}`]);
    expect(before.brokerName).to.equal('ops-b');
    const u = await admin(['updateBrokerConfig', '-n', ns, '-c', 'OpsCluster', '-k', 'waitTimeMillsInSendQueue', '-v', '345']);
    expect(u.code, u.stderr).to.equal(0);
    expect(u.stdout.match(/update broker config success/g)).to.have.length(3);
    const text = await admin(['getBrokerConfig', '-n', ns, '-c', 'OpsCluster']);
    expect(text.stdout.match(/^waitTimeMillsInSendQueue\s+=\s+345$/gm)).to.have.length(3);
    const bad = await admin(['updateBrokerConfig', '-n', ns, '-b', `127.0.0.1:${c.b.fields.listenPort}`, '-k', 'noSuchKey', '-v', '1']);
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.equal('');
  });

  it('wipeWritePerm makes the route read-only for that broker set and addWritePerm restores it', async () => {
    const perm = async (): Promise<number | undefined> =>
      (await adminJson<{ queueDatas: Array<{ brokerName: string; perm: number }> }>(['topicRoute', '-n', ns, '-t', topic])).queueDatas.find((q) => q.brokerName === 'ops-b')?.perm;
    const w = await admin(['wipeWritePerm', '-n', ns, '-b', 'ops-b']);
    expect(w.code, w.stderr).to.equal(0);
    expect(w.stdout).to.match(new RegExp(`wipe write perm of broker\\[ops-b\\] in name server\\[${ns.replace(/\./g, '\\.')}\\] OK, [1-9]\\d*`));
    expect(await perm()).to.equal(4);
    const a = await admin(['addWritePerm', '-n', ns, '-b', 'ops-b']);
    expect(a.code, a.stderr).to.equal(0);
    expect(await perm()).to.equal(6);
  });

  it('updateSubGroup writes the group config on every master; deleteSubGroup removes it and its offsets', async () => {
    const group = uniqueName('sg');
    const u = await admin(['updateSubGroup', '-n', ns, '-c', 'OpsCluster', '-g', group, '-r', '3']);
    expect(u.code, u.stderr).to.equal(0);
    expect(u.stdout.match(/create subscription group to .* success\./g)).to.have.length(2);
    const addrA = `127.0.0.1:${c.a.fields.listenPort}`;
    // Our admin client reads GET_ALL_SUBSCRIPTIONGROUP_CONFIG as mqadmin does.
    const { AdminClient } = await import('../../../src/client/admin');
    const ac = new AdminClient({ namesrvAddr: ns });
    try {
      expect((await ac.subscriptionGroups(addrA))[group]).to.include({ groupName: group, retryMaxTimes: 3 });
      await ac.updateConsumerOffset(addrA, group, topic, 0, 1);
      expect((await adminJson<{ queues: Array<{ consumerOffset: number }> }>(['consumerProgress', '-n', ns, '-g', group])).queues.some((q) => q.consumerOffset === 1)).to.equal(true);
      const d = await admin(['deleteSubGroup', '-n', ns, '-c', 'OpsCluster', '-g', group]);
      expect(d.code, d.stderr).to.equal(0);
      expect(d.stdout).to.contain(`delete subscription group [${group}] from broker [${addrA}] success.`);
      expect((await ac.subscriptionGroups(addrA))[group]).to.equal(undefined);
      expect((await adminJson<{ queues: Array<{ consumerOffset: number }> }>(['consumerProgress', '-n', ns, '-g', group])).queues.every((q) => q.consumerOffset === 0)).to.equal(true);
    } finally {
      await ac.close();
    }
  });

  it('deleteSubGroup makes the gateway forget the group: it starts again from the oldest message', async () => {
    const t = uniqueName('OpsDelG');
    const group = uniqueName('dg');
    expect((await admin(['updateTopic', '-n', ns, '-c', 'OpsCluster', '-t', t, '-r', '1', '-w', '1'])).code).to.equal(0);
    await eventually(async () => (await client.getRoute(t)).publishQueues.length === 2, 'route');
    await sendN(t, 3, 'dg');
    let got = 0;
    for (let i = 0; i < 10 && got < 3; i++) got += (await gw.get({ topic: t, consumerGroup: group, maxMessages: 32, waitMs: 300 })).messages.length;
    expect(got).to.equal(3);
    expect((await gw.get({ topic: t, consumerGroup: group, maxMessages: 32 })).messages).to.have.length(0);
    await eventually(async () => (await admin(['consumerConnection', '-n', ns, '-g', group])).code === 0, 'group online');
    const d = await admin(['deleteSubGroup', '-n', ns, '-c', 'OpsCluster', '-g', group]);
    expect(d.code, d.stderr).to.equal(0);
    const again: string[] = [];
    for (let i = 0; i < 20 && again.length < 3; i++) {
      again.push(...(await gw.get({ topic: t, consumerGroup: group, maxMessages: 32, waitMs: 300 })).messages.map((m) => m.body.toString()));
    }
    expect(again.sort()).to.deep.equal([0, 1, 2].map((i) => `dg body ${i}`));
  });

  it('statsAll shows the topic with the messages received in 24 h and the consuming groups', async () => {
    const t = uniqueName('OpsStats');
    expect((await admin(['updateTopic', '-n', ns, '-c', 'OpsCluster', '-t', t, '-r', '1', '-w', '1'])).code).to.equal(0);
    await eventually(async () => (await client.getRoute(t)).publishQueues.length === 2, 'route');
    await sendN(t, 6, 'stats');
    const rows = await adminJson<Array<{ topic: string; group: string; inMsg24Hour: number }>>(['statsAll', '-n', ns, '-t', t]);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ topic: t, group: '', inMsg24Hour: 6 });
    const text = await admin(['statsAll', '-n', ns, '-t', t]);
    expect(text.stdout).to.match(/#Topic\s+#Consumer Group\s+#Accumulation\s+#InTPS\s+#OutTPS\s+#InMsg24Hour\s+#OutMsg24Hour/);
    expect(text.stdout).to.match(new RegExp(`${t}\\s+NO_CONSUMER\\s+0\\s+\\d+\\.\\d\\d\\s+0\\.00\\s+6\\s+0`));
    // A group reads 2 of the 6: it shows with its backlog and what it read.
    const group = uniqueName('sa');
    expect((await gw.get({ topic: t, consumerGroup: group, maxMessages: 2 })).messages).to.have.length(2);
    const withGroup = await eventually(async () => {
      const r = await adminJson<Array<{ group: string; accumulation: number; outMsg24Hour: number }>>(['statsAll', '-n', ns, '-t', t]);
      return r.find((x) => x.group === group && x.accumulation === 4);
    }, 'group in statsAll');
    // Messages the brokers returned to the group's pulls (the gateway may read ahead of what it delivered).
    expect(withGroup.outMsg24Hour).to.be.within(2, 6);
  });

  it('topicCount matches the number sent between two times, across a broker restart; --every sums to it', async () => {
    const t = uniqueName('OpsCount');
    expect((await admin(['updateTopic', '-n', ns, '-c', 'OpsCluster', '-t', t, '-r', '2', '-w', '2'])).code).to.equal(0);
    await eventually(async () => (await client.getRoute(t)).publishQueues.length === 4, 'route');
    const t0 = Date.now();
    await sendN(t, 5, 'c0', 'TagA', true);
    await sleep(30);
    const t1 = Date.now();
    await sleep(30);
    await sendN(t, 7, 'c1', 'TagA', true);
    await sleep(30);
    const t2 = Date.now();
    await sleep(30);
    await c.restartB();
    await eventually(async () => (await client.getRoute(t)).publishQueues.length === 4 && (await adminJson<unknown[]>(['clusterList', '-n', ns])).length === 3, 'broker B back');
    await sendN(t, 3, 'c2', 'TagA', true);
    // The broker wrote its minute lines to stats.log when it stopped, in RocketMQ's format (GMT+8 time stamps).
    const statsLog = fs.readFileSync(path.join(c.storeDirs.b, 'logs', 'stats.log'), 'utf8');
    const put = new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} INFO - \\[TOPIC_PUT_NUMS\\] \\[${t}\\] Stats In One Minute, SUM: (\\d+) TPS: \\d+\\.\\d\\d AVGPT: \\d+\\.\\d\\d$`, 'm');
    const m = put.exec(statsLog);
    expect(m, statsLog.slice(-2000)).to.not.equal(null);
    expect(Number(m![1])).to.be.within(1, 12);
    const count = async (...args: string[]): Promise<number> => (await adminJson<{ count: number }>(['topicCount', '-n', ns, '-t', t, ...args])).count;
    expect(await count('-b', String(t1), '-e', String(t2))).to.equal(7);
    expect(await count('-b', String(t0))).to.equal(15);
    expect(await count('-b', String(t0), '-e', String(t1))).to.equal(5);
    const curve = await adminJson<{ count: number; series: Array<{ count: number; total: number }> }>(['topicCount', '-n', ns, '-t', t, '-b', String(t0 - 120_000), '--every', '1m']);
    expect(curve.count).to.equal(15);
    expect(curve.series.reduce((s, x) => s + x.count, 0)).to.equal(15);
    expect(curve.series.at(-1)!.total).to.equal(15);
    const text = await admin(['topicCount', '-n', ns, '-t', t, '-b', String(t1), '-e', String(t2)]);
    expect(text.stdout).to.match(new RegExp(`#Topic\\s+#Begin\\s+#End\\s+#Count\\n${t}\\s+.*\\s7\\n`));
    const bad = await admin(['topicCount', '-n', ns, '-t', t, '--every', '5m']);
    expect(bad.code).to.equal(2);
    expect(bad.stdout).to.equal('');
  });

  it('deleteTopic removes the topic from the brokers and the name server', async () => {
    const t = uniqueName('OpsDel');
    expect((await admin(['updateTopic', '-n', ns, '-c', 'OpsCluster', '-t', t])).code).to.equal(0);
    await eventually(async () => (await adminJson<string[]>(['topicList', '-n', ns])).includes(t), 'topic listed');
    const d = await admin(['deleteTopic', '-n', ns, '-c', 'OpsCluster', '-t', t]);
    expect(d.code, d.stderr).to.equal(0);
    expect(d.stdout).to.contain(`delete topic [${t}] from cluster [OpsCluster] success.`);
    expect(await adminJson<string[]>(['topicList', '-n', ns])).to.not.include(t);
    // The broker forgot it too (it would otherwise re-register it).
    await sleep(1500);
    expect(await adminJson<string[]>(['topicList', '-n', ns])).to.not.include(t);
  });
});
