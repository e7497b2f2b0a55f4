/**
 * `mq namesrv` as a real process: prints the bound ports, serves remoting, /metrics and /healthz, reads a
 * .properties file, rejects unknown options, and exits 0 on SIGTERM. Needs `npx tsc -p . && node scripts/copy-gen.js`.
 */
import { expect } from 'chai';
import { spawn } from 'child_process';
import fs from 'fs';
import http from 'http';
import path from 'path';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/remoting';
import { MQ_BIN, spawnMq, stopAll, tempDir } from '../helpers/proc';

function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Runs `mq <args>` to completion; resolves with exit code and output. */
function runMq(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MQ_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('mq namesrv (integration)', function () {
  this.timeout(30000);
  after(stopAll);

  it('prints the port it bound with --listenPort=0, serves, and exits 0 on SIGTERM', async () => {
    const p = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=0', '--bindAddress=127.0.0.1']);
    const port = Number(p.fields.listenPort);
    const httpPort = Number(p.fields.httpPort);
    expect(port).to.be.greaterThan(0);
    expect(httpPort).to.be.greaterThan(0);
    expect(p.output()).to.match(new RegExp(`^namesrv ready listenPort=${port} httpPort=${httpPort}$`, 'm'));

    const client = new RemotingClient();
    try {
      const res = await client.invokeSync(`127.0.0.1:${port}`, RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Nope' }));
      expect(res.code).to.equal(ResponseCode.TOPIC_NOT_EXIST);
    } finally {
      await client.close();
    }
    const health = await httpGet(httpPort, '/healthz');
    expect(health.status).to.equal(200);
    expect(JSON.parse(health.body)).to.include({ ok: true, liveBrokers: 0 });
    const metrics = await httpGet(httpPort, '/metrics');
    expect(metrics.body).to.contain('mq_namesrv_brokers_live 0');
    expect(metrics.body).to.match(/mq_remoting_requests_total\{name="namesrv",code="GET_ROUTEINFO_BY_TOPIC"\} 1/);

    expect(await p.stop()).to.equal(0);
  });

  it('reads -c file.properties, lets --key=value override it, and rejects unknown keys', async () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'namesrv.properties');
      fs.writeFileSync(file, '# test\nlistenPort=1\nbindAddress=127.0.0.1\nhttpPort=-1\nbrokerChannelExpiredTime=5000\n');
      const p = await spawnMq(['namesrv', '-c', file, '--listenPort=0']);
      expect(Number(p.fields.listenPort)).to.be.greaterThan(1);
      expect(p.fields).to.not.have.property('httpPort');
      expect(await p.stop()).to.equal(0);

      const bad = await runMq(['namesrv', '--noSuchOption=1']);
      expect(bad.code).to.equal(2);
      expect(bad.out).to.contain('unknown option noSuchOption');
    } finally {
      tmp.cleanup();
    }
  });

  it('--help lists the options with defaults', async () => {
    const r = await runMq(['namesrv', '--help']);
    expect(r.code).to.equal(0);
    for (const key of ['listenPort', 'httpPort', 'scanNotActiveBrokerInterval', 'brokerChannelExpiredTime', 'serverChannelMaxIdleTimeSeconds', 'frameMaxLength', 'logLevel']) {
      expect(r.out).to.contain(`--${key}`);
    }
    expect(r.out).to.contain('(default 9876)');
  });
});
