/**
 * Operator habits work (issue 10, item 6), with real `mq broker` / `mq namesrv` processes:
 * - a config file with several unknown keys lists all of them at once, with file and line;
 * - RocketMQ keys without effect here are accepted with one warning that lists them; keys whose meaning cannot be
 *   honoured (enableDLegerCommitLog=true) are refused; values are range-checked before start (deleteWhen hours);
 * - a master and a slave configured the RocketMQ way (distinct listenPorts, no httpPort) share a host: the HTTP port
 *   is derived from listenPort (+3);
 * - "address in use" errors name the option and the port; ready lines print only ports that were bound.
 */
import { expect } from 'chai';
import { spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import path from 'path';
import { MQ_BIN, spawnMq, stopAll, tempDir } from '../helpers/proc';

function runMq(args: string[], timeoutMs = 30000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MQ_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MQ_LOG_LEVEL: 'warn' } });
    let out = '';
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/** A base port P with P..P+3 and P+10..P+13 free (listen, HA, -, HTTP for two brokers), chosen at run time. */
async function freeLayout(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 30000);
    const ports = [p, p + 1, p + 3, p + 10, p + 11, p + 13];
    let ok = true;
    for (const q of ports) if (!(await canBind(q))) ok = false;
    if (ok) return p;
  }
  throw new Error('no free port layout found');
}

