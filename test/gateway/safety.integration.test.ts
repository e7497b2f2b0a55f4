/**
 * The gateway as an operator and an attacker meet it, with real processes (`mq namesrv`, `mq broker`, `mq gateway`,
 * redis-server): /healthz names each failed dependency (Redis, name servers, writable broker set) with 503 while
 * /livez stays 200; a Redis that may evict keys is refused at start; a get over maxInflightReplyBytes returns fewer
 * messages; a DLQ read returns only dead letters of topics the reader may read; tokens reload on SIGHUP and on change;
 * mutual TLS with the certificate's subject as the principal; secrets from files (receiptSecretFile shared by two
 * replicas, redisPasswordFile).
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import Redis from 'ioredis';
import thrift from 'thrift';
import { sleep } from '../../src/common';
import { MessageGatewayService, T } from '../../src/gateway';
import { spawnMq, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';
import { redisAvailable, startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { startCluster, startGateway } from './cluster';
import type { TestCluster } from './cluster';
import { connect, failure } from './thrift-client';

async function health(p: MqProcess): Promise<{ status: number; body: { ok: boolean; failed?: string[]; checks?: Array<{ name: string; ok: boolean }> } }> {
  const res = await fetch(`http://127.0.0.1:${p.fields.httpPort}/healthz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; failed?: string[] } };
}

/** Polls /healthz until `pred` holds (bounded). */
async function healthUntil(p: MqProcess, pred: (h: Awaited<ReturnType<typeof health>>) => boolean, ms = 15000): Promise<Awaited<ReturnType<typeof health>>> {
  const until = Date.now() + ms;
  let h = await health(p);
  while (!pred(h) && Date.now() < until) {
    await sleep(200);
    h = await health(p);
  }
  return h;
}

