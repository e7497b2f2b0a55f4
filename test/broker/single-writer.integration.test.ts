/**
 * One writer per store, and a shutdown that always finishes (issue 10, item 1), with real `mq` processes:
 * - a second `mq broker` (or `mq dev`) on the same data directory exits non-zero naming the holder's pid, and the
 *   first one keeps serving; once the first has stopped, the directory can be used again (also after a SIGKILL);
 * - a failing shutdown step (consumerOffset.json cannot be replaced) is logged and the store is still shut down
 *   cleanly (the abort marker is removed);
 * - a second stop signal exits at once; shutdownTimeoutMs bounds a shutdown that hangs.
 */
import { expect } from 'chai';
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import { RemotingCommand, RemotingServer, RequestCode, ResponseCode } from '../../src/remoting';
import { MQ_BIN, spawnMq, stopAll, tempDir } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';

/** Runs `mq <args>` to completion; resolves with exit code and output. */
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

function exitOf(p: MqProcess): Promise<{ code: number | null; signal: string | null; at: number }> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      resolve({ code: p.child.exitCode, signal: p.child.signalCode, at: Date.now() });
      return;
    }
    p.child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
}

const brokerArgs = (dir: string, extra: string[] = []): string[] => [
  'broker',
  '--listenPort=0',
  '--httpPort=-1',
  '--brokerIP1=127.0.0.1',
  `--storePathRootDir=${dir}`,
  '--mappedFileSizeCommitLog=1048576',
  ...extra,
];

