/**
 * Log identity with real `mq namesrv` / `mq broker` processes: every pull and offset answer names the log under the
 * queue (`logId` = store identity + topic epoch), so a reader can tell a new log under an old broker name and queue.
 *   - master and slave report the same logId (the slave takes its master's identity and the topic's epoch);
 *   - a restart of either keeps it; our client exposes it on pulls and offset answers;
 *   - a topic deleted and created again, a store rebuilt empty, and another cluster with the same broker names
 *     report a different one; a slave whose store came from the old master refuses reads instead of serving it.
 */
import { expect } from 'chai';
import fs from 'fs';
import path from 'path';
import pino from 'pino';
import { sleep } from '../../src/common';
import { MQClient } from '../../src/client';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/remoting';
import { STORE_IDENTITY_FILE } from '../../src/store';
import { spawnMq, stopAll, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });
const LOG_ID = /^[0-9a-f]{32}\.[0-9a-f]{16}$/;
const FAST = [
  '--httpPort=-1',
  `--mappedFileSizeCommitLog=${1024 * 1024}`,
  '--registerNameServerPeriod=1000',
  '--haConnectRetryInterval=200',
  '--haSendHeartbeatInterval=500',
  '--slaveSyncInterval=500',
  '--slaveSyncInitialDelay=100',
];

function namesrv(): Promise<MqProcess> {
  return spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1']);
}

function broker(ns: MqProcess, dir: string, brokerName: string, role: 'ASYNC_MASTER' | 'SLAVE'): Promise<MqProcess> {
  return spawnMq(
    [
      'broker',
      `--brokerName=${brokerName}`,
      `--brokerRole=${role}`,
      `--brokerId=${role === 'SLAVE' ? 1 : 0}`,
      `--storePathRootDir=${dir}`,
      `--namesrvAddr=127.0.0.1:${ns.fields.listenPort}`,
      '--listenPort=0',
      '--haListenPort=0',
      ...FAST,
    ],
    { readyTimeoutMs: 20000 },
  );
}

function client(ns: MqProcess): MQClient {
  return new MQClient(
    { namesrvAddr: `127.0.0.1:${ns.fields.listenPort}`, pollNameServerInterval: 500, sendMsgTimeout: 3000, clientIP: '127.0.0.1' },
    { logger },
  );
}

const addr = (p: MqProcess): string => `127.0.0.1:${p.fields.listenPort}`;

/** Polls `f` until it returns a value `ok` accepts; throws naming `what` after `ms`. */
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await f().catch(() => undefined as T);
    if (last !== undefined && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}

