/**
 * The name server's KV file (kvConfigPath, RocketMQ's kvConfig.json): kept across restarts, and one writer at a time:
 * a second `mq namesrv` on the same file exits non-zero naming the holder's pid.
 */
import { expect } from 'chai';
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/remoting';
import { MQ_BIN, spawnMq, stopAll, tempDir } from '../helpers/proc';

function runMq(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MQ_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe('name server KV file (integration)', function () {
  this.timeout(60000);
  const tmp = tempDir('mq-kv-');
  const rc = new RemotingClient();
  after(async () => {
    await rc.close();
    await stopAll();
    tmp.cleanup();
  });

  it('keeps PUT_KV_CONFIG values across a restart and lets only one name server use the file', async () => {
    const kv = path.join(tmp.dir, 'namesrv', 'kvConfig.json');
    const args = ['namesrv', '--listenPort=0', '--httpPort=-1', '--bindAddress=127.0.0.1', `--kvConfigPath=${kv}`];
    const first = await spawnMq(args);
    const addr = `127.0.0.1:${first.fields.listenPort}`;
    const put = await rc.invokeSync(addr, RemotingCommand.createRequest(RequestCode.PUT_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA', value: 'broker-a:4' }));
    expect(put.code).to.equal(ResponseCode.SUCCESS);

    const second = await runMq(args);
    expect(second.code).to.not.equal(0);
    expect(second.out).to.contain(`locked by process ${first.child.pid}`);

    expect(await first.stop()).to.equal(0);
    expect(JSON.parse(fs.readFileSync(kv, 'utf8'))).to.deep.equal({ configTable: { ORDER_TOPIC_CONFIG: { TopicA: 'broker-a:4' } } });
    const again = await spawnMq(args);
    const got = await rc.invokeSync(
      `127.0.0.1:${again.fields.listenPort}`,
      RemotingCommand.createRequest(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA' }),
    );
    expect(got.code).to.equal(ResponseCode.SUCCESS);
    expect(got.extFields?.value).to.equal('broker-a:4');
    expect(await again.stop()).to.equal(0);
  });
});
