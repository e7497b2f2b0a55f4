/**
 * `mq console` as a process against a real cluster (`mq dev` without its own console): bad options exit 2 with a
 * clear message, tokens come from files, the API answers 401/403/200 by token, and the front end is served.
 */
import { expect } from 'chai';
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import { MQ_BIN, spawnMq, stopAll, tempDir } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';
import { AdminClient } from '../../src/client/admin';
import { T } from '../../src/gateway';
import { connect } from '../gateway/thrift-client';

function runMq(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MQ_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NAMESRV_ADDR: '' } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe('mq console (process)', function () {
  this.timeout(90000);
  let dev: MqProcess;
  let con: MqProcess;
  let tmp: { dir: string; cleanup(): void };

  before(async () => {
    tmp = tempDir('mq-console-cli-');
    dev = await spawnMq(['dev', '--basePort=0', `--dataDir=${path.join(tmp.dir, 'dev')}`, '--slave=false', '--consolePort=-1'], { readyTimeoutMs: 60000 });
    expect(dev.fields.consolePort).to.equal(undefined);
  });

  after(async () => {
    await con?.stop();
    await dev?.stop();
    await stopAll();
    tmp?.cleanup();
  });

  it('--help lists the options; missing namesrvAddr, missing admin token or unknown keys exit 2', async () => {
    const help = await runMq(['console', '--help']);
    expect(help.code).to.equal(0);
    expect(help.out).to.contain('adminTokenFile').and.contain('readToken').and.contain('listenPort');
    const noNs = await runMq(['console', '--adminToken=a']);
    expect(noNs.code).to.equal(2);
    expect(noNs.out).to.contain('namesrvAddr is required');
    const noToken = await runMq(['console', '--namesrvAddr=127.0.0.1:1']);
    expect(noToken.code).to.equal(2);
    expect(noToken.out).to.contain('adminToken');
    const unknown = await runMq(['console', '--namesrvAddr=127.0.0.1:1', '--adminToken=a', '--colour=red']);
    expect(unknown.code).to.equal(2);
    expect(unknown.out).to.contain('colour');
    const missingFile = await runMq(['console', '--namesrvAddr=127.0.0.1:1', `--adminTokenFile=${path.join(tmp.dir, 'nope')}`]);
    expect(missingFile.code).to.equal(2);
    expect(missingFile.out).to.contain('cannot read adminTokenFile');
  });

  it('serves the page and the API by token (tokens from files): 401 without, 403 read-only on a change, 200 admin', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'admin.token'), 'file-admin\n');
    fs.writeFileSync(path.join(tmp.dir, 'read.token'), 'file-read\n');
    con = await spawnMq([
      'console',
      `--namesrvAddr=127.0.0.1:${dev.fields.namesrvPort}`,
      '--listenPort=0',
      `--adminTokenFile=${path.join(tmp.dir, 'admin.token')}`,
      `--readTokenFile=${path.join(tmp.dir, 'read.token')}`,
      `--dataDir=${path.join(tmp.dir, 'console')}`,
    ]);
    const base = con.fields.url;
    expect(base).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(base);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-security-policy')).to.contain("default-src 'self'");
    expect(await page.text()).to.contain('<script src="/app.js"></script>');
    expect((await fetch(`${base}api/cluster`)).status).to.equal(401);
    const auth = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
    const cluster = await fetch(`${base}api/cluster`, { headers: auth('file-read') });
    expect(cluster.status).to.equal(200);
    expect(((await cluster.json()) as { brokers: unknown[] }).brokers).to.have.length(1);
    const body = JSON.stringify({ topic: 'CliConsoleTopic', writeQueueNums: 2 });
    expect((await fetch(`${base}api/topics`, { method: 'POST', headers: auth('file-read'), body })).status).to.equal(403);
    const created = await fetch(`${base}api/topics`, { method: 'POST', headers: auth('file-admin'), body });
    expect(created.status).to.equal(200);
    const detail = (await (await fetch(`${base}api/topics/CliConsoleTopic`, { headers: auth('file-read') })).json()) as { queues: unknown[] };
    expect(detail.queues).to.have.length(2);
    const bad = await fetch(`${base}api/topics`, { method: 'POST', headers: auth('file-admin'), body: JSON.stringify({ topic: 'bad topic' }) });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: string }).error).to.contain('topic must be');
    expect((await fetch(`${base}api/nothing-here`, { headers: auth('file-read') })).status).to.equal(404);

    // Reset offset by time: a group caught up on the topic is moved back to the start, its lag is the topic again.
    const gw = connect(Number(dev.fields.gatewayPort));
    try {
      const sent = await gw.send(Array.from({ length: 6 }, (_, i) => new T.Message({ topic: 'CliConsoleTopic', body: Buffer.from(`m${i}`) })));
      expect(sent.every((r) => !r.error)).to.equal(true);
    } finally {
      gw.close();
    }
    const admin = new AdminClient({ namesrvAddr: `127.0.0.1:${dev.fields.namesrvPort}` });
    try {
      const [m] = await admin.topicMasters('CliConsoleTopic');
      for (const q of await admin.topicStats(m.addr, 'CliConsoleTopic')) await admin.updateConsumerOffset(m.addr, 'reset_g', 'CliConsoleTopic', q.queueId, q.maxOffset);
    } finally {
      await admin.close();
    }
    const lagOf = async (): Promise<number> => {
      const g = (await (await fetch(`${base}api/groups/reset_g`, { headers: auth('file-read') })).json()) as { rows: Array<{ topic: string; lag: number }> };
      return g.rows.filter((r) => r.topic === 'CliConsoleTopic').reduce((s, r) => s + r.lag, 0);
    };
    expect(await lagOf()).to.equal(0);
    const resetBody = JSON.stringify({ topic: 'CliConsoleTopic', timestamp: 0 });
    expect((await fetch(`${base}api/groups/reset_g/reset`, { method: 'POST', headers: auth('file-read'), body: resetBody })).status).to.equal(403);
    expect(await lagOf()).to.equal(0);
    const reset = await fetch(`${base}api/groups/reset_g/reset`, { method: 'POST', headers: auth('file-admin'), body: resetBody });
    expect(reset.status, await reset.clone().text()).to.equal(200);
    expect(await lagOf()).to.equal(6);
  });
});
