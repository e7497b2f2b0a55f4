/**
 * bench/gateway: the Thrift gateway against going straight to the broker with our RocketMQ client (src/client), in
 * one run, on real processes (`mq namesrv`, `mq broker`, `mq gateway` with memory coordination) over 127.0.0.1.
 *
 * Prints, each next to the direct-to-broker figure and the gateway's overhead as a ratio (direct / gateway for
 * rates, gateway / direct for latency and memory):
 *   - send throughput, 2 KiB bodies, batch sizes 1 and 32; 1 MiB and 5 MiB bodies (batch 1);
 *   - get throughput (auto-ack, 2 KiB bodies, draining a pre-filled topic) against direct pulls;
 *   - end-to-end latency p50/p99 send → get (long poll) at 1,000 msg/s of 2 KiB against send → long-polling pull,
 *     with the event-loop delay (how late a due timer ran, p50/p99/max) and GC pauses of the gateway, the broker and
 *     the name server during the gateway run: the name server does nothing then, so its delay is the machine's
 *     scheduling floor, and a tail the gateway or broker has beyond it is their own;
 *   - with flushDiskType=SYNC_FLUSH (a second broker set of its own cluster): send throughput (2 KiB, batch 1) and the
 *     send-call and end-to-end latency at 1,000 msg/s, with the count of sends refused (SYSTEM_BUSY);
 *   - peak RSS (VmHWM) of the gateway process under BENCH_GW_RSS_SENDS (default 128) concurrent 5 MiB sends on their
 *     own connections (one call encoded once, written on every connection at once), against the goal maxInflightBytes + 150 MiB, with how many were refused (BUSY) and how soon
 *     the first refusal came; next to a process that makes 32 such sends with src/client;
 *   - CPU µs per message of the gateway, the broker and the bench process (the clients) for every send size.
 * Environment: BENCH_GW_SECONDS (length of each throughput phase, default 3); BENCH_GW_PHASES (comma-separated subset
 * of send,get,e2e,sync,rss; default all), to repeat one phase while working on it; BENCH_GW_RSS_SENDS;
 * BENCH_GW_MAX_INFLIGHT_MIB (the gateway's maxInflightBytes, default 256); BENCH_GW_CPU_PROF (a directory: the
 * gateway process runs with `node --cpu-prof` and writes its profile there when the bench stops it).
 */
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import thrift from 'thrift';
import { sleep } from '../../src/common';
import { MQClient } from '../../src/client';
import type { MessageQueue } from '../../src/client';
import { MessageGatewayService, T } from '../../src/gateway';
import { spawnMq, tempDir } from '../../test/helpers/proc';
import { freePort } from '../../test/helpers/redis';
import { RawConn, encodeCall } from '../../test/gateway/raw-thrift';
import type { MqProcess } from '../../test/helpers/proc';
import { handleBenchArgs } from '../usage';
import type { LoopProbeReport } from './loop-delay-probe';

const logger = pino({ level: 'warn' });
const SECONDS = Number(process.env.BENCH_GW_SECONDS ?? 3);
const PHASES = new Set((process.env.BENCH_GW_PHASES ?? 'send,get,e2e,sync,rss').split(',').map((x) => x.trim()));
const KiB = 1024;
const MiB = 1024 * 1024;
const RSS_SENDS = Number(process.env.BENCH_GW_RSS_SENDS ?? 128);
const MAX_INFLIGHT_MIB = Number(process.env.BENCH_GW_MAX_INFLIGHT_MIB ?? 256);

interface RawClient {
  send(req: T.SendRequest): Promise<T.SendResult[]>;
  get(req: T.GetRequest): Promise<T.GetResult>;
}

function thriftClient(port: number): { c: RawClient; close(): void } {
  const conn = thrift.createConnection('127.0.0.1', port, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol, max_attempts: 1 });
  conn.on('error', (e: Error) => console.error('thrift connection error', e.message));
  const c = thrift.createClient(MessageGatewayService as unknown as thrift.TClientConstructor<RawClient>, conn) as unknown as RawClient;
  return { c, close: () => conn.end() };
}

function vmHwmBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the full line (11 and 12 after the command name), in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Processes whose CPU use is reported next to each throughput phase. */
const watched: Array<{ name: string; pid: number }> = [];

/** Runs `worker(i)` on `concurrency` loops for SECONDS; returns messages per second and CPU use of watched processes. */
async function rate(
  concurrency: number,
  worker: (i: number) => Promise<number>,
): Promise<{ perSec: number; cpu: string; n: number; perMessage: string }> {
  const until = Date.now() + SECONDS * 1000;
  const started = Date.now();
  const cpu0 = watched.map((w) => cpuSeconds(w.pid));
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (Date.now() < until) {
        // Not `n += await ...`: that reads n before the await and loses the other loops' counts.
        const k = await worker(i);
        n += k;
      }
    }),
  );
  const secs = (Date.now() - started) / 1000;
  const used = watched.map((w, i) => cpuSeconds(w.pid) - cpu0[i]);
  const cpu = watched.map((w, i) => `${w.name} ${Math.round((used[i] / secs) * 100)}%`).join(', ');
  // /proc/<pid>/stat counts 10 ms ticks: a phase of a few seconds resolves CPU per message to about 10 ms / n.
  const perMessage = watched.map((w, i) => `${w.name} ${((used[i] / Math.max(1, n)) * 1e6).toFixed(1)}`).join(', ');
  return { perSec: n / secs, cpu, n, perMessage };
}

function row(what: string, gateway: number, direct: number, unit: string, lowerIsBetter = false): void {
  const ratio = lowerIsBetter ? gateway / direct : direct / gateway;
  const f = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  console.log(`${what.padEnd(44)} gateway ${f(gateway).padStart(9)} ${unit.padEnd(6)} direct ${f(direct).padStart(9)} ${unit.padEnd(6)} overhead x${ratio.toFixed(2)}`);
}