describe('logId with real mq processes', function () {
  this.timeout(120000);
  const raw = new RemotingClient({ logger, defaultTimeoutMs: 5000 });
  const cleanups: Array<() => Promise<unknown> | void> = [];
  after(() => raw.close());
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
    await stopAll();
  });

  /** GET_MAX_OFFSET straight to one broker process: its code, logId and offset. */
  async function maxOffset(
    p: MqProcess,
    topic: string,
    serializeType: 'JSON' | 'ROCKETMQ' = 'JSON',
  ): Promise<{ code: number; logId?: string; offset?: string }> {
    const req = RemotingCommand.createRequest(RequestCode.GET_MAX_OFFSET, { topic, queueId: 0 });
    req.serializeType = serializeType;
    const r = await raw.invokeSync(addr(p), req);
    expect(r.serializeType).to.equal(serializeType);
    return { code: r.code, logId: r.extFields?.logId, offset: r.extFields?.offset };
  }

  /** PULL_MESSAGE from offset 0 straight to one broker process. */
  async function pull(p: MqProcess, topic: string): Promise<{ code: number; logId?: string }> {
    const req = RemotingCommand.createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: 'G_logid',
      topic,
      queueId: 0,
      queueOffset: 0,
      maxMsgNums: 32,
      sysFlag: 0x4,
      commitOffset: 0,
      suspendTimeoutMillis: 0,
      subscription: '*',
      subVersion: 0,
      expressionType: 'TAG',
    });
    const r = await raw.invokeSync(addr(p), req);
    return { code: r.code, logId: r.extFields?.logId };
  }

  it('master and slave agree; restarts keep it; a re-created topic and a rebuilt store change it; a stale slave refuses', async () => {
    const ns = await namesrv();
    const mDir = tempDir('mq-logid-m-');
    const sDir = tempDir('mq-logid-s-');
    cleanups.push(mDir.cleanup, sDir.cleanup);
    let m = await broker(ns, mDir.dir, 'broker-lid', 'ASYNC_MASTER');
    let s = await broker(ns, sDir.dir, 'broker-lid', 'SLAVE');
    const c = client(ns);
    cleanups.push(() => c.shutdown());
    await c.start();
    const topic = uniqueName('LID');
    await c.admin.createTopic({ topic, clusterName: 'DefaultCluster', writeQueueNums: 1, readQueueNums: 1 });
    await until(() => c.publishQueues(topic), (q) => q.length === 1, 10000, 'route');
    for (let i = 0; i < 5; i++) expect((await c.send(topic, [{ body: Buffer.from(`m${i}`) }]))[0].ok).to.equal(true);

    // The master's identity; the slave reports the same once it has copied the topic and the messages.
    const master = await maxOffset(m, topic);
    expect(master.code).to.equal(ResponseCode.SUCCESS);
    expect(master.logId).to.match(LOG_ID);
    const logId = master.logId as string;
    // The slave reports no logId until its metadata sync has taken the master's identity, then the master's.
    await until(() => maxOffset(s, topic), (r) => r.offset === '5' && r.logId !== undefined, 15000, 'slave copy');
    expect((await maxOffset(s, topic)).logId).to.equal(logId);
    expect((await pull(m, topic)).logId).to.equal(logId);
    expect((await pull(s, topic))).to.deep.equal({ code: ResponseCode.SUCCESS, logId });
    // The identity is a file in the store directory, written by the master and copied by the slave.
    const idOf = (dir: string): string => JSON.parse(fs.readFileSync(path.join(dir, STORE_IDENTITY_FILE), 'utf8')).storeId;
    expect(idOf(mDir.dir)).to.equal(logId.split('.')[0]);
    expect(idOf(sDir.dir)).to.equal(idOf(mDir.dir));

    // Our client: on pulls and on the offset answers, with the answering broker id.
    const q = { topic, brokerName: 'broker-lid', queueId: 0 };
    const pr = await c.pull({ consumerGroup: 'G_logid', ...q, offset: 0, maxMsgNums: 32 });
    expect(pr.status).to.equal('FOUND');
    expect(pr.logId).to.equal(logId);
    expect(pr.storeStatus).to.equal('FOUND');
    const min = await c.getMinOffsetAnswer(q, { mode: 'master' });
    expect(min).to.include({ offset: 0, logId, brokerId: 0 });
    expect(await c.getMaxOffsetAnswer(q)).to.include({ offset: 5, logId });
    expect((await c.searchOffsetByTimestampAnswer(q, Date.now())).logId).to.equal(logId);
    expect((await c.queryConsumerOffsetAnswer('G_logid_none', q)).logId).to.equal(logId);

    // Restarts keep the identity (master and slave).
    await s.stop();
    await m.stop();
    m = await broker(ns, mDir.dir, 'broker-lid', 'ASYNC_MASTER');
    s = await broker(ns, sDir.dir, 'broker-lid', 'SLAVE');
    expect((await maxOffset(m, topic)).logId).to.equal(logId);
    expect((await maxOffset(s, topic)).logId).to.equal(logId);

    // Topic deleted and created again: same store, new epoch; the slave follows its master.
    const del = await raw.invokeSync(addr(m), RemotingCommand.createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { topic }));
    expect(del.code).to.equal(ResponseCode.SUCCESS);
    await c.admin.createTopic({ topic, clusterName: 'DefaultCluster', writeQueueNums: 1, readQueueNums: 1 });
    const recreated = (await maxOffset(m, topic)).logId as string;
    expect(recreated).to.match(LOG_ID);
    expect(recreated).to.not.equal(logId);
    expect(recreated.split('.')[0]).to.equal(logId.split('.')[0]);
    await until(() => maxOffset(s, topic), (r) => r.logId === recreated, 10000, 'slave to copy the new epoch');
    // An update of the existing topic keeps its epoch.
    await c.admin.createTopic({ topic, clusterName: 'DefaultCluster', writeQueueNums: 1, readQueueNums: 1, perm: 6 });
    expect((await maxOffset(m, topic)).logId).to.equal(recreated);

    // Master rebuilt with an empty store: a new identity. The slave's store belongs to the old one: it refuses reads.
    await m.stop();
    fs.rmSync(mDir.dir, { recursive: true, force: true });
    fs.mkdirSync(mDir.dir);
    m = await broker(ns, mDir.dir, 'broker-lid', 'ASYNC_MASTER');
    await c.admin.createTopic({ topic, clusterName: 'DefaultCluster', writeQueueNums: 1, readQueueNums: 1 });
    const rebuilt = (await maxOffset(m, topic)).logId as string;
    expect(rebuilt).to.match(LOG_ID);
    expect(rebuilt.split('.')[0]).to.not.equal(logId.split('.')[0]);
    const stale = await until(() => maxOffset(s, topic), (r) => r.code !== ResponseCode.SUCCESS, 10000, 'the stale slave to refuse');
    expect(stale.code).to.equal(ResponseCode.SERVICE_NOT_AVAILABLE);
    expect((await pull(s, topic)).code).to.equal(ResponseCode.SERVICE_NOT_AVAILABLE);
    // Nor does it take consumer offsets (they would be positions in the old log, handed back to the new master).
    const commit = RemotingCommand.createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, {
      consumerGroup: 'G_logid',
      topic,
      queueId: 0,
      commitOffset: 3,
    });
    expect((await raw.invokeSync(addr(s), commit)).code).to.equal(ResponseCode.SERVICE_NOT_AVAILABLE);
    // It kept its old identity file (never serving the old log under the new master's name).
    expect(idOf(sDir.dir)).to.equal(logId.split('.')[0]);
    // And it stopped replicating: the new master's log, once longer than the slave's, is not appended after the old.
    const slaveEnd = async (): Promise<number> => {
      const r = await raw.invokeSync(addr(s), RemotingCommand.createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
      return Number((JSON.parse(r.body?.toString() ?? '{}') as { table: Record<string, string> }).table.commitLogMaxOffset);
    };
    const before = await slaveEnd();
    await until(() => c.publishQueues(topic), (qs) => qs.length === 1, 10000, 'route to the rebuilt master');
    for (let i = 0; i < 20; i++) expect((await c.send(topic, [{ body: Buffer.alloc(500, i) }]))[0].ok).to.equal(true);
    expect((await maxOffset(m, topic)).offset).to.equal('20');
    await sleep(2000);
    expect(await slaveEnd()).to.equal(before);

    // Restarted, the stale slave still never copies the rebuilt master (now longer than its own log): before every
    // HA connection its metadata sync must find the master holding its log.
    await s.stop();
    for (let i = 0; i < 20; i++) expect((await c.send(topic, [{ body: Buffer.alloc(500, i) }]))[0].ok).to.equal(true);
    s = await broker(ns, sDir.dir, 'broker-lid', 'SLAVE');
    await until(() => maxOffset(s, topic), (r) => r.code === ResponseCode.SERVICE_NOT_AVAILABLE, 10000, 'the restarted stale slave to refuse');
    await sleep(1500);
    expect(await slaveEnd()).to.equal(before);
  });

  it('another cluster whose broker set and topic have the same names reports another logId', async () => {
    const blue = await namesrv();
    const green = await namesrv();
    const bDir = tempDir('mq-logid-b-');
    const gDir = tempDir('mq-logid-g-');
    cleanups.push(bDir.cleanup, gDir.cleanup);
    const b = await broker(blue, bDir.dir, 'broker-same', 'ASYNC_MASTER');
    const g = await broker(green, gDir.dir, 'broker-same', 'ASYNC_MASTER');
    const topic = uniqueName('LIDBG');
    for (const ns of [blue, green]) {
      const c = client(ns);
      cleanups.push(() => c.shutdown());
      await c.start();
      await c.admin.createTopic({ topic, clusterName: 'DefaultCluster', writeQueueNums: 1, readQueueNums: 1 });
    }
    const lb = (await maxOffset(b, topic)).logId;
    const lg = (await maxOffset(g, topic)).logId;
    expect(lb).to.match(LOG_ID);
    expect(lg).to.match(LOG_ID);
    expect(lb).to.not.equal(lg);
    // The ROCKETMQ binary header carries it too (the answer uses the request's encoding).
    expect((await maxOffset(b, topic, 'ROCKETMQ')).logId).to.equal(lb);
  });
});
