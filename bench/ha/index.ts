/**
 * bench/ha: master/slave replication between two real MessageStores over 127.0.0.1, in one process.
 *
 * Prints, for 2 KiB and 1 MiB bodies:
 *   - replication throughput (MB/s from the first put until the slave holds the last byte), next to the master's own
 *     put throughput without a slave, and as a share of the physical limit measured in the same run (the slower of
 *     raw loopback TCP and sequential file writes, since the slave writes everything it receives);
 *   - replication lag (put acknowledged -> slave appended) p50/p99/max at a steady send rate;
 *   - send throughput of SYNC_MASTER against ASYNC_MASTER (same concurrency), and their ratio.
 * Every section runs twice: with the slave in a child process (as in production; bench/ha/slave-process.ts), and in
 * this process (sharing one event loop, a lower bound). Lag across processes compares epoch clocks of one host.
 * Environment: BENCH_HA_MB (data per throughput run, default 256), BENCH_HA_SECONDS (steady-rate run, default 3),
 * BENCH_HA_MODES=in-process (skip the two-process runs).
 */
import crypto from 'crypto';
import fs from 'fs';
import net from 'net';
import { fork } from 'child_process';
import os from 'os';
import path from 'path';
import pino from 'pino';
import { HAClient, HAService } from '../../src/broker/ha';
import { MessageStore } from '../../src/store';
import type { MessageInner } from '../../src/store';
import { msg as storeMsg } from '../../test/store/store-fixtures';
import { handleBenchArgs } from '../usage';

const logger = pino({ level: 'warn' });
const MB = 1024 * 1024;
const TOTAL_MB = Number(process.env.BENCH_HA_MB ?? 256);
const STEADY_SECONDS = Number(process.env.BENCH_HA_SECONDS ?? 3);
const FILE_SIZE = 128 * MB;
const dirs: string[] = [];

function msg(topic: string, body: Buffer): MessageInner {
  return storeMsg(topic, 0, body, { TAGS: 't' });
}

async function openStore(role: string): Promise<MessageStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-ha-'));
  dirs.push(dir);
  const store = new MessageStore(
    { storePathRootDir: dir, brokerRole: role, mappedFileSizeCommitLog: FILE_SIZE, messageIndexEnable: false },
    { logger },
  );
  await store.load();
  await store.start();
  return store;
}

/** Epoch milliseconds with sub-ms precision, comparable across processes on one host. */
const now = (): number => performance.timeOrigin + performance.now();

/** Where the slave runs: in this process (shares the event loop) or in a child process (its own CPU). */
type Mode = 'in-process' | 'two processes';

/** A master + slave pair; `appended` holds (end offset, epoch ms) of every slave append, for lag measurement. */
interface Pair {
  master: MessageStore;
  svc: HAService;
  appended: Array<[number, number]>;
  /** The slave's commit-log end as last reported. */
  slaveMax(): number;
  close(): Promise<void>;
}

