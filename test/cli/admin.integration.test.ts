/**
 * `mq admin` and `mq broker` as an operator uses them, against real `mq namesrv` + `mq broker` processes:
 * the broker registers at start and keeps re-registering (it survives a short name-server expiry), updateTopic by
 * cluster and by broker address shows up in topicRoute, clusterList lists the broker, --help works for each command,
 * bad arguments exit 2, and SIGTERM shuts the broker down cleanly (exit 0) and takes it off the name server.
 */
import net from 'net';
import { expect } from 'chai';
import { execFile } from 'child_process';
import { MQ_BIN, spawnMq, stopAll, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function mq(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MQ_BIN, ...args], { timeout: 20000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('mq admin and mq broker with a name server (integration)', function () {
  this.timeout(60000);
  let tmp: { dir: string; cleanup(): void };
  let namesrv: MqProcess;
  let broker: MqProcess;
  let ns: string;

  before(async () => {
    tmp = tempDir('mq-admin-');
    // A short expiry: the broker must keep re-registering to stay listed.
    namesrv = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1', '--brokerChannelExpiredTime=1500', '--scanNotActiveBrokerInterval=200']);
    ns = `127.0.0.1:${namesrv.fields.listenPort}`;
    broker = await spawnMq([
      'broker', '--listenPort=0', '--httpPort=0', `--namesrvAddr=${ns}`, `--storePathRootDir=${tmp.dir}`,
      '--mappedFileSizeCommitLog=16777216', '--registerNameServerPeriod=500', '--brokerName=broker-x', '--brokerClusterName=ClusterX',
    ]);
  });

  after(async () => {
    await broker?.stop();
    await namesrv?.stop();
    await stopAll();
    tmp?.cleanup();
  });

  it('prints the ready line with every port and the broker name', async () => {
    expect(Number(broker.fields.listenPort)).to.be.greaterThan(0);
    // With listenPort=0 the OS chooses the HA port too (listenPort + 1 might be taken); it must really listen.
    const haPort = Number(broker.fields.haListenPort);
    expect(haPort).to.be.greaterThan(0).and.not.equal(Number(broker.fields.listenPort));
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(haPort, '127.0.0.1', () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
    expect(Number(broker.fields.httpPort)).to.be.greaterThan(0);
    expect(broker.fields.brokerName).to.equal('broker-x');
  });

  it('clusterList shows the broker, still there after several name-server expiry periods', async () => {
    await new Promise((r) => setTimeout(r, 3500));
    const r = await mq(['admin', 'clusterList', '-n', ns]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`ClusterX\\s+broker-x\\s+0\\s+127\\.0\\.0\\.1:${broker.fields.listenPort}`));
  });

  it('updateTopic by cluster and by broker address shows in topicRoute', async () => {
    const t1 = uniqueName('AdminT');
    const c = await mq(['admin', 'updateTopic', '-n', ns, '-c', 'ClusterX', '-t', t1, '-r', '3', '-w', '3']);
    expect(c.code, c.stderr).to.equal(0);
    expect(c.stdout).to.contain(`create topic to 127.0.0.1:${broker.fields.listenPort} success.`);
    const route = await mq(['admin', 'topicRoute', '-n', ns, '-t', t1]);
    expect(route.code, route.stderr).to.equal(0);
    const json = JSON.parse(route.stdout);
    expect(json.queueDatas[0]).to.include({ brokerName: 'broker-x', readQueueNums: 3, writeQueueNums: 3, perm: 6 });
    expect(json.brokerDatas[0].brokerAddrs['0']).to.equal(`127.0.0.1:${broker.fields.listenPort}`);
    const t2 = uniqueName('AdminB');
    const b = await mq(['admin', 'updateTopic', '-n', ns, '-b', `127.0.0.1:${broker.fields.listenPort}`, '-t', t2, '-p', '4']);
    expect(b.code, b.stderr).to.equal(0);
    const route2 = JSON.parse((await mq(['admin', 'topicRoute', '-n', ns, '-t', t2])).stdout);
    expect(route2.queueDatas[0]).to.include({ readQueueNums: 8, writeQueueNums: 8, perm: 4 });
    const missing = await mq(['admin', 'topicRoute', '-n', ns, '-t', uniqueName('Nope')]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/TOPIC_NOT_EXIST\(17\)/);
    expect(missing.stdout).to.equal('');
  });

  it('--help works for every admin command and bad arguments exit 2', async () => {
    for (const cmd of ['updateTopic', 'topicRoute', 'clusterList']) {
      const r = await mq(['admin', cmd, '--help']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain(`usage: mq admin ${cmd}`);
    }
    const noTopic = await mq(['admin', 'updateTopic', '-n', ns, '-c', 'ClusterX']);
    expect(noTopic.code).to.equal(2);
    expect(noTopic.stderr).to.contain('missing -t <topic>');
    const unknown = await mq(['admin', 'nope']);
    expect(unknown.code).to.equal(2);
    const help = await mq(['broker', '--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.contain('--waitTimeMillsInSendQueue').and.contain('--mappedFileSizeCommitLog');
    const badOpt = await mq(['broker', '--noSuchOption=1']);
    expect(badOpt.code).to.equal(2);
    expect(badOpt.stderr).to.contain('unknown option noSuchOption');
  });

  it('SIGTERM stops the broker cleanly and it leaves the name server', async () => {
    const code = await broker.stop();
    expect(code).to.equal(0);
    const r = await mq(['admin', 'clusterList', '-n', ns]);
    expect(r.stdout).to.not.contain('broker-x');
  });
});