/** Runs `mq gateway` expecting it to exit; resolves with its exit code and output. */
function gatewayExit(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [path.resolve(__dirname, '..', '..', '..', 'bin', 'mq'), 'gateway', '--listenPort=0', '--httpPort=-1', ...args], {
    encoding: 'utf8',
    timeout: 20000,
    env: { ...process.env, MQ_LOG_LEVEL: 'error' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('gateway safety: health, Redis policy, reply cap, DLQ grants, reloads, mTLS, file secrets (integration)', function () {
  this.timeout(120000);
  let cluster: TestCluster;
  let redis: TestRedis;
  const gateways: MqProcess[] = [];
  const tmp = tempDir('mq-gw-safety-');

  before(async function () {
    if (!redisAvailable()) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('redis-server is required (MQ_REQUIRE_TOOLS=1)');
      this.skip();
    }
    cluster = await startCluster(['safe-a']);
    redis = await startRedis();
  });

  after(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
    await cluster?.stop();
    await redis?.dispose();
    tmp.cleanup();
  });

  async function gateway(extra: string[]): Promise<MqProcess> {
    const g = await startGateway(cluster.namesrvAddr, extra);
    gateways.push(g);
    return g;
  }

  it('/healthz: 200 with every check passing, 503 naming Redis while it is down; /livez stays 200', async () => {
    const g = await gateway(['--coord=redis', `--redisUrl=${redis.url}`, `--redisKeyPrefix=${uniqueName('h')}`, '--receiptSecret=health-secret']);
    const ok = await healthUntil(g, (h) => h.status === 200);
    expect(ok.status).to.equal(200);
    expect(ok.body.checks?.map((c) => c.name)).to.include.members(['gateway', 'nameServers', 'writableBrokerSet', 'redis']);
    await redis.stop();
    try {
      const down = await healthUntil(g, (h) => h.status === 503);
      expect(down.status).to.equal(503);
      expect(down.body.failed).to.deep.equal(['redis']);
      const live = await fetch(`http://127.0.0.1:${g.fields.httpPort}/livez`);
      expect(live.status).to.equal(200);
    } finally {
      await redis.restart();
    }
    expect((await healthUntil(g, (h) => h.status === 200)).status).to.equal(200);
  });

  it('/healthz: 503 naming the name servers when none answers, and the writable broker set when none registered', async () => {
    const dead = await startGateway('127.0.0.1:1', ['--mqClientApiTimeout=300', '--connectTimeoutMs=200']);
    gateways.push(dead);
    const h = await healthUntil(dead, (x) => x.status === 503);
    expect(h.status).to.equal(503);
    expect(h.body.failed).to.deep.equal(['nameServers', 'writableBrokerSet']);
    // A name server that answers but has no broker.
    const lonely = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1']);
    try {
      const g = await startGateway(`127.0.0.1:${lonely.fields.listenPort}`);
      gateways.push(g);
      const h2 = await healthUntil(g, (x) => x.status === 503);
      expect(h2.body.failed).to.deep.equal(['writableBrokerSet']);
    } finally {
      await lonely.stop();
    }
  });

  it('refuses to start on a Redis whose maxmemory-policy may evict keys, naming the setting', async () => {
    const r = new Redis(redis.url);
    try {
      await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const res = gatewayExit([`--namesrvAddr=${cluster.namesrvAddr}`, '--coord=redis', `--redisUrl=${redis.url}`, '--receiptSecret=policy-secret']);
      expect(res.code).to.equal(1);
      expect(res.out).to.match(/maxmemory-policy allkeys-lru/).and.match(/noeviction/);
    } finally {
      await r.config('SET', 'maxmemory-policy', 'noeviction');
      r.disconnect();
    }
  });

  it('a get over maxInflightReplyBytes returns fewer messages', async () => {
    const topic = await cluster.createTopic('GwReplyCap', 1);
    const g = await gateway([`--maxMessageSize=${1024 * 1024}`, `--maxInflightReplyBytes=${1536 * 1024}`]);
    const c = connect(Number(g.fields.listenPort));
    try {
      const body = Buffer.alloc(400 * 1000, 7);
      for (let i = 0; i < 5; i++) {
        const r = await c.send([new T.Message({ topic, body }), new T.Message({ topic, body })]);
        expect(r.every((x) => !x.error)).to.equal(true);
      }
      const got = await c.get({ topic, consumerGroup: 'cap_g', maxMessages: 10, waitMs: 2000 });
      // 1.5 MiB holds three bodies of 400 kB; the rest stays for later calls.
      expect(got.messages.length).to.equal(3);
      let total = got.messages.length;
      for (let i = 0; i < 10 && total < 10; i++) total += (await c.get({ topic, consumerGroup: 'cap_g', maxMessages: 10, waitMs: 1000 })).messages.length;
      expect(total).to.equal(10);
    } finally {
      c.close();
    }
  });

  it('a DLQ read without a DLQ grant returns only dead letters of topics the reader may read', async function () {
    const group = uniqueName('dlq_g');
    const readable = await cluster.createTopic('GwDlqOk', 1);
    const secret = await cluster.createTopic('GwDlqSecret', 1);
    await cluster.createTopic(`%DLQ%${group}`, 1).catch(() => undefined);
    const tokens = path.join(tmp.dir, 'dlq-tokens.json');
    fs.writeFileSync(
      tokens,
      JSON.stringify([
        { name: 'writer', token: 'tw', send: ['*'], get: ['*'], groups: ['*'] },
        { name: 'reader', token: 'tr', send: [], get: [readable], groups: [group] },
        { name: 'ops', token: 'to', send: [], get: [`%DLQ%${group}`], groups: [group] },
      ]),
    );
    const g = await gateway([`--authTokensFile=${tokens}`, '--maxReconsumeTimes=1', '--reclaimCheckIntervalMs=50']);
    const c = connect(Number(g.fields.listenPort));
    try {
      await c.send([new T.Message({ topic: readable, body: Buffer.from('ok-1') })], 'tw');
      await c.send([new T.Message({ topic: secret, body: Buffer.from('secret-1') })], 'tw');
      // Deliver once with a short lease and never ack: the second delivery attempt moves them to the DLQ.
      for (const topic of [readable, secret]) {
        const first = await c.get({ topic, consumerGroup: group, maxMessages: 5, waitMs: 2000, invisibleMs: 300, auth: 'tw' });
        expect(first.messages).to.have.length(1);
      }
      await sleep(600);
      for (const topic of [readable, secret]) await c.get({ topic, consumerGroup: group, maxMessages: 5, waitMs: 500, invisibleMs: 300, auth: 'tw' });
      // The reader (group grant, get grant on `readable` only) sees the readable dead letter only.
      const seen: string[] = [];
      for (let i = 0; i < 20 && seen.length === 0; i++) {
        const r = await c.get({ topic: `%DLQ%${group}`, consumerGroup: group, maxMessages: 10, waitMs: 500, invisibleMs: 5000, auth: 'tr' });
        seen.push(...r.messages.map((m) => m.body.toString()));
      }
      expect(seen).to.deep.equal(['ok-1']);
      // With an explicit DLQ grant the other one is there too (its lease of the filtered read ran out).
      await sleep(5200);
      const ops: string[] = [];
      for (let i = 0; i < 20 && !ops.includes('secret-1'); i++) {
        const r = await c.get({ topic: `%DLQ%${group}`, consumerGroup: group, maxMessages: 10, waitMs: 500, auth: 'to' });
        ops.push(...r.messages.map((m) => m.body.toString()));
      }
      expect(ops).to.include('secret-1');
    } finally {
      c.close();
    }
  });

  it('reloads the tokens file on SIGHUP and when it changes', async () => {
    const topic = await cluster.createTopic('GwReload', 1);
    const file = path.join(tmp.dir, 'reload-tokens.json');
    const write = (token: string): void => fs.writeFileSync(file, JSON.stringify([{ name: 'p', token, send: [topic], get: [topic], groups: ['g'] }]));
    write('first');
    const g = await gateway([`--authTokensFile=${file}`]);
    const c = connect(Number(g.fields.listenPort));
    try {
      expect((await c.send([new T.Message({ topic, body: Buffer.from('a') })], 'first'))[0].error).to.equal(null);
      write('second');
      g.child.kill('SIGHUP');
      let code = 0;
      for (let i = 0; i < 30; i++) {
        await sleep(100);
        code = (await failure(c.send([new T.Message({ topic, body: Buffer.from('b') })], 'first')).catch(() => ({ code: 0 }))).code;
        if (code === T.ErrorCode.UNAUTHENTICATED) break;
      }
      expect(code).to.equal(T.ErrorCode.UNAUTHENTICATED);
      expect((await c.send([new T.Message({ topic, body: Buffer.from('c') })], 'second'))[0].error).to.equal(null);
      // Without a signal: the file's change is noticed within a few seconds.
      await sleep(1100);
      write('third');
      let ok = false;
      for (let i = 0; i < 80 && !ok; i++) {
        await sleep(100);
        ok = await c.send([new T.Message({ topic, body: Buffer.from('d') })], 'third').then(
          () => true,
          () => false,
        );
      }
      expect(ok).to.equal(true);
      // A broken file keeps the tokens in force.
      fs.writeFileSync(file, '{not json');
      g.child.kill('SIGHUP');
      await sleep(500);
      expect((await c.send([new T.Message({ topic, body: Buffer.from('e') })], 'third'))[0].error).to.equal(null);
    } finally {
      c.close();
    }
  });

  it('mutual TLS: the client certificate subject is the principal; a client without a certificate is refused', async function () {
    if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('openssl is required (MQ_REQUIRE_TOOLS=1)');
      this.skip();
    }
    const d = tmp.dir;
    const run = (args: string[]): void => {
      const r = spawnSync('openssl', args, { cwd: d, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca']);
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=etl']);
    run(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2']);
    const topic = await cluster.createTopic('GwMtls', 1);
    const tokens = path.join(d, 'mtls-tokens.json');
    fs.writeFileSync(tokens, JSON.stringify([{ name: 'etl', token: 'unused-by-cert-clients', send: [topic], get: [topic], groups: ['g'] }]));
    const g = await gateway([`--authTokensFile=${tokens}`, `--tlsCertFile=${path.join(d, 'server.pem')}`, `--tlsKeyFile=${path.join(d, 'server.key')}`, `--tlsCaFile=${path.join(d, 'ca.pem')}`]);
    const port = Number(g.fields.listenPort);
    const open = (withCert: boolean): { send(m: T.Message[]): Promise<T.SendResult[]>; close(): void; errors: Error[] } => {
      const errors: Error[] = [];
      const conn = thrift.createSSLConnection('127.0.0.1', port, {
        transport: thrift.TFramedTransport,
        protocol: thrift.TBinaryProtocol,
        max_attempts: 1,
        connect_timeout: 5000,
        ca: [fs.readFileSync(path.join(d, 'server.pem'))],
        servername: 'localhost',
        ...(withCert ? { cert: fs.readFileSync(path.join(d, 'client.pem')), key: fs.readFileSync(path.join(d, 'client.key')) } : {}),
      } as unknown as thrift.ConnectOptions);
      conn.on('error', (e: Error) => errors.push(e));
      const raw = thrift.createClient(MessageGatewayService as unknown as thrift.TClientConstructor<{ send(r: T.SendRequest): Promise<T.SendResult[]> }>, conn) as unknown as {
        send(r: T.SendRequest): Promise<T.SendResult[]>;
      };
      return { send: (messages) => raw.send(new T.SendRequest({ messages })), close: () => conn.end(), errors };
    };
    const good = open(true);
    try {
      const r = await good.send([new T.Message({ topic, body: Buffer.from('by certificate') })]);
      expect(r[0].error).to.equal(null);
    } finally {
      good.close();
    }
    const bad = open(false);
    try {
      const outcome = await Promise.race([
        bad.send([new T.Message({ topic, body: Buffer.from('x') })]).then(
          () => 'sent',
          () => 'refused',
        ),
        sleep(3000).then(() => (bad.errors.length > 0 ? 'refused' : 'hung')),
      ]);
      expect(outcome).to.equal('refused');
    } finally {
      bad.close();
    }
  });

  it('secrets from files: replicas sharing receiptSecretFile accept each other\'s receipts; redisPasswordFile opens a password Redis', async () => {
    const topic = await cluster.createTopic('GwSecrets', 1);
    const secret = path.join(tmp.dir, 'receipt.secret');
    fs.writeFileSync(secret, 'a-long-shared-secret\n');
    const prefix = uniqueName('s');
    const common = ['--coord=redis', `--redisUrl=${redis.url}`, `--redisKeyPrefix=${prefix}`, `--receiptSecretFile=${secret}`];
    const a = await gateway(common);
    const b = await gateway(common);
    const ca = connect(Number(a.fields.listenPort));
    const cb = connect(Number(b.fields.listenPort));
    try {
      await ca.send([new T.Message({ topic, body: Buffer.from('r') })]);
      const got = await ca.get({ topic, consumerGroup: 'sg', maxMessages: 1, waitMs: 2000, invisibleMs: 30000 });
      expect(got.messages).to.have.length(1);
      const acked = await cb.get({ topic, consumerGroup: 'sg', maxMessages: 0, ack: [got.messages[0].receipt!] });
      expect(acked.acked).to.equal(1);
    } finally {
      ca.close();
      cb.close();
    }
    expect(gatewayExit([`--receiptSecretFile=${path.join(tmp.dir, 'missing')}`]).out).to.match(/receiptSecretFile/);
    expect(gatewayExit(['--receiptSecret=x', `--receiptSecretFile=${secret}`]).out).to.match(/not both/);
    // A Redis with a password: from the file it connects, without it the start fails.
    const r = new Redis(redis.url);
    const pwFile = path.join(tmp.dir, 'redis.pw');
    fs.writeFileSync(pwFile, 'p@ss word\n');
    try {
      await r.config('SET', 'requirepass', 'p@ss word');
      const withPw = await gateway(['--coord=redis', `--redisUrl=${redis.url}`, `--redisPasswordFile=${pwFile}`, `--receiptSecretFile=${secret}`]);
      expect((await healthUntil(withPw, (h) => h.status === 200)).status).to.equal(200);
      const without = gatewayExit([`--namesrvAddr=${cluster.namesrvAddr}`, '--coord=redis', `--redisUrl=${redis.url}`, `--receiptSecretFile=${secret}`]);
      expect(without.code).to.equal(1);
    } finally {
      const admin = new Redis(redis.url, { password: 'p@ss word' });
      await admin.config('SET', 'requirepass', '');
      admin.disconnect();
      r.disconnect();
    }
  });
});
