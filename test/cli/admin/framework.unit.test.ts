/**
 * `mq admin` without a cluster: every command has --help naming its flags and --json, unknown flags and missing
 * required flags exit 2 with nothing on stdout, and the time and flag parsers accept mqadmin's forms.
 */
import { expect } from 'chai';
import { ADMIN_COMMANDS, runAdmin } from '../../../src/cli/admin';
import { localMidnight, parseFlags, parseTime } from '../../../src/cli/admin/framework';

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAdmin(argv, { out: (t) => (out += t), err: (t) => (err += t), env, now: () => Date.now() });
  return { code, out, err };
}

describe('mq admin framework (unit)', () => {
  const names = ADMIN_COMMANDS.map((c) => c.name);

  it('has every mqadmin command of the issue plus topicCount', () => {
    expect(names).to.include.members([
      'topicList', 'topicRoute', 'topicStatus', 'updateTopic', 'deleteTopic', 'clusterList', 'brokerStatus', 'getBrokerConfig',
      'updateBrokerConfig', 'wipeWritePerm', 'addWritePerm', 'updateSubGroup', 'deleteSubGroup', 'consumerProgress',
      'consumerConnection', 'queryMsgById', 'queryMsgByKey', 'queryMsgByUniqueKey', 'queryMsgByOffset', 'printMsg',
      'resetOffsetByTime', 'statsAll', 'topicCount',
    ]);
  });

  it('--help of each command lists its flags, -n and --json; the overview lists every command', async () => {
    const top = await run(['--help']);
    expect(top.code).to.equal(0);
    for (const c of ADMIN_COMMANDS) {
      expect(top.out).to.match(new RegExp(`^ {2}${c.name}\\s`, 'm'));
      const h = await run([c.name, '--help']);
      expect(h.code, c.name).to.equal(0);
      expect(h.out).to.contain(`usage: mq admin ${c.name}`).and.contain('--json').and.contain('-n, --namesrvAddr');
      for (const f of c.flags) expect(h.out, `${c.name} --${f.long}`).to.contain(`--${f.long}`);
    }
  });

  it('refuses unknown flags, stray arguments and missing required flags with exit 2 and an empty stdout', async () => {
    for (const argv of [
      ['topicList', '--bogus'],
      ['topicList', 'extra'],
      ['topicRoute', '-n', '127.0.0.1:1'],
      ['queryMsgByKey', '-n', '127.0.0.1:1', '-t', 'T'],
      ['resetOffsetByTime', '-n', '127.0.0.1:1', '-g', 'g', '-t', 'T'],
      ['topicStatus', '-n'],
      ['nope'],
      [],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.out, argv.join(' ')).to.equal('');
      expect(r.err, argv.join(' ')).to.not.equal('');
    }
  });

  it('needs a name server from -n or NAMESRV_ADDR', async () => {
    const r = await run(['topicList']);
    expect(r.code).to.equal(2);
    expect(r.out).to.equal('');
    expect(r.err).to.contain('NAMESRV_ADDR');
  });

  it('parses short, long, = and switch forms', () => {
    const cmd = ADMIN_COMMANDS.find((c) => c.name === 'updateTopic')!;
    expect(parseFlags(cmd, ['-n', 'h:1', '-c', 'C', '-t', 'T', '-r', '3', '--writeQueueNums=4', '-o', 'true', '--json'])).to.deep.equal({
      namesrvAddr: 'h:1', clusterName: 'C', topic: 'T', readQueueNums: '3', writeQueueNums: '4', order: 'true', json: 'true',
    });
    expect(() => parseFlags(cmd, ['-t'])).to.throw(/needs a value/);
  });

  it('reads times as ms, now, mqadmin yyyy-MM-dd#HH:mm:ss:SSS and ISO-8601, and rejects the rest', () => {
    expect(parseTime('1700000000000', '-s', 0)).to.equal(1700000000000);
    expect(parseTime('now', '-s', 42)).to.equal(42);
    expect(parseTime('2024-03-05#06:07:08:009', '-s', 0)).to.equal(new Date(2024, 2, 5, 6, 7, 8, 9).getTime());
    expect(parseTime('2024-03-05T06:07', '-s', 0)).to.equal(new Date(2024, 2, 5, 6, 7).getTime());
    expect(parseTime('2024-03-05T06:07:08Z', '-s', 0)).to.equal(Date.UTC(2024, 2, 5, 6, 7, 8));
    expect(() => parseTime('yesterday', '-s', 0)).to.throw(/cannot read/);
    const noon = new Date(2024, 2, 5, 12, 30).getTime();
    expect(localMidnight(noon)).to.equal(new Date(2024, 2, 5).getTime());
  });
});
