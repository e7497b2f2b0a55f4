/**
 * bench/vs-rocketmq: Apache RocketMQ's own benchmark tool (org.apache.rocketmq.example.benchmark.Producer and
 * Consumer from the 4.9.8 sources, unchanged) against Apache's 4.9.7 broker and against ours, in one run on this
 * machine, with the same flags: the same topic settings (8 queues, created the same way), threads, body sizes
 * (128 B, 2 KiB, 1 MiB), ASYNC_FLUSH and SYNC_FLUSH. For each case it prints send TPS, average and max RT (the tool's
 * own figures), consume TPS, the broker process's CPU (% of one core over the measured window), and ours / Apache.
 *
 * Setup (once): `bash bench/vs-rocketmq/setup.sh` (Maven: the Apache jars and the compiled benchmark tool).
 * Run: `npm run build && node dist/bench/vs-rocketmq` (or `npm run bench -- vs-rocketmq`).
 * Environment: BENCH_VS_SECONDS (producer run per case, default 25; the tool prints its first figures after 10 s),
 * BENCH_VS_THREADS (producer threads, default 8), BENCH_VS_SIZES (comma list of body sizes, default 128,2048,1048576),
 * BENCH_VS_FLUSH (comma list, default ASYNC_FLUSH,SYNC_FLUSH), MQ_INTEROP_RMQ_LIB / BENCH_VS_TOOL (directories).
 * Every process is started here on 127.0.0.1 with free ports and temp dirs and stopped by pid.
 */
import { spawn, spawnSync } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import { sleep } from '../../src/common';
import { MQClient } from '../../src/client';
import { spawnMq, stopAll, tempDir } from '../../test/helpers/proc';
import type { MqProcess } from '../../test/helpers/proc';
import { freePort } from '../../test/helpers/redis';
import { BROKER_HEAP, JVM_COMMON, NAMESRV_HEAP, apacheAvailable, apacheLib, startApacheBroker, startApacheNamesrv } from '../../test/interop/apache-rocketmq';
import { handleBenchArgs } from '../usage';

const SECONDS = Number(process.env.BENCH_VS_SECONDS ?? 25);
const THREADS = Number(process.env.BENCH_VS_THREADS ?? 8);
const SIZES = (process.env.BENCH_VS_SIZES ?? '128,2048,1048576').split(',').map(Number);
const FLUSHES = (process.env.BENCH_VS_FLUSH ?? 'ASYNC_FLUSH,SYNC_FLUSH').split(',') as ('ASYNC_FLUSH' | 'SYNC_FLUSH')[];
const TOOL = process.env.BENCH_VS_TOOL ?? path.join(__dirname, '..', '..', '..', 'bench', 'vs-rocketmq', 'target');
const CLIENT_HEAP = ['-Xms128m', '-Xmx512m'];
const QUEUES = 8;
const logger = pino({ level: 'silent' });
// The Apache servers run with the full JIT here (the tests start them with C1 only, for speed).
process.env.MQ_INTEROP_FULL_JIT = '1';

interface Figures {
  sendTps: number;
  avgRt: number;
  maxRt: number;
  sendFailed: number;
  consumeTps: number;
  cpuPct: number;
}

interface Cluster {
  namesrvAddr: string;
  brokerPid: number;
  clusterName: string;
  stop(): Promise<void>;
}

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks of 1/100 s
}

