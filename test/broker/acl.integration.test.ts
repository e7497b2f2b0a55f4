/**
 * RocketMQ 4.x ACL on a real `mq broker` (aclEnable=true, a plain_acl.yml-format file), with the third-party
 * `ali-ons` producer signing with accessKeyId/accessKeySecret, and our own client (src/client) signing with an
 * account (aclAccessKey/aclSecretKey): allowed sends and pulls work; a missing, unknown or wrongly signed account,
 * a topic without PUB, and an admin code from a non-admin account are refused with NO_PERMISSION and a clear remark.
 */
import { expect } from 'chai';
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import pino from 'pino';
import { MQClient } from '../../src/client';
import { T } from '../../src/gateway';
import { connect } from '../gateway/thrift-client';
import { spawnMq, stopAll, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';

const CHILD = path.join(__dirname, 'acl-ons-child.js');
const logger = pino({ level: 'silent' });

interface OnsLine {
  sent?: { i: number; msgId: string; status: string };
  sendError?: string;
  done?: boolean;
  fatal?: string;
}

/** Runs the ali-ons producer child to completion (killed by pid after 40 s); resolves with its JSON lines. */
function onsProduce(args: Record<string, unknown>): Promise<OnsLine[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => child.kill('SIGKILL'), 40000);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', () => {
      clearTimeout(t);
      const lines: OnsLine[] = [];
      for (const l of out.split('\n')) {
        try {
          lines.push(JSON.parse(l) as OnsLine);
        } catch {
          // not ours
        }
      }
      resolve(lines);
    });
  });
}