describe('single writer per store and bounded shutdown (integration)', function () {
  this.timeout(90000);
  after(stopAll);

  it('a second broker on the same storePathRootDir exits non-zero naming the holder pid; the first keeps serving', async () => {
    const tmp = tempDir('mq-lock-');
    try {
      const first = await spawnMq(brokerArgs(tmp.dir));
      const second = await runMq(brokerArgs(tmp.dir));
      expect(second.code).to.not.equal(0);
      expect(second.out).to.contain(`locked by process ${first.child.pid}`);
      expect(fs.readFileSync(path.join(fs.realpathSync(tmp.dir), 'lock'), 'utf8')).to.contain(`pid=${first.child.pid}`);
      // The first one is untouched.
      expect(first.child.exitCode).to.equal(null);
      expect(await first.stop()).to.equal(0);
      // Released at a clean stop: the directory can be used again ...
      const third = await spawnMq(brokerArgs(tmp.dir));
      // ... and after a SIGKILL (the kernel releases the lock; the stale lock file is taken over).
      await third.kill9();
      const fourth = await spawnMq(brokerArgs(tmp.dir));
      expect(fs.readFileSync(path.join(fs.realpathSync(tmp.dir), 'lock'), 'utf8')).to.contain(`pid=${fourth.child.pid}`);
      expect(await fourth.stop()).to.equal(0);
    } finally {
      tmp.cleanup();
    }
  });

  it('a stale lock file naming a dead pid is taken over', async () => {
    const tmp = tempDir('mq-lock-stale-');
    try {
      // pid 2^22 + 1 is above Linux's pid_max ceiling: never a live process.
      fs.writeFileSync(path.join(tmp.dir, 'lock'), `pid=${4194305}\nhost=${os.hostname()}\nstarted=1\n`);
      const p = await spawnMq(brokerArgs(tmp.dir));
      expect(fs.readFileSync(path.join(tmp.dir, 'lock'), 'utf8')).to.contain(`pid=${p.child.pid}`);
      expect(await p.stop()).to.equal(0);
    } finally {
      tmp.cleanup();
    }
  });

  it('a second mq dev on the same dataDir exits non-zero naming the holder pid', async () => {
    const tmp = tempDir('mq-lock-dev-');
    try {
      const first = await spawnMq(['dev', '--basePort=0', `--dataDir=${tmp.dir}`, '--slave=false'], { readyTimeoutMs: 30000 });
      // The ready line lists only ports that were bound: no slave, no slavePort.
      expect(first.fields).to.not.have.property('slavePort');
      const second = await runMq(['dev', '--basePort=0', `--dataDir=${tmp.dir}`, '--slave=false']);
      expect(second.code).to.not.equal(0);
      expect(second.out).to.contain(`locked by process ${first.child.pid}`);
      expect(await first.stop()).to.equal(0);
    } finally {
      tmp.cleanup();
    }
  });

  it('a failing shutdown step is logged and the rest runs: the store is still shut down cleanly', async () => {
    const tmp = tempDir('mq-shutdown-');
    try {
      const p = await spawnMq(brokerArgs(tmp.dir), { env: { MQ_LOG_LEVEL: 'info' } });
      const root = fs.realpathSync(tmp.dir);
      expect(fs.existsSync(path.join(root, 'abort'))).to.equal(true);
      // consumerOffset.json becomes a non-empty directory: the final rename of consumerOffset.json.tmp fails.
      const target = path.join(root, 'config', 'consumerOffset.json');
      fs.rmSync(target, { force: true, recursive: true });
      fs.mkdirSync(path.join(target, 'blocker'), { recursive: true });
      const started = Date.now();
      const code = await p.stop(20000);
      expect(Date.now() - started).to.be.below(15000);
      expect(code).to.equal(0);
      expect(p.output()).to.match(/shutdown step failed/);
      // The store shutdown still ran after the failed step: the abort marker is gone, the lock released.
      expect(fs.existsSync(path.join(root, 'abort'))).to.equal(false);
      expect(fs.existsSync(path.join(root, 'lock'))).to.equal(false);
    } finally {
      tmp.cleanup();
    }
  });

  describe('with a name server that never answers UNREGISTER_BROKER', () => {
    let ns: RemotingServer;
    let nsAddr = '';
    before(async () => {
      ns = new RemotingServer({ listenPort: 0, host: '127.0.0.1', name: 'stub-namesrv', logger: pino({ level: 'silent' }) });
      ns.registerProcessor(RequestCode.REGISTER_BROKER, () => RemotingCommand.createResponse(ResponseCode.SUCCESS));
      ns.registerProcessor(RequestCode.UNREGISTER_BROKER, () => new Promise<RemotingCommand | null>(() => undefined));
      nsAddr = `127.0.0.1:${await ns.start()}`;
    });
    after(() => ns.close());

    it('a second SIGTERM exits at once', async () => {
      const tmp = tempDir('mq-sig2-');
      try {
        const p = await spawnMq(brokerArgs(tmp.dir, [`--namesrvAddr=${nsAddr}`, '--registerBrokerTimeoutMills=20000', '--shutdownTimeoutMs=0']));
        const exited = exitOf(p);
        p.child.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 300));
        const second = Date.now();
        p.child.kill('SIGTERM');
        const r = await exited;
        // The unregister call alone would take min(registerBrokerTimeoutMills, 3000) ms.
        expect(r.at - second).to.be.below(2500);
        expect(r.code).to.equal(143);
        expect(p.output()).to.contain('second stop signal');
      } finally {
        tmp.cleanup();
      }
    });

    it('shutdownTimeoutMs bounds a shutdown that hangs (exit code 1)', async () => {
      const tmp = tempDir('mq-shutdown-timeout-');
      try {
        const p = await spawnMq(brokerArgs(tmp.dir, [`--namesrvAddr=${nsAddr}`, '--shutdownTimeoutMs=300']));
        const exited = exitOf(p);
        const t0 = Date.now();
        p.child.kill('SIGINT');
        const r = await exited;
        expect(r.at - t0).to.be.below(2700);
        expect(r.code).to.equal(1);
        expect(p.output()).to.contain('shutdownTimeoutMs');
      } finally {
        tmp.cleanup();
      }
    });
  });
});