function javaTool(mainClass: string, args: string[], home: string): { child: ChildProcess; out: () => string } {
  const child = spawn(
    'java',
    [...CLIENT_HEAP, ...JVM_COMMON, `-Duser.home=${home}`, '-cp', `${TOOL}/classes:${TOOL}/lib/*`, `org.apache.rocketmq.example.benchmark.${mainClass}`, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(t);
}

async function startApache(dir: string, flush: 'ASYNC_FLUSH' | 'SYNC_FLUSH'): Promise<Cluster> {
  const ns = await startApacheNamesrv(path.join(dir, 'ns'));
  const broker = await startApacheBroker(path.join(dir, 'broker'), {
    namesrvAddr: ns.addr,
    clusterName: 'BenchCluster',
    brokerName: 'bench-a',
    flushDiskType: flush,
    extra: { mappedFileSizeCommitLog: 1024 * 1024 * 1024 },
  });
  return {
    namesrvAddr: ns.addr,
    brokerPid: broker.child.pid!,
    clusterName: 'BenchCluster',
    stop: async () => {
      await broker.stop();
      await ns.stop();
    },
  };
}

async function startOurs(dir: string, flush: 'ASYNC_FLUSH' | 'SYNC_FLUSH'): Promise<Cluster> {
  const ns: MqProcess = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1']);
  const namesrvAddr = `127.0.0.1:${ns.fields.listenPort}`;
  const broker = await spawnMq(
    [
      'broker', '--brokerClusterName=BenchCluster', '--brokerName=bench-a', `--storePathRootDir=${path.join(dir, 'broker')}`,
      `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', `--haListenPort=${await freePort()}`, '--httpPort=-1',
      `--flushDiskType=${flush}`, '--registerNameServerPeriod=1000',
    ],
    { readyTimeoutMs: 30000 },
  );
  return {
    namesrvAddr,
    brokerPid: broker.child.pid!,
    clusterName: 'BenchCluster',
    stop: async () => {
      await broker.stop();
      await ns.stop();
    },
  };
}

/** The same topic settings on both brokers: QUEUES read and write queues, created through the admin API. */
async function createTopic(c: Cluster, topic: string): Promise<void> {
  const admin = new MQClient({ namesrvAddr: c.namesrvAddr, instanceName: `bench-admin-${process.pid}-${Date.now()}` }, { logger });
  await admin.start();
  try {
    for (let i = 0; i < 150; i++) {
      const info = await admin.getClusterInfo().catch(() => null);
      if (info?.clusterAddrTable[c.clusterName]) break;
      await sleep(200);
    }
    await admin.createTopic({ topic, clusterName: c.clusterName, writeQueueNums: QUEUES, readQueueNums: QUEUES });
    for (let i = 0; i < 150; i++) {
      const r = await admin.getRoute(topic).catch(() => null);
      if (r && r.publishQueues.length === QUEUES) return;
      await sleep(200);
    }
    throw new Error(`route of ${topic} never appeared`);
  } finally {
    await admin.shutdown();
  }
}

function lastMatch(text: string, re: RegExp): RegExpExecArray | null {
  let m: RegExpExecArray | null = null;
  const g = new RegExp(re.source, 'gm');
  for (let x = g.exec(text); x; x = g.exec(text)) m = x;
  return m;
}

async function runCase(c: Cluster, size: number, home: string): Promise<Figures> {
  const topic = `BenchmarkTest_${size}`;
  await createTopic(c, topic);
  const consumer = javaTool('Consumer', ['-n', c.namesrvAddr, '-t', topic, '-g', `bench_consumer_${size}`, '-w', '16'], home);
  for (let i = 0; i < 300 && !consumer.out().includes('Consumer Started.'); i++) await sleep(100);
  await sleep(3000); // rebalance: the consumer owns its queues before the producer starts
  const producer = javaTool('Producer', ['-n', c.namesrvAddr, '-t', topic, '-w', String(THREADS), '-s', String(size)], home);
  const cpu0 = cpuSeconds(c.brokerPid);
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const cpu1 = cpuSeconds(c.brokerPid);
  const wall = (Date.now() - t0) / 1000;
  await stopChild(producer.child);
  await stopChild(consumer.child);
  const p = lastMatch(producer.out(), /Send TPS: (\d+) Max RT\(ms\): (\d+) Average RT\(ms\):\s*([\d.]+) Send Failed: (\d+)/);
  const q = lastMatch(consumer.out(), /TPS: (\d+) FAIL: (\d+)/);
  if (!p) throw new Error(`no producer figures (size ${size}):\n${producer.out().slice(-3000)}`);
  return {
    sendTps: Number(p[1]),
    maxRt: Number(p[2]),
    avgRt: Number(p[3]),
    sendFailed: Number(p[4]),
    consumeTps: q ? Number(q[1]) : NaN,
    cpuPct: ((cpu1 - cpu0) / wall) * 100,
  };
}

function javaVersion(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return (/version "([^"]+)"/.exec(r.stderr ?? '') ?? [])[1] ?? '?';
}

function fmtSize(n: number): string {
  return n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : n >= 1024 ? `${n / 1024} KiB` : `${n} B`;
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '-';
}

async function main(): Promise<void> {
  handleBenchArgs(`usage: node dist/bench/vs-rocketmq [--help]        (or: npm run bench -- vs-rocketmq)

Apache RocketMQ's own benchmark Producer and Consumer (4.9.8 sources) against Apache's 4.9.7 broker and against ours,
same flags: send TPS, average and max RT, consume TPS, broker CPU, ours / Apache, for ASYNC_FLUSH and SYNC_FLUSH.
Setup once: bash bench/vs-rocketmq/setup.sh

environment:
  BENCH_VS_SECONDS   producer run per case (default 25)
  BENCH_VS_THREADS   producer threads (default 8)
  BENCH_VS_SIZES     comma list of body sizes (default 128,2048,1048576)
  BENCH_VS_FLUSH     comma list (default ASYNC_FLUSH,SYNC_FLUSH)
  MQ_INTEROP_RMQ_LIB, BENCH_VS_TOOL   directories of the Apache jars and of the compiled tool`);
  if (!apacheAvailable() || !fs.existsSync(path.join(TOOL, 'classes', 'org', 'apache', 'rocketmq', 'example', 'benchmark', 'Producer.class'))) {
    console.log(`vs-rocketmq: skipped: Apache jars (${apacheLib()}) or the benchmark tool (${TOOL}) missing; run bash bench/vs-rocketmq/setup.sh`);
    return;
  }
  const tmp = tempDir('mq-bench-vs-');
  const results: { flush: string; size: number; apache: Figures; ours: Figures }[] = [];
  console.log(`vs-rocketmq: ${new Date().toISOString()} on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg()[0].toFixed(1)}`);
  console.log(`  tool: Apache RocketMQ 4.9.8 benchmark Producer -w ${THREADS} -s <size> and Consumer -w 16, ${SECONDS} s a case, topic of ${QUEUES} queues`);
  console.log(`  JVM: broker ${BROKER_HEAP.join(' ')}, namesrv ${NAMESRV_HEAP.join(' ')}, tools ${CLIENT_HEAP.join(' ')}; all ${JVM_COMMON.slice(0, 2).join(' ')} (+ JDK 17 add-opens), Java ${process.env.BENCH_VS_JAVA_VERSION ?? javaVersion()}`);
  try {
    for (const flush of FLUSHES) {
      const byKind: Record<string, Figures[]> = {};
      for (const kind of ['apache', 'ours'] as const) {
        const dir = path.join(tmp.dir, `${kind}-${flush}`);
        fs.mkdirSync(dir, { recursive: true });
        const c = kind === 'apache' ? await startApache(dir, flush) : await startOurs(dir, flush);
        try {
          byKind[kind] = [];
          for (const size of SIZES) {
            const f = await runCase(c, size, dir);
            byKind[kind].push(f);
            console.log(`  ${flush} ${kind.padEnd(6)} ${fmtSize(size).padStart(7)}: send ${f.sendTps} TPS avg ${f.avgRt.toFixed(3)} ms max ${f.maxRt} ms failed ${f.sendFailed}, consume ${f.consumeTps} TPS, broker CPU ${f.cpuPct.toFixed(0)} %`);
          }
        } finally {
          await c.stop();
        }
      }
      SIZES.forEach((size, i) => results.push({ flush, size, apache: byKind.apache[i], ours: byKind.ours[i] }));
    }
  } finally {
    await stopAll();
    tmp.cleanup();
  }
  console.log('\n| flush | body | broker | send TPS | avg RT ms | max RT ms | consume TPS | broker CPU % |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    for (const [name, f] of [['Apache 4.9.7', r.apache], ['ours', r.ours]] as const) {
      console.log(`| ${r.flush} | ${fmtSize(r.size)} | ${name} | ${f.sendTps} | ${f.avgRt.toFixed(3)} | ${f.maxRt} | ${f.consumeTps} | ${f.cpuPct.toFixed(0)} |`);
    }
    const a = r.apache;
    const o = r.ours;
    console.log(`| ${r.flush} | ${fmtSize(r.size)} | ours / Apache | ${ratio(o.sendTps, a.sendTps)} | ${ratio(o.avgRt, a.avgRt)} | ${ratio(o.maxRt, a.maxRt)} | ${ratio(o.consumeTps, a.consumeTps)} | ${ratio(o.cpuPct, a.cpuPct)} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
