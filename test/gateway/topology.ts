/**
 * Real processes for the consumption tests of issue 9, restartable with the same data and address: a name server,
 * broker sets of a master and optional slave (each broker a data directory and fixed ports, so that kill -9 and a
 * restart bring back the same broker), gateways, and redis-server with AOF (also under Sentinel). Everything is
 * stopped by pid.
 */
import { spawn, spawnSync } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import net from 'net';
import path from 'path';
import pino from 'pino';
import { MqError, sleep } from '../../src/common';
import { MQClient } from '../../src/client';
import { spawnMq, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';
import { freePort } from '../helpers/redis';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });

/** Short timers so that registrations, HA reconnects and slave syncs happen within about a second. */
export const HA_BROKER = [
  '--httpPort=-1',
  '--registerNameServerPeriod=1000',
  '--haConnectRetryInterval=200',
  '--haSendHeartbeatInterval=500',
  '--haHousekeepingInterval=5000',
  '--slaveSyncInterval=1000',
  '--slaveSyncInitialDelay=200',
  '--flushIntervalCommitLog=50',
];

export type Role = 'SYNC_MASTER' | 'ASYNC_MASTER' | 'SLAVE';

/** One broker: a data directory and fixed ports, started and killed at will. */
export class BrokerNode {
  proc: MqProcess | undefined;
  readonly dir: string;
  private readonly cleanupDir: () => void;

  constructor(
    readonly name: string,
    readonly role: Role,
    readonly port: number,
    readonly haPort: number,
    private readonly namesrv: () => string,
    private readonly extra: string[],
  ) {
    const t = tempDir(`mq-${name}-${role}-`);
    this.dir = t.dir;
    this.cleanupDir = t.cleanup;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    let last: unknown;
    for (let i = 0; i < 3; i++) {
      try {
        this.proc = await spawnMq(
          [
            'broker',
            `--brokerName=${this.name}`,
            `--brokerRole=${this.role}`,
            `--brokerId=${this.role === 'SLAVE' ? 1 : 0}`,
            `--storePathRootDir=${this.dir}`,
            `--namesrvAddr=${this.namesrv()}`,
            `--listenPort=${this.port}`,
            `--haListenPort=${this.haPort}`,
            ...HA_BROKER,
            ...this.extra,
          ],
          { readyTimeoutMs: 30000 },
        );
        return;
      } catch (err) {
        last = err;
        await sleep(300);
      }
    }
    throw last;
  }

  async kill9(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await p?.kill9();
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await p?.stop();
  }

  /** Deletes the store (the broker must be stopped): the next start is a broker set rebuilt empty. */
  wipe(): void {
    for (const f of fs.readdirSync(this.dir)) fs.rmSync(path.join(this.dir, f), { recursive: true, force: true });
  }

  dispose(): void {
    this.cleanupDir();
  }
}

/** A name server on a fixed port (restartable) and the broker sets registered with it. */
export class Topology {
  ns: MqProcess | undefined;
  readonly brokers: BrokerNode[] = [];
  admin!: MQClient;
  private nsPort = 0;
  clusterName = 'DefaultCluster';

  get namesrvAddr(): string {
    return `127.0.0.1:${this.nsPort}`;
  }

  async startNamesrv(): Promise<void> {
    if (this.nsPort === 0) this.nsPort = await freePort();
    for (let i = 0; i < 3 && !this.ns; i++) {
      try {
        this.ns = await spawnMq(['namesrv', `--listenPort=${this.nsPort}`, '--httpPort=-1']);
      } catch (err) {
        if (i === 2) throw err;
        await sleep(300);
      }
    }
  }

  async killNamesrv(): Promise<void> {
    const p = this.ns;
    this.ns = undefined;
    await p?.kill9();
  }

  /** Adds (does not start) a broker of a set. */
  async addBroker(name: string, role: Role, extra: string[] = []): Promise<BrokerNode> {
    const b = new BrokerNode(name, role, await freePort(), await freePort(), () => this.namesrvAddr, extra);
    this.brokers.push(b);
    return b;
  }

  async startAdmin(): Promise<void> {
    this.admin = new MQClient({ namesrvAddr: this.namesrvAddr, instanceName: uniqueName('admin'), pollNameServerInterval: 500 }, { logger });
    await this.admin.start();
  }

