/**
 * End to end: the real console page in headless Chromium (playwright-core, Debian's /usr/bin/chromium) against a
 * real `mq dev` (name server, master + slave, gateway, console) on free ports with a temp data dir. Messages go in
 * through the gateway's Thrift API. The test signs in, creates a topic, finds a message by key and reads its body,
 * watches a group's backlog go up and down, sees a backlog alert fire (and its Prometheus rules pass promtool),
 * resends a dead letter and receives it again, and checks that the read-only token changes nothing. Every request
 * the page makes must stay on the console's origin. Screenshots go to docs/console/.
 */
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import type { Browser, Page, Request } from 'playwright-core';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { sleep } from '../../src/common';
import { ROOT, spawnMq, stopAll, tempDir } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';
import { connect } from '../gateway/thrift-client';
import type { TestClient } from '../gateway/thrift-client';
import { T } from '../../src/gateway';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'console-admin-token-e2e';
const READ = 'console-read-token-e2e';
const SHOTS = path.join(ROOT, 'docs', 'console');

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30000, every = 300): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

describe('console in headless Chromium against mq dev (e2e)', function () {
  this.timeout(120000);
  let dev: MqProcess;
  let tmp: { dir: string; cleanup(): void };
  let browser: Browser;
  let page: Page;
  let base: string;
  let gw: TestClient;
  const requests: string[] = [];
  const TOPIC = 'ConsoleOrders';
  const GROUP = 'console_g';

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error(`${CHROMIUM} is required (Debian: chromium)`);
      this.skip();
    }
    tmp = tempDir('mq-console-');
    dev = await spawnMq(
      ['dev', '--basePort=0', `--dataDir=${tmp.dir}`, `--consoleAdminToken=${ADMIN}`, `--consoleReadToken=${READ}`, '--maxReconsumeTimes=2'],
      { readyTimeoutMs: 60000 },
    );
    base = `http://127.0.0.1:${dev.fields.consolePort}`;
    gw = connect(Number(dev.fields.gatewayPort));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('request', (r: Request) => requests.push(r.url()));
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    gw?.close();
    await browser?.close();
    await dev?.stop();
    await stopAll();
    tmp?.cleanup();
  });

  const shot = (name: string): Promise<unknown> => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  const text = (sel: string): Promise<string> => page.locator(sel).first().innerText();

  async function signIn(token: string): Promise<void> {
    await page.goto(`${base}/#cluster`);
    await page.evaluate(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
    await page.reload();
    await page.fill('#token', token);
    await page.click('#login-button');
    await page.waitForSelector('#brokers');
  }

  async function send(topic: string, n: number, prefix: string): Promise<void> {
    const msgs = Array.from({ length: n }, (_, i) => new T.Message({ topic, body: Buffer.from(JSON.stringify({ order: `${prefix}-${i}`, amount: i * 10 })), tags: 'new', keys: [`${prefix}-${i}`] }));
    const res = await gw.send(msgs);
    expect(res.every((r) => r.status === T.SendStatus.OK && !r.error), JSON.stringify(res.filter((r) => r.error))).to.equal(true);
  }

  /** Gets (auto-ack) until `want` messages were received. */
  async function drain(topic: string, group: string, want: number): Promise<number> {
    let got = 0;
    await until(`${want} messages of ${topic} for ${group}`, async () => {
      const r = await gw.get({ topic, consumerGroup: group, maxMessages: 64, waitMs: 500 });
      got += r.messages.length;
      return got >= want;
    });
    return got;
  }

  it('signs in with the admin token and shows the cluster: name server, master and slave with role and version', async () => {
    await signIn(ADMIN);
    expect(await text('#role')).to.equal('admin');
    const brokers = await text('#brokers');
    expect(brokers).to.contain('ASYNC_MASTER').and.contain('SLAVE').and.contain('V4_9_8').and.contain('broker-a');
  });

  it('creates a topic from the topics page', async () => {
    await page.goto(`${base}/#topics`);
    await page.fill('#new-topic', TOPIC);
    await page.fill('#new-topic-queues', '2');
    await page.click('#create-topic');
    await page.waitForSelector(`#topic-table tr[data-key="${TOPIC}"]`, { timeout: 20000 });
  });

  it('finds a message sent through the gateway by key, and shows its body as text, JSON and hex', async () => {
    await send(TOPIC, 20, 'order');
    await page.goto(`${base}/#messages`);
    await page.fill('#query-topic', TOPIC);
    await page.fill('#query-key', 'order-7');
    await until('the message of key order-7', async () => {
      await page.click('#query-run');
      await sleep(500);
      return (await page.locator('#body-view').count()) > 0;
    });
    expect(JSON.parse(await text('#body-view'))).to.deep.equal({ order: 'order-7', amount: 70 });
    expect(await text('#properties')).to.contain('KEYS').and.contain('order-7');
    await page.click('button[data-mode="json"]');
    expect(await text('#body-view')).to.contain('"amount": 70');
    await page.click('button[data-mode="hex"]');
    expect(await text('#body-view')).to.match(/^00000000 {2}7b 22 6f 72/);
    await page.click('button[data-mode="text"]');
    await shot('messages');
    // Download: the message as JSON, from the page itself (blob URL, no request leaves the origin).
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-message')]);
    const saved = path.join(tmp.dir, 'message.json');
    await dl.saveAs(saved);
    expect(Buffer.from(JSON.parse(fs.readFileSync(saved, 'utf8')).body, 'base64').toString()).to.contain('order-7');
    // By id (the msgId the gateway returned, a UNIQ_KEY: looked up in the topic), and by topic + time range.
    const msgId = await text('#message-table td[data-col="msgId"]');
    await page.selectOption('#query-mode', 'id');
    await page.fill('#query-id', msgId);
    await page.click('#query-run');
    await until('the message by id', async () => (await page.locator('#message-table tbody tr[data-key]').count()) === 1 && (await text('#body-view')).includes('order-7'));
    await page.selectOption('#query-mode', 'time');
    await page.click('#query-run');
    await until('20 messages in the last hour', async () => (await page.locator('#message-table tbody tr[data-key]').count()) === 20);
  });

  it('shows the topic with its queues, messages today and a growth chart', async () => {
    await page.goto(`${base}/#topics/${TOPIC}`);
    await page.waitForSelector('#growth-chart');
    expect(await text('#messages-today')).to.equal('20');
    const bars = await page.$$eval('#growth-chart rect', (els) => els.reduce((s, e) => s + Number(e.getAttribute('data-count')), 0));
    expect(bars).to.equal(20);
    expect(await page.locator('#queue-table tbody tr').count()).to.equal(2);
    await shot('topic');
    await page.click('button[data-granularity="hour"]');
    await until('the hourly chart', async () => {
      const n = await page.$$eval('#growth-chart rect', (els) => [els.length, els.reduce((s, e) => s + Number(e.getAttribute('data-count')), 0)]);
      return n[0] === 24 && n[1] === 20;
    });
  });

  it("watches a group's backlog go up and down, with a backlog alert that fires and clears", async () => {
    // The group starts: it reads what is there (auto-ack), its offsets reach the broker within the flush interval.
    await drain(TOPIC, GROUP, 20);
    await page.goto(`${base}/#alerts`);
    await page.fill('#alert-group', GROUP);
    await page.fill('#alert-count', '5');
    await page.click('#alert-add');
    await page.waitForSelector('#alert-table tbody tr[data-key]');
    await send(TOPIC, 30, 'more');
    await page.goto(`${base}/#groups`);
    await page.waitForSelector(`#group-table tr[data-key="${GROUP}"]`, { timeout: 20000 });
    await page.goto(`${base}/#groups/${GROUP}`);
    const up = await until('the backlog to show 30', async () => {
      const v = Number(await page.locator('#group-lag-total').getAttribute('data-value'));
      return v >= 30 ? v : undefined;
    });
    expect(up).to.equal(30);
    await page.goto(`${base}/#alerts`);
    await until('the alert to fire', async () => (await text('#alert-table tbody tr td[data-col="state"]')) === 'FIRING');
    expect(await text('#alert-table tbody tr td[data-col="count"]')).to.equal('30');
    await until('the firing count in the header', async () => (await text('#firing-count')) === '1');
    await shot('alerts');
    const rules = await text('#rules');
    expect(rules).to.contain('mq_broker_consumer_lag{group="console_g"').and.contain('> 5');
    try {
      const f = path.join(tmp.dir, 'rules.yml');
      fs.writeFileSync(f, rules + '\n');
      execFileSync('promtool', ['check', 'rules', f], { stdio: 'pipe' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`promtool rejected the rules: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
    }
    await page.goto(`${base}/#groups/${GROUP}`);
    await until('the group page', async () => Number(await page.locator('#group-lag-total').getAttribute('data-value')) === 30);
    // Live: the open page follows the consumer without a reload (a marker set on the window survives).
    await page.evaluate(() => ((globalThis as unknown as { liveMarker: number }).liveMarker = 1));
    await drain(TOPIC, GROUP, 30);
    await until('the backlog to go down to 0', async () => Number(await page.locator('#group-lag-total').getAttribute('data-value')) === 0);
    expect(await page.evaluate(() => (globalThis as unknown as { liveMarker?: number }).liveMarker)).to.equal(1);
    await sleep(2500);
    await shot('group');
    // The gateway's own group state (memory coordination in mq dev) is on the cluster page.
    await page.goto(`${base}/#cluster`);
    await until('the gateway leases of the group', async () => (await text('#leases')).includes(GROUP));
    await shot('cluster');
    await page.goto(`${base}/#alerts`);
    await until('the alert to clear', async () => (await text('#alert-table tbody tr td[data-col="state"]')) === 'ok');
  });

  it('shows a dead letter with its origin topic and attempts, resends it, and the group receives it again', async () => {
    const topic = 'ConsolePoison';
    const group = 'console_dlq';
    await gw.send([new T.Message({ topic, body: Buffer.from('poison-body'), keys: ['poison-1'] })]);
    // Never acked: after maxReconsumeTimes (2) deliveries it moves to %DLQ%console_dlq.
    await until('the dead letter', async () => {
      await gw.get({ topic, consumerGroup: group, maxMessages: 8, waitMs: 300, invisibleMs: 400 });
      const r = await page.evaluate(
        async ([u, t]: string[]) => (await fetch(u, { headers: { authorization: `Bearer ${t}` } })).json(),
        [`${base}/api/dlq/${group}`, ADMIN],
      );
      return Array.isArray(r) && r.length === 1;
    }, 45000, 100);
    await page.goto(`${base}/#dlq`);
    await page.fill('#dlq-group', group);
    await page.click('#dlq-load');
    await page.waitForSelector('#dlq-table tr[data-key]');
    expect(await text('#dlq-table td[data-col="origin"]')).to.equal(topic);
    expect(Number(await text('#dlq-table td[data-col="attempts"]'))).to.be.at.least(2);
    await shot('dlq');
    const [exp] = await Promise.all([page.waitForEvent('download'), page.click('#dlq-export')]);
    const file = path.join(tmp.dir, 'dlq.json');
    await exp.saveAs(file);
    const exported = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{ originTopic: string; body: string }>;
    expect(exported.map((m) => [m.originTopic, Buffer.from(m.body, 'base64').toString()])).to.deep.equal([[topic, 'poison-body']]);
    await page.check('#dlq-table input[type="checkbox"]');
    await page.click('#dlq-resend');
    await until('the resend report', async () => (await text('#status')).includes('resent 1 message(s) to ConsolePoison'));
    const again = await until('the resent message', async () => {
      const r = await gw.get({ topic, consumerGroup: group, maxMessages: 8, waitMs: 500, invisibleMs: 5000 });
      const m = r.messages.find((x) => x.body.toString() === 'poison-body');
      if (m) await gw.get({ topic, consumerGroup: group, maxMessages: 0, ack: [m.receipt!] });
      return m;
    });
    expect(again.keys).to.deep.equal(['poison-1']);
  });

  it('deletes a topic from its page (after a confirmation)', async () => {
    await page.evaluate(
      async ([u, t]: string[]) => fetch(u, { method: 'POST', headers: { authorization: `Bearer ${t}` }, body: JSON.stringify({ topic: 'ConsoleScratch' }) }),
      [`${base}/api/topics`, ADMIN],
    );
    await page.goto(`${base}/#topics/ConsoleScratch`);
    await page.waitForSelector('#delete-topic');
    page.once('dialog', (d) => void d.accept());
    await page.click('#delete-topic');
    await until('the topic list without ConsoleScratch', async () => {
      if ((await page.locator('#topic-table').count()) === 0) return false;
      return !(await text('#topic-table')).includes('ConsoleScratch') && (await text('#topic-table')).includes(TOPIC);
    });
  });

  it('with the read-only token: pages load, every change is refused (403) and the buttons are disabled', async () => {
    await signIn(READ);
    expect(await text('#role')).to.equal('read-only');
    await page.goto(`${base}/#topics`);
    await page.waitForSelector('#create-topic');
    expect(await page.locator('#create-topic').isDisabled()).to.equal(true);
    const calls: Array<[string, string, unknown]> = [
      ['POST', '/api/topics', { topic: 'ReadOnlyMayNot' }],
      ['DELETE', `/api/topics/${TOPIC}`, undefined],
      ['POST', `/api/groups/${GROUP}/reset`, { topic: TOPIC, timestamp: 0 }],
      ['DELETE', `/api/groups/${GROUP}`, undefined],
      ['POST', '/api/dlq/console_dlq/resend', { msgIds: ['x'] }],
      ['POST', '/api/alerts', { group: GROUP, maxCount: 1 }],
      ['DELETE', '/api/alerts/any', undefined],
      ['POST', '/api/alerts/evaluate', undefined],
    ];
    for (const token of [READ, '', 'wrong-token']) {
      const codes = await page.evaluate(
        async ({ b, t, list }: { b: string; t: string; list: Array<[string, string, unknown]> }) => {
          const out: number[] = [];
          for (const [method, p, body] of list) {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (t) headers.authorization = `Bearer ${t}`;
            out.push((await fetch(b + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).status);
          }
          return out;
        },
        { b: base, t: token, list: calls },
      );
      expect(codes, `token "${token}"`).to.deep.equal(calls.map(() => (token === READ ? 403 : 401)));
    }
    // Nothing changed: the topic, the group's offsets and the alert are all still there.
    const topics = (await page.evaluate(async ([u, t]: string[]) => (await fetch(u, { headers: { authorization: `Bearer ${t}` } })).json(), [`${base}/api/topics`, READ])) as Array<{ topic: string }>;
    expect(topics.map((t) => t.topic)).to.include(TOPIC).and.not.include('ReadOnlyMayNot');
    await page.goto(`${base}/#alerts`);
    await page.waitForSelector('#alert-table tbody tr[data-key]');
    expect(await page.locator('#alert-add').isDisabled()).to.equal(true);
  });

  it('made no request outside the console origin', () => {
    expect(requests.length).to.be.above(20);
    const foreign = requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith(`blob:${base}/`) && !u.startsWith('data:'));
    expect(foreign).to.deep.equal([]);
  });
});
