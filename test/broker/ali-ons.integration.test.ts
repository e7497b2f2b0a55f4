/**
 * Third-party clients work: the npm package `ali-ons` (producer and push consumer, in child processes) against real
 * `mq namesrv` and `mq broker` processes. Topics are created first with `mq admin updateTopic` (ali-ons cannot create
 * topics). Checks: tags and keys, bodies from 500 B to 5 MiB (ali-ons deflates from 4 KiB), a `TagA || TagB`
 * consumer receives exactly the matching messages with the same msgId, body, tags and keys; a failed message comes
 * back through %RETRY%<group>; an idle consumer sends only a handful of pulls while its pulls are held.
 */
import { expect } from 'chai';
import { execFile, spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import path from 'path';
import { promisify } from 'util';
import { MQ_BIN, spawnMq, stopAll, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';

const CHILD = path.join(__dirname, 'ali-ons-child.js');

interface Line {
  sent?: { i: number; msgId: string; status: string; tags: string; keys: string; size: number; sha: string };
  received?: Received;
  failed?: Received;
  ready?: boolean;
  done?: boolean;
  error?: string;
  fatal?: string;
}
interface Received {
  msgId: string;
  originMessageId?: string;
  topic: string;
  tags?: string;
  keys: string;
  size: number;
  sha: string;
  reconsumeTimes: number;
}

/** A running ali-ons child; lines are parsed as they arrive. */
class OnsChild {
  readonly lines: Line[] = [];
  readonly proc: ChildProcess;
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(mode: 'produce' | 'consume', args: unknown) {
    this.proc = spawn(process.execPath, [CHILD, mode, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as Line);
        } catch {
          // ali-ons may print; only our JSON lines count
        }
      }
    });
    this.proc.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
  }

  /** Waits until `pred` holds over the lines seen so far (bounded). */
  async waitFor(pred: (lines: Line[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred(this.lines)) {
      const fatal = this.lines.find((l) => l.fatal);
      if (fatal) throw new Error(`ali-ons child failed: ${fatal.fatal}\n${this.stderr}`);
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}; lines: ${JSON.stringify(this.lines.slice(-10))}\n${this.stderr.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the child by its pid. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

function metrics(port: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: Number(port), path: '/metrics' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
}

/** Pull requests the broker has received so far (remoting request counter for code 11). */
function pullCount(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/^mq_remoting_requests_total\{([^}]*)\} (\d+)/gm)) {
    if (/code="PULL_MESSAGE"/.test(m[1])) n += Number(m[2]);
  }
  return n;
}