describe('operator habits: RocketMQ-style configs (integration)', function () {
  this.timeout(90000);
  const tmp = tempDir('mq-opconf-');
  after(async () => {
    await stopAll();
    tmp.cleanup();
  });

  it('lists every unknown key at once with file and line, and every bad value', async () => {
    const file = path.join(tmp.dir, 'broker-typos.conf');
    fs.writeFileSync(
      file,
      ['brokerClusterName=DefaultCluster', 'brokerNmae=broker-a', '# a comment', 'listenPrt=10911', 'deleteWhen=04', 'flushDiskTyp=ASYNC_FLUSH', 'brokerId=-1', ''].join('\n'),
    );
    const r = await runMq(['broker', '-c', file, '--storePathRootDir=' + path.join(tmp.dir, 's1'), '--bogusFlag=1']);
    expect(r.code).to.equal(2);
    expect(r.out).to.contain(`${file}:2: unknown option brokerNmae`);
    expect(r.out).to.contain(`${file}:4: unknown option listenPrt`);
    expect(r.out).to.contain(`${file}:6: unknown option flushDiskTyp`);
    expect(r.out).to.contain(`${file}:7: option brokerId=-1 is out of range`);
    expect(r.out).to.contain('--bogusFlag (command line): unknown option bogusFlag');
    expect(r.out).to.contain('5 configuration problems');
  });

  it('accepts RocketMQ keys without effect with one warning listing them; refuses what it cannot honour', async () => {
    const file = path.join(tmp.dir, 'broker-upstream.conf');
    const s2 = path.join(tmp.dir, 's2');
    fs.writeFileSync(
      file,
      ['rocketmqHome=/opt/rocketmq', 'pullMessageThreadPoolNums=16', 'serverWorkerThreads=8', 'enableDLegerCommitLog=false', 'listenPort=0', 'httpPort=-1', `storePathRootDir=${s2}`, `storePathCommitLog=${s2}/commitlog`, ''].join('\n'),
    );
    const p = await spawnMq(['broker', '-c', file]);
    const warnings = p.output().split('\n').filter((l) => l.includes('RocketMQ keys accepted without effect'));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain('enableDLegerCommitLog, pullMessageThreadPoolNums, rocketmqHome, serverWorkerThreads, storePathCommitLog');
    expect(await p.stop()).to.equal(0);

    const dleger = path.join(tmp.dir, 'broker-dleger.conf');
    fs.writeFileSync(dleger, ['enableDLegerCommitLog=true', 'dLegerGroup=broker-a', 'storePathCommitLog=/elsewhere/commitlog', 'listenPort=0', ''].join('\n'));
    const r = await runMq(['broker', '-c', dleger, '--storePathRootDir=' + path.join(tmp.dir, 's3')]);
    expect(r.code).to.equal(2);
    expect(r.out).to.contain(`${dleger}:1: enableDLegerCommitLog=true cannot be honoured here`);
    expect(r.out).to.contain(`${dleger}:2: dLegerGroup=broker-a cannot be honoured here`);
    expect(r.out).to.contain(`${dleger}:3: storePathCommitLog=/elsewhere/commitlog cannot be honoured here`);
  });

  it('range-checks values before start: deleteWhen hours 0..23, addresses', async () => {
    const r = await runMq(['broker', '--deleteWhen=25', '--namesrvAddr=localhost', '--brokerIP1=10.0.0', '--storePathRootDir=' + path.join(tmp.dir, 's4')]);
    expect(r.code).to.equal(2);
    expect(r.out).to.contain('deleteWhen=25: hours of the day 0..23');
    expect(r.out).to.contain('namesrvAddr=localhost');
    expect(r.out).to.contain('brokerIP1=10.0.0 is not an IPv4 address');
    expect(fs.existsSync(path.join(tmp.dir, 's4'))).to.equal(false);
    const ok = await runMq(['broker', '--deleteWhen=04;23', '--listenPort=0', '--httpPort=-1', '--help']);
    expect(ok.code).to.equal(0);
  });

  it('a master and a slave with distinct listenPorts share a host: httpPort = listenPort + 3; ready lines show bound ports only', async () => {
    const base = await freeLayout();
    const ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1', '--bindAddress=127.0.0.1']);
    expect(ns.output()).to.match(/^namesrv ready listenPort=\d+$/m);
    const nsAddr = `127.0.0.1:${ns.fields.listenPort}`;
    const master = await spawnMq(['broker', `--listenPort=${base}`, '--brokerRole=ASYNC_MASTER', `--namesrvAddr=${nsAddr}`, '--storePathRootDir=' + path.join(tmp.dir, 'm')]);
    const slave = await spawnMq([
      'broker',
      `--listenPort=${base + 10}`,
      '--brokerRole=SLAVE',
      '--brokerId=1',
      `--namesrvAddr=${nsAddr}`,
      '--storePathRootDir=' + path.join(tmp.dir, 'sl'),
    ]);
    expect(master.fields).to.include({ listenPort: String(base), haListenPort: String(base + 1), httpPort: String(base + 3) });
    expect(slave.fields).to.include({ listenPort: String(base + 10), httpPort: String(base + 13) });
    expect(slave.fields).to.not.have.property('haListenPort');
    const health = await fetch(`http://127.0.0.1:${base + 13}/healthz`);
    expect([200, 503]).to.include(health.status);
    await Promise.all([slave.stop(), master.stop()]);
    await ns.stop();
  });

  it('"address in use" names the option and the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const a = await runMq(['broker', `--listenPort=${port}`, '--httpPort=-1', '--storePathRootDir=' + path.join(tmp.dir, 'u1')]);
      expect(a.code).to.not.equal(0);
      expect(a.out).to.match(new RegExp(`port ${port}.*option listenPort`));
      const b = await runMq(['broker', '--listenPort=0', `--httpPort=${port}`, '--storePathRootDir=' + path.join(tmp.dir, 'u2')]);
      expect(b.code).to.not.equal(0);
      expect(b.out).to.contain(`httpPort ${port}: EADDRINUSE`);
      const c = await runMq(['namesrv', '--listenPort=0', `--httpPort=${port}`]);
      expect(c.code).to.not.equal(0);
      expect(c.out).to.contain(`httpPort ${port}: EADDRINUSE`);
      const d = await runMq(['dev', `--namesrvPort=${port}`, '--httpPort=-1', `--dataDir=${path.join(tmp.dir, 'dev-u')}`]);
      expect(d.code).to.not.equal(0);
      expect(d.out).to.contain(`option namesrvPort=${port}`);
    } finally {
      blocker.close();
    }
  });
});
