/**
 * Cluster ports do not trust every peer (issue 10, item 3), with real `mq namesrv` / `mq broker` processes:
 * - without any secret, a second broker claiming a live brokerName/brokerId does not take the route over (warn
 *   logged); it gets the place once the first one has gone;
 * - with clusterSecret, only signed registrations count, unsigned UNREGISTER_BROKER and admin codes are refused;
 * - with clusterSecret, a raw TCP peer on the HA port gets no commit-log byte and, echoing offsets, does not make a
 *   SYNC_MASTER answer OK; a slave with the secret replicates and SYNC_MASTER sends are acknowledged by it.
 */
import { expect } from 'chai';
import { spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import path from 'path';
import pino from 'pino';
import { MQClient } from '../../src/client';
import type { SendResult } from '../../src/client';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/remoting';
import { MQ_BIN, spawnMq, stopAll, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';

const logger = pino({ level: 'silent' });

/** The status of one send result, or its error message. */
function statusOf(r: SendResult): string {
  return r.ok ? r.status : r.error.message;
}

function runMq(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MQ_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    const t = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

interface ClusterInfoBody {
  brokerAddrTable: Record<string, { brokerAddrs: Record<string, string> }>;
}

async function clusterInfo(rc: RemotingClient, nsAddr: string): Promise<ClusterInfoBody> {
  const res = await rc.invokeSync(nsAddr, RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO));
  expect(res.code).to.equal(ResponseCode.SUCCESS);
  return JSON.parse(res.body!.toString()) as ClusterInfoBody;
}

async function until(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('cluster authentication and registration safety (integration)', function () {
  this.timeout(120000);
  const tmp = tempDir('mq-cluster-auth-');
  const rc = new RemotingClient({ logger });
  after(async () => {
    await rc.close();
    await stopAll();
    tmp.cleanup();
  });

  const broker = (name: string, dir: string, nsAddr: string, extra: string[] = []): Promise<MqProcess> =>
    spawnMq([
      'broker',
      `--brokerName=${name}`,
      `--storePathRootDir=${path.join(tmp.dir, dir)}`,
      `--namesrvAddr=${nsAddr}`,
      '--listenPort=0',
      '--httpPort=-1',
      '--registerNameServerPeriod=1000',
      '--mappedFileSizeCommitLog=4194304',
      ...extra,
    ]);

  it('without a secret: a second broker cannot take over a live brokerName/brokerId; it may once the first is gone', async () => {
    const ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1', '--bindAddress=127.0.0.1']);
    const nsAddr = `127.0.0.1:${ns.fields.listenPort}`;
    const real = await broker('broker-x', 'x-real', nsAddr);
    const realAddr = `127.0.0.1:${real.fields.listenPort}`;
    const impostor = await broker('broker-x', 'x-impostor', nsAddr);
    const impostorAddr = `127.0.0.1:${impostor.fields.listenPort}`;
    // Several registration periods of the impostor pass: the route still names the real broker.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await clusterInfo(rc, nsAddr)).brokerAddrTable['broker-x'].brokerAddrs['0']).to.equal(realAddr);
    expect(ns.output()).to.match(/registration refused: another address is live for this brokerName\/brokerId/);
    // The real broker stops (unregisters): the other one registers at its next period.
    expect(await real.stop()).to.equal(0);
    await until(async () => (await clusterInfo(rc, nsAddr)).brokerAddrTable['broker-x']?.brokerAddrs['0'] === impostorAddr, 15000, 'second broker registered');
    await impostor.stop();
    await ns.stop();
  });

  it('with clusterSecret: unsigned or wrongly signed registration, unregistration and admin codes are refused', async () => {
    const secret = 'cluster-s3cret';
    // The secret comes from a file (clusterSecretFile), as it should in production: argv shows in `ps`.
    const secretFile = path.join(tmp.dir, 'cluster.secret');
    fs.writeFileSync(secretFile, `${secret}\n`);
    const ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1', '--bindAddress=127.0.0.1', `--clusterSecretFile=${secretFile}`]);
    const nsAddr = `127.0.0.1:${ns.fields.listenPort}`;
    const good = await broker('broker-s', 's-good', nsAddr, [`--clusterSecretFile=${secretFile}`]);
    const goodAddr = `127.0.0.1:${good.fields.listenPort}`;
    const unsigned = await broker('broker-u', 's-unsigned', nsAddr);
    const wrong = await broker('broker-w', 's-wrong', nsAddr, ['--clusterSecret=not-the-secret']);
    await until(async () => (await clusterInfo(rc, nsAddr)).brokerAddrTable['broker-s'] !== undefined, 10000, 'signed broker registered');
    await new Promise((r) => setTimeout(r, 1500));
    const table = (await clusterInfo(rc, nsAddr)).brokerAddrTable;
    expect(Object.keys(table)).to.deep.equal(['broker-s']);
    expect(ns.output()).to.match(/needs the cluster signature/);
    expect(ns.output()).to.match(/cluster signature does not match/);

    // An unsigned UNREGISTER_BROKER of the real broker is refused and changes nothing.
    const unreg = { brokerName: 'broker-s', brokerAddr: goodAddr, clusterName: 'DefaultCluster', brokerId: 0 };
    const refused = await rc.invokeSync(nsAddr, RemotingCommand.createRequest(RequestCode.UNREGISTER_BROKER, unreg));
    expect(refused.code).to.equal(ResponseCode.NO_PERMISSION);
    expect((await clusterInfo(rc, nsAddr)).brokerAddrTable['broker-s']).to.not.equal(undefined);

    // Admin code to the broker: unsigned refused, signed with the secret accepted.
    const topic = uniqueName('Signed');
    const create = (): RemotingCommand =>
      RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
        topic,
        defaultTopic: 'TBW102',
        readQueueNums: 2,
        writeQueueNums: 2,
        perm: 6,
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: 0,
        order: false,
      });
    const denied = await rc.invokeSync(goodAddr, create());
    expect(denied.code).to.equal(ResponseCode.NO_PERMISSION);
    const signer = new RemotingClient({ logger, signer: { clusterSecret: secret } });
    try {
      const ok = await signer.invokeSync(goodAddr, create());
      expect(ok.code, ok.remark).to.equal(ResponseCode.SUCCESS);
      // Signed with the secret, UNREGISTER_BROKER is honoured.
      const done = await signer.invokeSync(nsAddr, RemotingCommand.createRequest(RequestCode.UNREGISTER_BROKER, unreg));
      expect(done.code).to.equal(ResponseCode.SUCCESS);
    } finally {
      await signer.close();
    }
    // mq admin signs when the environment gives it the secret (MQ_CLUSTER_SECRET or MQ_CLUSTER_SECRET_FILE).
    const adminTopic = uniqueName('AdminSigned');
    const noSecret = await runMq(['admin', 'updateTopic', '-n', nsAddr, '-b', goodAddr, '-t', adminTopic]);
    expect(noSecret.code).to.not.equal(0);
    expect(noSecret.out).to.contain('needs the cluster signature');
    const withSecret = await runMq(['admin', 'updateTopic', '-n', nsAddr, '-b', goodAddr, '-t', adminTopic], { MQ_CLUSTER_SECRET_FILE: secretFile });
    expect(withSecret.code, withSecret.out).to.equal(0);
    // Ordinary client traffic needs no secret: routes are readable.
    const route = await rc.invokeSync(nsAddr, RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TBW102' }));
    expect(route.code).to.not.equal(ResponseCode.NO_PERMISSION);
    await Promise.all([good.stop(), unsigned.stop(), wrong.stop()]);
    await ns.stop();
  });

  it('with clusterSecret: a raw HA peer gets nothing and cannot fake a slave; a slave with the secret replicates', async () => {
    const secret = 'ha-s3cret';
    const ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1', '--bindAddress=127.0.0.1', `--clusterSecret=${secret}`]);
    const nsAddr = `127.0.0.1:${ns.fields.listenPort}`;
    const master = await broker('broker-ha', 'ha-master', nsAddr, [`--clusterSecret=${secret}`, '--brokerRole=SYNC_MASTER', '--slaveTimeout=1000']);
    const haPort = Number(master.fields.haListenPort);
    const signer = new RemotingClient({ logger, signer: { clusterSecret: secret } });
    const topic = uniqueName('HaAuth');
    const created = await signer.invokeSync(
      `127.0.0.1:${master.fields.listenPort}`,
      RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic, defaultTopic: 'TBW102', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false }),
    );
    await signer.close();
    expect(created.code).to.equal(ResponseCode.SUCCESS);
    const client = new MQClient({ namesrvAddr: nsAddr, instanceName: uniqueName('ha') }, { logger });
    await client.start();
    try {
      await until(async () => client.getRoute(topic).then(() => true, () => false), 10000, 'route');
      // Something in the commit log that a fake slave would want.
      const [first] = await client.send(topic, [{ body: Buffer.alloc(2048, 7) }]);
      expect(statusOf(first)).to.equal('SLAVE_NOT_AVAILABLE');

      // A raw peer: reports offset 0 and then acks whatever block headers it sees.
      let received = 0;
      const fake = net.connect({ host: '127.0.0.1', port: haPort });
      fake.on('error', () => undefined);
      let buf = Buffer.alloc(0);
      fake.on('data', (c: Buffer) => {
        received += c.length;
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 12) {
          const off = Number(buf.readBigInt64BE(0));
          const size = buf.readInt32BE(8);
          if (size < 0 || buf.length < 12 + size) break;
          buf = buf.subarray(12 + size);
          const ack = Buffer.alloc(8);
          ack.writeBigInt64BE(BigInt(off + size));
          fake.write(ack);
        }
      });
      const closed = new Promise<void>((r) => fake.once('close', () => r()));
      await new Promise<void>((r) => fake.once('connect', () => r()));
      fake.write(Buffer.alloc(8));
      await new Promise((r) => setTimeout(r, 500));
      const [second] = await client.send(topic, [{ body: Buffer.alloc(2048, 8) }]);
      expect(statusOf(second)).to.equal('SLAVE_NOT_AVAILABLE');
      // Only the 21-byte challenge ever reached it, never a commit-log byte; it is cut off.
      expect(received).to.be.at.most(21);
      fake.destroy();
      await closed;

      // A slave that knows the secret replicates; SYNC_MASTER sends are then acknowledged.
      await broker('broker-ha', 'ha-slave', nsAddr, [`--clusterSecret=${secret}`, '--brokerRole=SLAVE', '--brokerId=1', `--haMasterAddress=127.0.0.1:${haPort}`]);
      let status = '';
      for (let i = 0; i < 50 && status !== 'OK'; i++) {
        status = statusOf((await client.send(topic, [{ body: Buffer.from(`after-slave-${i}`) }]))[0]);
        if (status !== 'OK') await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).to.equal('OK');
      expect(master.output()).to.match(/HA peer failed authentication/);
    } finally {
      await client.shutdown();
    }
  });
});