  /** Waits until every named broker set has a master registered. */
  async waitRegistered(names: string[], timeoutMs = 20000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const info = await this.admin.getClusterInfo().catch(() => null);
      if (info && names.every((n) => info.brokerAddrTable[n]?.brokerAddrs?.[0] !== undefined)) {
        this.clusterName = Object.keys(info.clusterAddrTable)[0] ?? this.clusterName;
        return;
      }
      await sleep(100);
    }
    throw new Error(`broker sets ${names.join(', ')} did not register`);
  }

  /** Creates a topic with `queues` queues on every master (and so on its slave) and waits for the route. */
  async createTopic(prefix: string, queues: number, sets: number): Promise<string> {
    return this.createTopicNamed(uniqueName(prefix), queues, sets);
  }

  /** Creates (or creates again, after a rebuild) a topic of a given name. */
  async createTopicNamed(topic: string, queues: number, sets: number): Promise<string> {
    // Right after a broker restart at the same address, the admin client's old connection may still be the one it
    // picks and close under the request: retry a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.admin.createTopic({ topic, clusterName: this.clusterName, writeQueueNums: queues, readQueueNums: queues });
        break;
      } catch (err) {
        // createTopic is idempotent, so any failure may be retried.
        if (attempt >= 5) throw err;
        await sleep(300);
      }
    }
    for (let i = 0; i < 200; i++) {
      try {
        const r = await this.admin.getRoute(topic);
        if (r.publishQueues.length === queues * sets) return topic;
      } catch (err) {
        if (!MqError.is(err, 'TOPIC_NOT_FOUND')) throw err;
      }
      await sleep(100);
    }
    throw new Error(`route of ${topic} never appeared`);
  }

  async stop(): Promise<void> {
    await this.admin?.shutdown().catch(() => undefined);
    await Promise.all(this.brokers.map((b) => b.kill9()));
    await this.killNamesrv();
    for (const b of this.brokers) b.dispose();
  }
}

/** Starts `mq gateway` on a fixed or free port; `extra` are more `--key=value` flags. */
export function startGatewayAt(namesrvAddr: string, port: number, extra: string[] = []): Promise<MqProcess> {
  return spawnMq(['gateway', `--namesrvAddr=${namesrvAddr}`, `--listenPort=${port}`, '--listenHost=127.0.0.1', '--httpPort=0', '--pollNameServerInterval=500', ...extra], {
    readyTimeoutMs: 30000,
  });
}

/** Resolves once 127.0.0.1:port answers PING. */
export async function waitPing(port: number, timeoutMs = 10000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await redisCommand(port, ['PING']).catch(() => '')) === '+PONG') return;
    await sleep(50);
  }
  throw new Error(`redis on ${port} did not answer PING`);
}

/** Sends one command in RESP and returns the first reply line (enough for PING, FLUSHALL, INFO-less checks). */
export function redisCommand(port: number, args: string[], timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('redis command timed out'));
    }, timeoutMs);
    s.on('connect', () => s.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf.slice(0, buf.indexOf('\r\n')));
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** A redis-server (AOF on, restartable with its data), or a Sentinel when `sentinelOf` is given. */
export class RedisNode {
  child: ChildProcess | undefined;
  readonly dir: string;
  private readonly cleanupDir: () => void;

  constructor(
    readonly port: number,
    private readonly args: string[] = [],
    private readonly sentinelConf?: string,
  ) {
    const t = tempDir('mq-redis-aof-');
    this.dir = t.dir;
    this.cleanupDir = t.cleanup;
  }

  static async create(args: string[] = []): Promise<RedisNode> {
    return new RedisNode(await freePort(), args);
  }

  /** A Sentinel watching `master` (quorum 1, fast failover). */
  static async sentinel(masterPort: number, name = 'mymaster'): Promise<RedisNode> {
    const port = await freePort();
    const conf = [
      `port ${port}`,
      'bind 127.0.0.1',
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      `sentinel parallel-syncs ${name} 1`,
    ].join('\n');
    return new RedisNode(port, [], conf);
  }

  async start(): Promise<void> {
    if (this.child) return;
    let c: ChildProcess;
    if (this.sentinelConf !== undefined) {
      const file = path.join(this.dir, 'sentinel.conf');
      if (!fs.existsSync(file)) fs.writeFileSync(file, this.sentinelConf + '\n');
      c = spawn('redis-sentinel', [file, '--dir', this.dir, '--logfile', path.join(this.dir, 'sentinel.log')], { stdio: 'ignore' });
    } else {
      c = spawn(
        'redis-server',
        ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir, '--loglevel', 'warning', ...this.args],
        { stdio: 'ignore' },
      );
    }
    this.child = c;
    await waitPing(this.port);
  }

  async kill9(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill9();
    this.cleanupDir();
  }
}

/** True when redis-sentinel is installed. */
export function sentinelAvailable(): boolean {
  return spawnSync('redis-sentinel', ['--version'], { stdio: 'ignore' }).status === 0;
}