async function pair(role: 'ASYNC_MASTER' | 'SYNC_MASTER', mode: Mode): Promise<Pair> {
  const master = await openStore(role);
  const svc = new HAService(master, { haListenPort: 0, haBindAddress: '127.0.0.1', haTransferPollInterval: 1 }, { logger });
  await svc.start();
  const appended: Array<[number, number]> = [];
  let slaveMax = 0;
  if (mode === 'in-process') {
    const slave = await openStore('SLAVE');
    const raw = slave.appendCommitLogRaw.bind(slave);
    slave.appendCommitLogRaw = async (start: number, data: Buffer): Promise<boolean> => {
      const ok = await raw(start, data);
      if (ok) appended.push([start + data.length, now()]);
      return ok;
    };
    const client = new HAClient(slave, { haConnectRetryInterval: 50 }, { logger });
    client.start();
    client.setMasterAddress(`127.0.0.1:${svc.port}`);
    const closeInProcess = async (): Promise<void> => {
      await client.shutdown();
      await slave.shutdown();
    };
    return finish(master, svc, appended, () => slave.getMaxPhyOffset(), closeInProcess);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-ha-'));
  dirs.push(dir);
  const child = fork(path.join(__dirname, 'slave-process.js'), [`127.0.0.1:${svc.port}`, dir, String(FILE_SIZE)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.on('message', (m: { end?: number; at?: number }) => {
    if (m.end !== undefined && m.at !== undefined) {
      appended.push([m.end, m.at]);
      slaveMax = Math.max(slaveMax, m.end);
    }
  });
  const closeChild = async (): Promise<void> => {
    child.send('stop');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return finish(master, svc, appended, () => slaveMax, closeChild);
}

async function finish(
  master: MessageStore,
  svc: HAService,
  appended: Array<[number, number]>,
  slaveMax: () => number,
  closeSlave: () => Promise<void>,
): Promise<Pair> {
  const deadline = Date.now() + 10000;
  while (svc.slaves()[0]?.ackedOffset !== master.getMaxPhyOffset()) {
    if (Date.now() > deadline) throw new Error('slave did not connect');
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    master,
    svc,
    appended,
    slaveMax,
    close: async () => {
      await closeSlave();
      await svc.shutdown();
      await master.shutdown();
    },
  };
}

/** Puts `count` messages with `concurrency` in flight; returns elapsed ms and the statuses seen. */
async function putMany(store: MessageStore, body: Buffer, count: number, concurrency: number) {
  const topic = `BenchHA_${crypto.randomBytes(4).toString('hex')}`;
  const statuses = new Map<string, number>();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const r = await store.putMessage(msg(topic, body));
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    }),
  );
  return { ms: performance.now() - t0, statuses };
}

/** Raw loopback TCP: pushes `bytes` through one connection in 1 MiB writes (the physical limit of the HA link). */
async function loopbackMBs(bytes: number): Promise<number> {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = net.createServer((s) =>
    s.on('data', (c) => {
      received += c.length;
      if (received >= bytes) done();
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const chunk = crypto.randomBytes(MB);
  const t0 = performance.now();
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
  }
  await finished;
  const mbs = bytes / MB / ((performance.now() - t0) / 1000);
  sock.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return mbs;
}

/** Sequential file writes in 1 MiB chunks to the temp directory (no fsync): what a slave's store writes through. */
function diskWriteMBs(bytes: number): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-ha-disk-'));
  dirs.push(dir);
  const fd = fs.openSync(path.join(dir, 'w'), 'w');
  const chunk = crypto.randomBytes(MB);
  const t0 = performance.now();
  for (let done = 0; done < bytes; done += chunk.length) fs.writeSync(fd, chunk);
  const mbs = bytes / MB / ((performance.now() - t0) / 1000);
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
  return mbs;
}

/** The physical limit of replication in this run: the slower of the loopback link and the disk writes. */
let limitMBs = 0;

async function replicationThroughput(bodySize: number, mode: Mode): Promise<void> {
  const count = Math.max(8, Math.floor((TOTAL_MB * MB) / bodySize));
  const body = crypto.randomBytes(bodySize);
  const alone = await openStore('ASYNC_MASTER');
  const solo = await putMany(alone, body, count, 64);
  await alone.shutdown();
  const p = await pair('ASYNC_MASTER', mode);
  const start = p.master.getMaxPhyOffset();
  const t0 = performance.now();
  const put = await putMany(p.master, body, count, 64);
  const end = p.master.getMaxPhyOffset();
  while (p.slaveMax() < end) await new Promise((r) => setImmediate(r));
  const ms = performance.now() - t0;
  const mb = (end - start) / MB;
  console.log(
    `  ${label(bodySize)} bodies x ${count}: replicated ${mb.toFixed(0)} MB in ${ms.toFixed(0)} ms = ` +
      `${(mb / (ms / 1000)).toFixed(1)} MB/s (master put alone ${(mb / (solo.ms / 1000)).toFixed(1)} MB/s, ` +
      `with slave attached ${(mb / (put.ms / 1000)).toFixed(1)} MB/s); ` +
      `${((100 * mb) / (ms / 1000) / limitMBs).toFixed(0)}% of the physical limit`,
  );
  await p.close();
}

async function steadyLag(bodySize: number, ratePerSec: number, mode: Mode): Promise<void> {
  const p = await pair('ASYNC_MASTER', mode);
  const body = crypto.randomBytes(bodySize);
  const topic = `BenchHALag_${crypto.randomBytes(4).toString('hex')}`;
  const sent: Array<[number, number]> = [];
  // One warm-up second (not measured): a fresh slave process would otherwise show its JIT warm-up in the p99.
  const warm = Math.ceil(ratePerSec);
  const total = Math.floor(ratePerSec * STEADY_SECONDS) + warm;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    // Steady rate: message i is due at t0 + i/rate.
    const due = t0 + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const r = await p.master.putMessage(msg(topic, body));
    if (r.appendResult && i >= warm) sent.push([r.appendResult.physicalOffset + r.appendResult.wroteBytes, now()]);
  }
  const end = p.master.getMaxPhyOffset();
  while (p.slaveMax() < end) await new Promise((r) => setTimeout(r, 1));
  // Match each message end with the first slave append reaching it.
  const lags: number[] = [];
  let j = 0;
  for (const [offset, at] of sent) {
    while (j < p.appended.length && p.appended[j][0] < offset) j++;
    if (j < p.appended.length) lags.push(Math.max(0, p.appended[j][1] - at));
  }
  lags.sort((a, b) => a - b);
  const q = (x: number): string => lags[Math.min(lags.length - 1, Math.floor(x * lags.length))].toFixed(2);
  const mbs = (ratePerSec * bodySize) / MB;
  console.log(
    `  ${label(bodySize)} bodies at ${ratePerSec}/s (${mbs.toFixed(1)} MB/s) for ${STEADY_SECONDS} s: ` +
      `lag p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1 - 1e-9)} ms over ${lags.length} messages`,
  );
  await p.close();
}

async function syncVsAsync(bodySize: number, count: number, concurrency: number, mode: Mode): Promise<void> {
  const body = crypto.randomBytes(bodySize);
  const rates: Record<string, number> = {};
  for (const role of ['ASYNC_MASTER', 'SYNC_MASTER'] as const) {
    const p = await pair(role, mode);
    const r = await putMany(p.master, body, count, concurrency);
    rates[role] = count / (r.ms / 1000);
    const st = [...r.statuses].map(([k, v]) => `${k}=${v}`).join(' ');
    console.log(`  ${role.padEnd(12)} ${label(bodySize)} x ${count}, ${concurrency} in flight: ${rates[role].toFixed(0)} msg/s (${st})`);
    await p.close();
  }
  console.log(`  SYNC_MASTER / ASYNC_MASTER send throughput: ${(rates.SYNC_MASTER / rates.ASYNC_MASTER).toFixed(2)}`);
}

function label(size: number): string {
  return size >= MB ? `${size / MB} MiB` : `${size / 1024} KiB`;
}

async function main(): Promise<void> {
  handleBenchArgs(`usage: node dist/bench/ha [--help]        (or: npm run bench -- ha)

Master/slave replication between two real MessageStores over 127.0.0.1: replication MB/s against the master alone
and the physical limit of the same run, replication lag p50/p99/max at a steady rate, SYNC_MASTER against
ASYNC_MASTER send throughput; with the slave in a child process and in this process.

environment:
  BENCH_HA_MB        data per throughput run in MB (default 256)
  BENCH_HA_SECONDS   steady-rate run (default 3)
  BENCH_HA_MODES     in-process: skip the two-process runs`);
  const modes: Mode[] = process.env.BENCH_HA_MODES === 'in-process' ? ['in-process'] : ['two processes', 'in-process'];
  console.log(`bench/ha: ${os.cpus().length} CPUs, node ${process.version}; slave ${modes.join(', then ')}`);
  const tcp = await loopbackMBs(TOTAL_MB * MB);
  const disk = diskWriteMBs(TOTAL_MB * MB);
  limitMBs = Math.min(tcp, disk);
  console.log(`physical limits: loopback TCP ${tcp.toFixed(0)} MB/s, sequential file writes ${disk.toFixed(0)} MB/s`);
  for (const mode of modes) {
    console.log(`\n[slave ${mode}]`);
    console.log('replication throughput:');
    await replicationThroughput(2 * 1024, mode);
    await replicationThroughput(MB, mode);
    console.log('replication lag at a steady send rate (put acknowledged -> slave appended):');
    await steadyLag(2 * 1024, 2000, mode);
    await steadyLag(MB, 20, mode);
    console.log('send throughput, SYNC_MASTER vs ASYNC_MASTER:');
    await syncVsAsync(2 * 1024, 20000, 32, mode);
    await syncVsAsync(MB, 200, 8, mode);
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