/** `node --cpu-prof` arguments when BENCH_GW_CPU_PROF names a directory (one profile per process, by pid). */
function profArgs(): string[] {
  const dir = process.env.BENCH_GW_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** Server processes load loop-delay-probe.js, reporting into probeDir (made by main(); see that file). */
let probeDir = '';
const probeArgs = ['--require', path.join(__dirname, 'loop-delay-probe.js')];
const probeEnv: Record<string, string> = {};

/** Asks each process for its event-loop delay and GC figures since the last call (SIGUSR2), and waits for them. */
async function probe(pids: number[]): Promise<Map<number, LoopProbeReport>> {
  for (const pid of pids) fs.rmSync(path.join(probeDir, `${pid}.json`), { force: true });
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const out = new Map<number, LoopProbeReport>();
  for (let i = 0; i < 100 && out.size < pids.length; i++) {
    for (const pid of pids) {
      const f = path.join(probeDir, `${pid}.json`);
      if (!out.has(pid) && fs.existsSync(f)) out.set(pid, JSON.parse(fs.readFileSync(f, 'utf8')) as LoopProbeReport);
    }
    if (out.size < pids.length) await sleep(50);
  }
  return out;
}

/** The child mode: 32 concurrent 5 MiB sends with src/client, then print this process's peak RSS. */
async function directRssChild(namesrvAddr: string, topic: string): Promise<void> {
  const client = new MQClient({ namesrvAddr, instanceName: `rss${process.pid}`, sendMsgTimeout: 30000 }, { logger });
  await client.start();
  const body = Buffer.alloc(5 * MiB, 9);
  await Promise.all(Array.from({ length: 32 }, () => client.send(topic, [{ body: Buffer.from(body) }])));
  process.stdout.write(`VMHWM ${vmHwmBytes(process.pid)}\n`);
  await client.shutdown();
}

async function main(): Promise<void> {
  if (process.argv[2] === 'direct-rss-child') return directRssChild(process.argv[3], process.argv[4]);
  handleBenchArgs(`usage: node dist/bench/gateway [--help]        (or: npm run bench -- gateway)

The Thrift gateway against going straight to the broker with src/client, on real mq processes over 127.0.0.1:
send (2 KiB batch 1 and 32, 1 MiB, 5 MiB), get (2 KiB auto-ack and receipts, 100 KiB), end-to-end and send-call
latency at 1,000 msg/s of 2 KiB (with the servers' event-loop delay and GC pauses), the same with flushDiskType=SYNC_FLUSH, peak gateway RSS under concurrent 5 MiB sends; CPU
microseconds per message of gateway, broker and client. About 2 minutes with every phase.

environment:
  BENCH_GW_SECONDS           length of each throughput phase (default 3)
  BENCH_GW_PHASES            comma-separated subset of send,get,e2e,sync,rss (default all)
  BENCH_GW_RSS_SENDS         concurrent 5 MiB sends of the RSS phase (default 128)
  BENCH_GW_MAX_INFLIGHT_MIB  the gateway's maxInflightBytes in MiB (default 256)
  BENCH_GW_CPU_PROF          a directory: the gateway runs with node --cpu-prof and writes its profile there
  BENCH_GW_NODE_ARGS         extra node flags for the servers (e.g. --cpu-prof)`);
  probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-probe-'));
  probeEnv.BENCH_LOOP_PROBE_DIR = probeDir;
  const store = tempDir('mq-bench-gw-');
  const procs: MqProcess[] = [];
  const closers: Array<() => void> = [];
  let direct: MQClient | undefined;
  try {
    const ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1'], { nodeArgs: probeArgs, env: probeEnv });
    procs.push(ns);
    const namesrvAddr = `127.0.0.1:${ns.fields.listenPort}`;
    procs.push(
      await spawnMq(['broker', '--brokerName=bench-a', `--storePathRootDir=${store.dir}`, `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', `--haListenPort=${await freePort()}`, '--httpPort=-1', `--mappedFileSizeCommitLog=${256 * MiB}`], {
        readyTimeoutMs: 30000,
        nodeArgs: [...probeArgs, ...profArgs()],
        env: probeEnv,
      }),
    );
    // SYNC_FLUSH phase: a broker set of its own cluster, so its topics live there only.
    const syncStore = PHASES.has('sync') ? tempDir('mq-bench-gw-sync-') : undefined;
    if (syncStore) {
      procs.push(
        await spawnMq(
          ['broker', '--brokerName=bench-sync', '--brokerClusterName=BenchSync', '--flushDiskType=SYNC_FLUSH', `--storePathRootDir=${syncStore.dir}`, `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', `--haListenPort=${await freePort()}`, '--httpPort=-1', `--mappedFileSizeCommitLog=${256 * MiB}`],
          { readyTimeoutMs: 30000 },
        ),
      );
      closers.push(() => syncStore.cleanup());
    }
    const gw = await spawnMq([
      'gateway',
      `--namesrvAddr=${namesrvAddr}`,
      '--listenPort=0',
      '--listenHost=127.0.0.1',
      '--httpPort=-1',
      '--logLevel=warn',
      '--sendTimeoutMs=30000',
      `--maxInflightBytes=${MAX_INFLIGHT_MIB * MiB}`,
    ], {
      nodeArgs: [...probeArgs, ...profArgs(), ...(process.env.BENCH_GW_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      env: probeEnv,
    });
    procs.push(gw);
    const port = Number(gw.fields.listenPort);
    direct = new MQClient({ namesrvAddr, instanceName: 'bench-direct', sendMsgTimeout: 30000 }, { logger });
    await direct.start();
    for (let i = 0; i < 100; i++) {
      const info = await direct.getClusterInfo().catch(() => null);
      if (info && Object.keys(info.brokerAddrTable).length >= (syncStore ? 2 : 1)) break;
      await sleep(100);
    }
    const cluster = 'DefaultCluster';
    let seq = 0;
    const topic = async (queues = 8, clusterName = cluster): Promise<string> => {
      const t = `BenchGw_${process.pid}_${seq++}`;
      await direct!.createTopic({ topic: t, clusterName, writeQueueNums: queues, readQueueNums: queues });
      for (let i = 0; i < 100; i++) {
        const r = await direct!.getRoute(t).catch(() => null);
        if (r && r.publishQueues.length === queues) return t;
        await sleep(50);
      }
      throw new Error(`no route for ${t}`);
    };
    // One connection per concurrent caller, as Python/PHP/Go pipelines use them (one call at a time).
    const conns = Array.from({ length: 32 }, () => thriftClient(port));
    closers.push(...conns.map((x) => x.close));
    const pick = (i: number): RawClient => conns[i % conns.length].c;
    watched.push({ name: 'gateway', pid: gw.child.pid as number }, { name: 'broker', pid: procs[1].child.pid as number }, { name: 'bench', pid: process.pid });
    console.log(`gateway bench: ${SECONDS}s per phase; one broker set, 8 queues; memory coordination; loopback; ${os.cpus().length} CPUs`);
    console.log('(the bench process runs the Node Thrift clients and the direct src/client; CPU use per phase is shown below each row;');
    console.log(` load average at start: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} - other work on this machine skews every figure)`);

    // --- send throughput
    const sendCases: Array<{ name: string; size: number; batch: number; concurrency: number }> = [
      { name: 'send 2 KiB, batch 1 (msg/s)', size: 2 * KiB, batch: 1, concurrency: 32 },
      { name: 'send 2 KiB, batch 32 (msg/s)', size: 2 * KiB, batch: 32, concurrency: 16 },
      { name: 'send 1 MiB, batch 1 (msg/s)', size: MiB, batch: 1, concurrency: 8 },
      { name: 'send 5 MiB, batch 1 (msg/s)', size: 5 * MiB, batch: 1, concurrency: 4 },
    ];
    {
      // Warm-up: connections, routes, JIT and the first commit-log file, on both paths.
      const t = await topic();
      const body = Buffer.alloc(2 * KiB, 7);
      await Promise.all(conns.map((x) => x.c.send(new T.SendRequest({ messages: Array.from({ length: 8 }, () => new T.Message({ topic: t, body })) }))));
      await Promise.all(Array.from({ length: 32 }, () => direct!.send(t, Array.from({ length: 8 }, () => ({ body })))));
    }
    for (const sc of PHASES.has('send') ? sendCases : []) {
      const t = await topic();
      const body = Buffer.alloc(sc.size, 7);
      const dRate = await rate(sc.concurrency, async () => {
        const r = await direct!.send(t, Array.from({ length: sc.batch }, () => ({ body })));
        if (r.some((x) => !x.ok)) throw new Error('direct send failed');
        return sc.batch;
      });
      const scpu0 = cpuSeconds(gw.child.pid as number);
      const gwRate = await rate(sc.concurrency, async (i) => {
        const r = await pick(i).send(new T.SendRequest({ messages: Array.from({ length: sc.batch }, () => new T.Message({ topic: t, body })) }));
        if (r.some((x) => x.error)) throw new Error(`send failed: ${r.find((x) => x.error)?.error?.message}`);
        return sc.batch;
      });
      row(sc.name, gwRate.perSec, dRate.perSec, 'msg/s');
      if (sc.size >= MiB) row(`  = ${sc.name.replace('(msg/s)', '(MB/s)')}`, (gwRate.perSec * sc.size) / 1e6, (dRate.perSec * sc.size) / 1e6, 'MB/s');
      const perMsg = ((cpuSeconds(gw.child.pid as number) - scpu0) / Math.max(1, gwRate.n)) * 1e6;
      console.log(`    cpu: via gateway: ${gwRate.cpu}; direct: ${dRate.cpu}; gateway CPU per message ${perMsg.toFixed(1)} µs`);
      console.log(`    CPU µs per message: via gateway: ${gwRate.perMessage} (bench = Thrift clients); direct: ${dRate.perMessage} (bench = src/client)`);
    }

    // --- get throughput: drain a pre-filled topic, auto-ack and with receipts (each call acks the previous reply's)
    if (PHASES.has('get')) {
      let total = 20000;
      let body = Buffer.alloc(2 * KiB, 3);
      const filled = async (): Promise<string> => {
        const t = await topic();
        const step = Math.max(1, Math.floor((512 * KiB) / body.length));
        for (let i = 0; i < total; i += step) await direct!.send(t, Array.from({ length: Math.min(step, total - i) }, () => ({ body })));
        return t;
      };
      let heads = 0;
      const drainGateway = async (t: string, invisibleMs: number): Promise<number> => {
        const started = Date.now();
        let got = 0;
        await Promise.all(
          Array.from({ length: 4 }, async (_, i) => {
            let ack: string[] = [];
            while (got < total && Date.now() - started < 60000) {
              const r = await pick(i).get(new T.GetRequest({ topic: t, consumerGroup: 'bench_get', maxMessages: 256, waitMs: 100, invisibleMs, ack }));
              if (r.ackResults && r.ackResults.some((s) => s !== T.AckStatus.ACKED)) throw new Error(`ack refused: ${r.ackResults.join(',')}`);
              got += r.messages.length;
              ack = invisibleMs > 0 ? r.messages.map((m) => m.receipt as string) : [];
              // Receipts of one run share a signed head (one MAC): count them to see how well runs form.
              for (const h of new Set(ack.map((x) => x.slice(0, x.lastIndexOf('.'))))) if (h) heads++;
            }
            if (ack.length > 0) await pick(i).get(new T.GetRequest({ topic: t, consumerGroup: 'bench_get', maxMessages: 0, ack }));
          }),
        );
        return got / ((Date.now() - started) / 1000);
      };
      const drainDirect = async (t: string): Promise<number> => {
        const queues: MessageQueue[] = await direct!.subscribeQueues(t);
        const started = Date.now();
        let got = 0;
        await Promise.all(
          queues.map(async (q) => {
            let offset = 0;
            for (;;) {
              const r = await direct!.pull({ consumerGroup: 'bench_direct', brokerName: q.brokerName, topic: t, queueId: q.queueId, offset, maxMsgNums: 32 });
              if (r.status !== 'FOUND') break;
              got += r.messages.length;
              offset = r.nextBeginOffset;
            }
          }),
        );
        return got / ((Date.now() - started) / 1000);
      };
      for (const mode of [
        { name: 'get 2 KiB, auto-ack, 4 consumers (msg/s)', invisibleMs: 0, size: 2 * KiB, total: 20000 },
        { name: 'get 2 KiB, receipts + ack, 4 consumers (msg/s)', invisibleMs: 30000, size: 2 * KiB, total: 20000 },
        { name: 'get 100 KiB, auto-ack, 4 consumers (msg/s)', invisibleMs: 0, size: 100 * KiB, total: 2000 },
      ]) {
        total = mode.total;
        body = Buffer.alloc(mode.size, 3);
        heads = 0;
        const t = await filled();
        const brokerPid = watched[1].pid;
        const cpu0 = cpuSeconds(gw.child.pid as number);
        const bcpu0 = cpuSeconds(brokerPid);
        const gwGet = await drainGateway(t, mode.invisibleMs);
        const gwCpu = cpuSeconds(gw.child.pid as number) - cpu0;
        const bcpu1 = cpuSeconds(brokerPid);
        const dGet = await drainDirect(t);
        const dBrokerCpu = cpuSeconds(brokerPid) - bcpu1;
        row(mode.name, gwGet, dGet, 'msg/s');
        // CPU per message is steadier than rates on a shared machine.
        const macs = mode.invisibleMs > 0 ? `; ${heads} receipt MACs for ${total} messages` : '';
        const us = (secs: number): string => ((secs / total) * 1e6).toFixed(1);
        console.log(`    CPU µs per message: gateway ${us(gwCpu)}, broker ${us(bcpu1 - bcpu0)} (direct pulls: broker ${us(dBrokerCpu)}) (load average ${os.loadavg()[0].toFixed(1)})${macs}`);
      }
    }

    const measure = async (
      sendOne: (body: Buffer) => Promise<void>,
      consume: (stop: () => boolean, onMessage: (body: Buffer) => void) => Promise<void>,
      seconds = SECONDS,
    ): Promise<{ lat: number[]; sendLat: number[]; refused: number }> => {
      const lat: number[] = [];
      // The send call's own latency (call → reply), to tell a slow send from a slow delivery.
      const sendLat: number[] = [];
      let stopped = false;
      const consumer = consume(
        () => stopped,
        (body) => lat.push(Number(process.hrtime.bigint() - body.readBigUInt64BE(0)) / 1e6),
      );
      await sleep(300);
      const n = Math.round(seconds * 1000);
      const started = Date.now();
      const sends: Promise<void>[] = [];
      let refused = 0;
      for (let i = 0; i < n; i++) {
        // Paced at 1 message per ms (sleep in 10 ms steps, sending what is due).
        const due = started + i;
        if (due > Date.now()) await sleep(due - Date.now());
        const body = Buffer.alloc(2 * KiB);
        const t0 = process.hrtime.bigint();
        body.writeBigUInt64BE(t0, 0);
        // A refused send (BUSY on a loaded machine) is counted and reported, not fatal to the run.
        sends.push(
          sendOne(body).then(
            () => void sendLat.push(Number(process.hrtime.bigint() - t0) / 1e6),
            () => void refused++,
          ),
        );
      }
      await Promise.all(sends);
      for (let i = 0; i < 50 && lat.length < n - refused; i++) await sleep(100);
      stopped = true;
      await consumer;
      return { lat: lat.sort((a, b) => a - b), sendLat: sendLat.sort((a, b) => a - b), refused };
    };
    // --- end-to-end latency at 1,000 msg/s: send → get (long poll) through the gateway, send → held pull direct
    /** The gateway path: one connection sends, two long-polling consumers get (each on its own connection). */
    const gatewayPath = (t: string): [Parameters<typeof measure>[0], Parameters<typeof measure>[1]] => [
      async (body) => {
        const r = await pick(0).send(new T.SendRequest({ messages: [new T.Message({ topic: t, body })] }));
        if (r[0]?.error) throw new Error(r[0].error.message);
      },
      async (stop, on) => {
        const cs = [thriftClient(port), thriftClient(port)];
        closers.push(...cs.map((x) => x.close));
        await Promise.all(
          cs.map(async (x) => {
            while (!stop()) {
              const r = await x.c.get(new T.GetRequest({ topic: t, consumerGroup: 'bench_lat', maxMessages: 64, waitMs: 500 }));
              for (const m of r.messages) on(m.body);
            }
          }),
        );
      },
    ];
    /** The direct path: src/client sends, one long-polling pull per queue. */
    const directPath = (t: string): [Parameters<typeof measure>[0], Parameters<typeof measure>[1]] => [
      async (body) => {
        const r = await direct!.send(t, [{ body }]);
        if (!r[0]?.ok) throw new Error('direct send failed');
      },
      async (stop, on) => {
        const queues = await direct!.subscribeQueues(t);
        await Promise.all(
          queues.map(async (q) => {
            let offset = 0;
            while (!stop()) {
              const r = await direct!.pull({ consumerGroup: 'bench_dlat', brokerName: q.brokerName, topic: t, queueId: q.queueId, offset, maxMsgNums: 64, suspendTimeoutMillis: 500 });
              for (const m of r.messages) on(m.body);
              offset = r.nextBeginOffset;
            }
          }),
        );
      },
    ];
    const latencyRows = (label: string, gwLat: Awaited<ReturnType<typeof measure>>, dLat: Awaited<ReturnType<typeof measure>>): void => {
      row(`${label}e2e latency p50 @1000 msg/s (ms, n=${gwLat.lat.length}/${dLat.lat.length})`, pct(gwLat.lat, 50), pct(dLat.lat, 50), 'ms', true);
      row(`${label}e2e latency p99 @1000 msg/s (ms)`, pct(gwLat.lat, 99), pct(dLat.lat, 99), 'ms', true);
      row(`${label}  of which send call p50 (ms)`, pct(gwLat.sendLat, 50), pct(dLat.sendLat, 50), 'ms', true);
      row(`${label}  of which send call p99 (ms)`, pct(gwLat.sendLat, 99), pct(dLat.sendLat, 99), 'ms', true);
      console.log(`    sends refused (BUSY / SYSTEM_BUSY / failed): via gateway ${gwLat.refused}, direct ${dLat.refused} of ${Math.round(SECONDS * 1000)} each`);
    };
    if (PHASES.has('e2e')) {
      // Warm-up of both paths first (JIT of the Thrift client and of the gateway's get path): the first second of a
      // cold path is slower by far than the rest and would skew whichever path runs first.
      await measure(...gatewayPath(await topic(4)), 1);
      await measure(...directPath(await topic(4)), 1);
      const lt = await topic(4);
      const servers = [gw, procs[1], ns];
      const spids = servers.map((p) => p.child.pid as number);
      const lcpu0 = spids.map(cpuSeconds);
      await probe(spids);
      const gwLat = await measure(...gatewayPath(lt));
      const loops = await probe(spids);
      const lcpu = spids.map((pid, i) => cpuSeconds(pid) - lcpu0[i]);
      const dLat = await measure(...directPath(await topic(4)));
      latencyRows('', gwLat, dLat);
      const perMsg = (i: number): string => ((lcpu[i] / Math.max(1, gwLat.lat.length)) * 1e6).toFixed(1);
      console.log(`    CPU per message via gateway (send + get): gateway ${perMsg(0)} µs, broker ${perMsg(1)} µs (load average ${os.loadavg()[0].toFixed(1)})`);
      const loopLine = ['gateway', 'broker', 'name server (idle: the machine)']
        .map((name, i) => {
          const r = loops.get(spids[i]);
          return r ? `${name} ${r.p50.toFixed(2)}/${r.p99.toFixed(2)}/${r.max.toFixed(1)}` : `${name} ?`;
        })
        .join(', ');
      console.log(`    event-loop delay during it, p50/p99/max ms: ${loopLine}`);
      const gcLine = ['gateway', 'broker']
        .map((name, i) => {
          const r = loops.get(spids[i]);
          return r ? `${name} ${r.gcCount} pauses, ${r.gcTotalMs.toFixed(0)} ms in all, longest ${r.gcMaxMs.toFixed(1)} ms` : `${name} ?`;
        })
        .join('; ');
      console.log(`    GC during it: ${gcLine}`);
      console.log('    goal: p50 <= 0.5 ms, p99 <= 5 ms through the gateway');
    }

    // --- flushDiskType=SYNC_FLUSH: send rate, and latency at 1,000 msg/s with the refusals counted
    if (syncStore) {
      // CPU of the SYNC_FLUSH broker set in the broker column during this phase.
      const syncBroker = procs.find((p) => p.fields.brokerName === 'bench-sync') ?? procs[2];
      const mainBroker = watched[1].pid;
      watched[1].pid = syncBroker.child.pid as number;
      const body = Buffer.alloc(2 * KiB, 5);
      const t = await topic(8, 'BenchSync');
      const dRate = await rate(32, async () => {
        const r = await direct!.send(t, [{ body }]);
        if (!r[0].ok) throw new Error(`direct SYNC_FLUSH send failed: ${r[0].error.message}`);
        return 1;
      });
      let gwRefused = 0;
      const gwRate = await rate(32, async (i) => {
        const r = await pick(i).send(new T.SendRequest({ messages: [new T.Message({ topic: t, body })] }));
        if (r[0]?.error) gwRefused++;
        return r[0]?.error ? 0 : 1;
      });
      row('SYNC_FLUSH send 2 KiB, batch 1 (msg/s)', gwRate.perSec, dRate.perSec, 'msg/s');
      console.log(`    CPU µs per message: via gateway: ${gwRate.perMessage}; direct: ${dRate.perMessage}; sends refused via gateway: ${gwRefused}`);
      await measure(...gatewayPath(await topic(4, 'BenchSync')), 1);
      const gwLat = await measure(...gatewayPath(await topic(4, 'BenchSync')));
      const dLat = await measure(...directPath(await topic(4, 'BenchSync')));
      latencyRows('SYNC_FLUSH ', gwLat, dLat);
      watched[1].pid = mainBroker;
      console.log('    goal: no SYSTEM_BUSY at 1,000 msg/s with SYNC_FLUSH');
    }

    // --- peak RSS under RSS_SENDS concurrent 5 MiB sends (each on its own connection)
    if (PHASES.has('rss')) {
      const t = await topic();
      const before = vmHwmBytes(gw.child.pid as number);
      const body = Buffer.alloc(5 * MiB, 1);
      // The call encoded once and written on every connection at once, so that the senders' frames arrive together
      // as from separate client processes (encoding 128 x 5 MiB with the Node Thrift library in this one process
      // spread them over seconds and measured this process's encoder more than the gateway).
      const call = encodeCall('send', new T.SendRequest({ messages: [new T.Message({ topic: t, body })] }));
      const cs = Array.from({ length: RSS_SENDS }, () => new RawConn(port));
      closers.push(...cs.map((x) => () => x.destroy()));
      await Promise.all(cs.map((x) => x.connected));
      const t0 = Date.now();
      const outcomes = await Promise.all(
        cs.map(async (x) => {
          void x.write(call);
          try {
            // A call-level GatewayError (BUSY when refused); success carries the SendResult list.
            const r = await x.reply(120000);
            return { ok: r.success && !r.error, busy: r.error?.code === T.ErrorCode.BUSY, ms: Date.now() - t0 };
          } catch {
            return { ok: false, busy: false, ms: Date.now() - t0 };
          }
        }),
      );
      const gwPeak = vmHwmBytes(gw.child.pid as number);
      const stored = outcomes.filter((o) => o.ok).length;
      const busy = outcomes.filter((o) => o.busy);
      const other = outcomes.length - stored - busy.length;
      const firstBusy = busy.length ? Math.min(...busy.map((o) => o.ms)) : NaN;
      const lastOk = Math.max(0, ...outcomes.filter((o) => o.ok).map((o) => o.ms));
      const child = spawn(process.execPath, [__filename, 'direct-rss-child', namesrvAddr, t], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((resolve) => child.once('exit', resolve));
      const directPeak = Number(/VMHWM (\d+)/.exec(out)?.[1] ?? NaN);
      const goal = MAX_INFLIGHT_MIB + 150;
      console.log(`(gateway peak RSS before this phase: ${(before / MiB).toFixed(0)} MiB)`);
      console.log(
        `peak RSS, ${RSS_SENDS} concurrent 5 MiB sends: gateway ${(gwPeak / MiB).toFixed(0)} MiB; goal <= maxInflightBytes ${MAX_INFLIGHT_MIB} MiB + 150 = ${goal} MiB: ` +
          `${gwPeak / MiB <= goal ? 'met' : 'NOT met'}; src/client process, 32 sends: ${(directPeak / MiB).toFixed(0)} MiB`,
      );
      console.log(
        `    ${stored} stored, ${busy.length} refused BUSY (first refusal after ${firstBusy} ms; last stored after ${lastOk} ms), ${other} other errors`,
      );
    }
  } finally {
    for (const c of closers) c();
    await direct?.shutdown();
    for (const p of procs.reverse()) await p.stop();
    store.cleanup();
    fs.rmSync(probeDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