describe('ali-ons producer and push consumer against mq namesrv + mq broker (integration)', function () {
  this.timeout(120000);
  const children: OnsChild[] = [];
  let tmp: { dir: string; cleanup(): void };
  let namesrv: MqProcess;
  let broker: MqProcess;
  let nameSrv: string;

  const child = (mode: 'produce' | 'consume', args: unknown): OnsChild => {
    const c = new OnsChild(mode, args);
    children.push(c);
    return c;
  };

  async function createTopic(topic: string): Promise<void> {
    const { stdout } = await promisify(execFile)(process.execPath, [
      MQ_BIN, 'admin', 'updateTopic', '-n', nameSrv, '-c', 'DefaultCluster', '-t', topic, '-r', '4', '-w', '4',
    ]);
    expect(stdout).to.contain('success');
  }

  before(async () => {
    tmp = tempDir('mq-alions-');
    namesrv = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1']);
    nameSrv = `127.0.0.1:${namesrv.fields.listenPort}`;
    const props = path.join(tmp.dir, 'broker-a.properties');
    fs.writeFileSync(
      props,
      [
        'brokerClusterName=DefaultCluster',
        'brokerName=broker-a',
        'brokerId=0',
        `namesrvAddr=${nameSrv}`,
        'listenPort=0',
        'httpPort=0',
        `storePathRootDir=${path.join(tmp.dir, 'store')}`,
        'mappedFileSizeCommitLog=67108864',
        // Short delay levels so that a retry arrives within seconds (level 3 = first retry).
        'messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s',
        '',
      ].join('\n'),
    );
    broker = await spawnMq(['broker', '-c', props]);
  });

  after(async () => {
    for (const c of children) await c.kill();
    await broker?.stop();
    await namesrv?.stop();
    await stopAll();
    tmp?.cleanup();
  });

  it('a TagA || TagB consumer receives exactly the matching messages (500 B to 5 MiB) with the same msgId, body, tags and keys', async () => {
    const topic = uniqueName('OnsT');
    await createTopic(topic);
    const sizes = [500, 2048, 4095, 4096, 100 * 1024, 1024 * 1024, 5 * 1024 * 1024];
    const tags = ['TagA', 'TagB', 'TagC'];
    const messages = sizes.flatMap((size, i) => tags.map((t, j) => ({ tags: t, keys: [`k${i}_${j}`, `order${i}`], size: j === 2 ? 600 : size })));
    const producer = child('produce', { nameSrv, topic, messages });
    await producer.waitFor((ls) => ls.some((l) => l.done), 60000, 'all sends');
    const sent = producer.lines.filter((l) => l.sent).map((l) => l.sent!);
    expect(sent).to.have.length(messages.length);
    for (const s of sent) expect(s.status).to.equal('SEND_OK');
    const expected = sent.filter((s) => s.tags !== 'TagC');

    const consumer = child('consume', { nameSrv, topic, group: uniqueName('OnsG'), expression: 'TagA || TagB' });
    await consumer.waitFor((ls) => ls.filter((l) => l.received).length >= expected.length, 60000, 'all matching messages');
    // A moment more: nothing else may arrive (TagC is filtered out on the broker and in the client).
    await new Promise((r) => setTimeout(r, 500));
    const got = consumer.lines.filter((l) => l.received).map((l) => l.received!);
    expect(got.map((g) => g.msgId).sort()).to.deep.equal(expected.map((e) => e.msgId).sort());
    const byId = new Map(got.map((g) => [g.msgId, g]));
    for (const e of expected) {
      const g = byId.get(e.msgId)!;
      expect({ tags: g.tags, keys: g.keys, size: g.size, sha: g.sha }).to.deep.equal({ tags: e.tags, keys: e.keys, size: e.size, sha: e.sha });
    }
    expect(got.some((g) => g.size === 5 * 1024 * 1024)).to.equal(true);
  });

  it('a failed message is delivered again through %RETRY%<group>', async () => {
    const topic = uniqueName('OnsR');
    await createTopic(topic);
    const producer = child('produce', {
      nameSrv,
      topic,
      messages: [
        { tags: 'TagA', keys: ['fine'], size: 700 },
        { tags: 'TagA', keys: ['flaky'], size: 900 },
      ],
    });
    await producer.waitFor((ls) => ls.some((l) => l.done), 30000, 'sends');
    const flaky = producer.lines.find((l) => l.sent?.keys === 'flaky')!.sent!;
    const consumer = child('consume', { nameSrv, topic, group: uniqueName('OnsRG'), expression: '*', failKeys: ['flaky'] });
    await consumer.waitFor((ls) => ls.some((l) => l.received?.keys === 'flaky'), 60000, 'the retried message');
    const failed = consumer.lines.find((l) => l.failed)!.failed!;
    expect(failed.msgId).to.equal(flaky.msgId);
    const again = consumer.lines.find((l) => l.received?.keys === 'flaky')!.received!;
    expect(again.reconsumeTimes).to.equal(1);
    expect(again.topic).to.equal(topic);
    expect(again.originMessageId).to.equal(flaky.msgId);
    expect(again.sha).to.equal(flaky.sha);
    expect(again.msgId).to.not.equal(flaky.msgId);
  });

  it('an idle push consumer sends only a handful of pulls (they are held, not answered at once)', async () => {
    const topic = uniqueName('OnsIdle');
    await createTopic(topic);
    const consumer = child('consume', { nameSrv, topic, group: uniqueName('OnsIG'), expression: '*' });
    await consumer.waitFor((ls) => ls.some((l) => l.ready), 30000, 'consumer ready');
    // Let it settle: its first pulls of each queue get held.
    await new Promise((r) => setTimeout(r, 2000));
    const before = pullCount(await metrics(broker.fields.httpPort));
    await new Promise((r) => setTimeout(r, 4000));
    const during = pullCount(await metrics(broker.fields.httpPort)) - before;
    console.log(`      idle pulls in 4 s: ${during} (total so far ${before + during})`);
    // 5 queues (4 + the retry queue) held for 15 s each: at most a few pulls in 4 s, not thousands.
    expect(during).to.be.at.most(10);
  });
});