describe('broker ACL: RocketMQ 4.x signatures and permissions (integration)', function () {
  this.timeout(120000);
  const tmp = tempDir('mq-acl-');
  const allowed = uniqueName('AclAllowed');
  const readOnly = uniqueName('AclReadOnly');
  let ns: MqProcess;
  let broker: MqProcess;
  let nsAddr = '';
  const clients: MQClient[] = [];

  async function client(account?: { ak: string; sk: string }): Promise<MQClient> {
    const c = new MQClient(
      { namesrvAddr: nsAddr, instanceName: uniqueName('acl'), ...(account ? { aclAccessKey: account.ak, aclSecretKey: account.sk } : {}) },
      { logger },
    );
    await c.start();
    clients.push(c);
    return c;
  }

  before(async () => {
    const aclFile = path.join(tmp.dir, 'plain_acl.yml');
    fs.writeFileSync(
      aclFile,
      [
        '# accounts for the ACL test',
        'globalWhiteRemoteAddresses:',
        '  - 10.10.103.*',
        '  - 192.168.0.{1,2}',
        'accounts:',
        '  - accessKey: adminAK01',
        '    secretKey: adminSK01',
        '    admin: true',
        '  - accessKey: producerAK',
        "    secretKey: 'producerSK'",
        '    whiteRemoteAddress:',
        '    admin: false',
        '    defaultTopicPerm: DENY',
        '    defaultGroupPerm: SUB',
        '    topicPerms:',
        `      - ${allowed}=PUB|SUB`,
        `      - ${readOnly}=SUB`,
        '    groupPerms:',
        '      - deniedGroup=DENY',
        '',
      ].join('\n'),
    );
    ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1', '--bindAddress=127.0.0.1']);
    nsAddr = `127.0.0.1:${ns.fields.listenPort}`;
    broker = await spawnMq([
      'broker',
      '--brokerName=broker-acl',
      `--storePathRootDir=${path.join(tmp.dir, 'store')}`,
      `--namesrvAddr=${nsAddr}`,
      '--listenPort=0',
      '--httpPort=-1',
      '--registerNameServerPeriod=1000',
      '--mappedFileSizeCommitLog=4194304',
      '--autoCreateTopicEnable=false',
      '--aclEnable=true',
      `--aclFile=${aclFile}`,
    ]);
  });

  after(async () => {
    for (const c of clients) await c.shutdown().catch(() => undefined);
    await broker?.stop();
    await ns?.stop();
    await stopAll();
    tmp.cleanup();
  });

  async function waitRoute(c: MQClient, topic: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await c.getRoute(topic)).publishQueues.length > 0) return;
      } catch {
        // not routed yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no route for ${topic}`);
  }

  it('admin codes: our client signs as the admin account and creates topics; others are refused', async () => {
    const admin = await client({ ak: 'adminAK01', sk: 'adminSK01' });
    const cluster = 'DefaultCluster';
    expect(await admin.createTopic({ topic: allowed, clusterName: cluster, writeQueueNums: 2 })).to.deep.equal(['broker-acl']);
    expect(await admin.createTopic({ topic: readOnly, clusterName: cluster, writeQueueNums: 2 })).to.deep.equal(['broker-acl']);
    await waitRoute(admin, allowed);
    await waitRoute(admin, readOnly);

    const producer = await client({ ak: 'producerAK', sk: 'producerSK' });
    const err1 = await producer.createTopic({ topic: uniqueName('AclNope'), clusterName: cluster, writeQueueNums: 1 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err1?.message).to.match(/Need admin permission/);
    const anonymous = await client();
    const err2 = await anonymous.createTopic({ topic: uniqueName('AclNope'), clusterName: cluster, writeQueueNums: 1 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err2?.message).to.match(/No accessKey/);
  });

  it('ali-ons with accessKeyId/accessKeySecret sends to a topic with PUB', async () => {
    const lines = await onsProduce({ nameSrv: nsAddr, topic: allowed, accessKeyId: 'producerAK', accessKeySecret: 'producerSK', count: 3 });
    const sent = lines.filter((l) => l.sent).map((l) => l.sent!.status);
    expect(sent, JSON.stringify(lines)).to.deep.equal(['SEND_OK', 'SEND_OK', 'SEND_OK']);
  });

  it('our client signs pulls: the producer account (SUB on the topic, default group SUB) reads them back', async () => {
    const c = await client({ ak: 'producerAK', sk: 'producerSK' });
    const queues = await c.subscribeQueues(allowed);
    let got = 0;
    for (const q of queues) {
      const r = await c.pull({
        consumerGroup: 'aclGroup',
        brokerName: q.brokerName,
        topic: allowed,
        queueId: q.queueId,
        offset: 0,
        maxMsgNums: 32,
        subscription: '*',
      });
      got += r.messages.length;
    }
    expect(got).to.equal(3);
    // A group with DENY cannot pull even a readable topic.
    const q = queues[0];
    const denied = await c
      .pull({ consumerGroup: 'deniedGroup', brokerName: q.brokerName, topic: allowed, queueId: q.queueId, offset: 0, maxMsgNums: 1, subscription: '*' })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(denied?.message).to.match(/No permission for group deniedGroup/);
  });

  it('the gateway signs its requests with aclAccessKey/aclSecretKey; with a wrong secret its sends fail', async () => {
    const good = await spawnMq(['gateway', `--namesrvAddr=${nsAddr}`, '--listenPort=0', '--listenHost=127.0.0.1', '--httpPort=-1', '--aclAccessKey=producerAK', '--aclSecretKey=producerSK'], { readyTimeoutMs: 20000 });
    const bad = await spawnMq(['gateway', `--namesrvAddr=${nsAddr}`, '--listenPort=0', '--listenHost=127.0.0.1', '--httpPort=-1', '--aclAccessKey=producerAK', '--aclSecretKey=notTheSecret'], { readyTimeoutMs: 20000 });
    const c1 = connect(Number(good.fields.listenPort));
    const c2 = connect(Number(bad.fields.listenPort));
    try {
      const [ok] = await c1.send([new T.Message({ topic: allowed, body: Buffer.from('via-gateway') })]);
      expect(ok.error, JSON.stringify(ok.error)).to.equal(null);
      expect(ok.msgId).to.be.a('string');
      const r = await c2.send([new T.Message({ topic: allowed, body: Buffer.from('via-bad-gateway') })]).then(
        (res) => res[0].error?.message ?? 'sent',
        (e: { message?: string }) => e.message ?? String(e),
      );
      expect(r).to.not.equal('sent');
      expect(broker.output()).to.match(/Check signature failed for accessKey=producerAK/);
    } finally {
      c1.close();
      c2.close();
      await Promise.all([good.stop(), bad.stop()]);
    }
  });

  it('ali-ons is refused: no PUB on the topic, wrong secret, unknown account, no account', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ topic: readOnly, accessKeyId: 'producerAK', accessKeySecret: 'producerSK' }, new RegExp(`No permission for topic ${readOnly}`)],
      [{ topic: allowed, accessKeyId: 'producerAK', accessKeySecret: 'wrongSecret' }, /Check signature failed/],
      [{ topic: allowed, accessKeyId: 'strangerAK', accessKeySecret: 'strangerSK' }, /No acl config for strangerAK/],
      [{ topic: allowed }, /No accessKey/],
    ];
    const results = await Promise.all(cases.map(([args]) => onsProduce({ nameSrv: nsAddr, count: 1, ...args })));
    results.forEach((lines, i) => {
      // ali-ons reports only "still failed"; the broker logs each refusal with its remark.
      expect(lines.filter((l) => l.sent), JSON.stringify(lines)).to.have.length(0);
      expect(lines.some((l) => (l.sendError ?? l.fatal ?? '').length > 0), JSON.stringify(lines)).to.equal(true);
      expect(broker.output(), `case ${i}`).to.match(cases[i][1]);
    });
  });
});
