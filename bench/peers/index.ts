/**
 * bench/peers: our system against what a user would choose instead, in one run on this machine (DESIGN.md,
 * "Performance stance"): Redis LIST and Redis Streams (AOF everysec), RabbitMQ (durable queue, persistent messages,
 * publisher confirms), NATS JetStream (file storage) and ours through the Thrift gateway and direct to the broker.
 * Every server is started here as child processes on 127.0.0.1 with free ports and temp data dirs, and stopped by pid
 * at the end. A peer that cannot start is reported as "skipped: <why>" and the rest goes on.
 *
 * Per size (500 B, 2 KiB, 100 KiB, 1 MiB, 5 MiB by default), for each system on a fresh destination:
 *   - produce: publish with a window of unacknowledged messages (config.ts: min(64, 16 MiB / size); batched where the
 *     system batches) for BENCH_PEERS_SECONDS (bounded in count too);
 *   - consume: drain what was produced with acks, each consume mode on its own (gateway: auto-ack, receipts);
 *   - msg/s, MB/s, and CPU µs per message of each server process (its whole process tree; ours: gateway / broker /
 *     name server) and of this client.
 * Then 2 KiB at 1,000 msg/s for latency (publish → consumer receive, and the publish call alone), after a warm-up,
 * and the goals as ratios with PASS/FAIL (goals.ts). `--help` lists the options.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import { sleep } from '../../src/common';
import { stopAll as stopMqProcesses } from '../../test/helpers/proc';
import { CONSUMERS, USAGE, parseArgs, publishShape, windowFor } from './config';
import type { BenchConfig } from './config';
import { cpuMeter } from './cpu';
import type { PhaseCpu } from './cpu';
import { evaluateGoals, goalTable, LATENCY_SIZE, sizeLabel, tally } from './goals';
import type { GatewayLatency, SystemKey, Throughput } from './goals';
import { pct, rate } from './measure';
import { startNats } from './nats';
import { startOurs } from './ours';
import { startRabbitMq } from './rabbitmq';
import { startRedisList, startRedisStreams } from './redis';
import type { PeerSystem } from './types';

const KiB = 1024;
/** Most bytes one produce phase writes (bounds disk and, for Redis, memory), besides the time budget. */
const PHASE_MAX_BYTES = 1024 * 1024 * 1024;
const PHASE_MAX_MSGS = 500_000;
/** Latency phase: messages at 1 per ms, measured, after an unrecorded warm-up at the same pace. */
const LATENCY_MSGS = 3000;
const LATENCY_WARMUP = 1500;

/** Full statement of each durability class (the tables show the short form). */
const DURABILITY_NOTES = [
  'Redis LIST: AOF with appendfsync everysec (the reply comes after write(2) to the AOF; fsync once a second, up to ~1 s',
  '  lost on power failure). RPUSH of a batch in one command; consumers LPOP with COUNT; the pop is the only',
  '  acknowledgement (a message is removed when handed out, no redelivery): the queue most users build on Redis.',
  'Redis Streams: same AOF class; XADD (a batch is one pipeline); XREADGROUP + XACK of each batch read.',
  'RabbitMQ: durable classic queue, persistent messages, publisher confirms: a persistent message is confirmed once',
  '  fsynced (in groups); consumers ack each message, prefetch = the consume batch.',
  'NATS JetStream: file storage, one replica; the PubAck comes once the message is written to the stream file (page',
  '  cache); the server fsyncs on a timer (sync_interval, default 2 min). Pull consumers, explicit acks.',
  'Ours: ASYNC_FLUSH (the default): the send result comes once the record is in the commit log (page cache); a flush',
  '  service fsyncs every 500 ms. One master, no slave. Gateway: one Thrift connection per concurrent call (the way',
  '  the Python/PHP/Go stubs are used); get auto-ack commits the offset on return; receipts are acked on the next get.',
  '  Direct: our RocketMQ client, pull with the offset committed on the next pull.',
];

/** One measured phase, as printed and written to JSON. */
interface PhaseRow {
  system: string;
  key: SystemKey;
  durability: string;
  size: number;
  phase: 'produce' | 'consume';
  mode?: string;
  msgs: number;
  secs: number;
  msgPerSec: number;
  mbPerSec: number;
  cpu?: PhaseCpu;
  note?: string;
}

interface LatencyRow {
  system: string;
  key: SystemKey;
  received: number;
  sent: number;
  sendRate: number;
  e2eP50: number;
  e2eP99: number;
  publishP50: number;
  publishP99: number;
  note?: string;
}

const t0 = Date.now();
function progress(text: string): void {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${text}`);
}

/**
 * Writes dirty pages out (sync(1), bounded to 30 s) before each phase, so that one phase does not pay for the
 * write-back of the data the previous one left in the page cache (all share one disk).
 */
function settle(): void {
  spawnSync('sync', [], { stdio: 'ignore', timeout: 30000 });
}

let seq = 0;
function label(tag: string): string {
  return `${tag}${seq++}`;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  return Math.round(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(x >= 100 ? 0 : digits);
}

function loadavg(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** "gateway 13.2 / broker 20.1 / namesrv 0.0" or "server 5.1". */
function serverCpu(c: PhaseCpu | undefined): string {
  if (!c) return '-';
  return Object.entries(c.servers)
    .map(([role, us]) => `${role} ${fmt(us)}`)
    .join(' / ');
}

/**
 * One unrecorded round of publishing and a drain per system before any phase: JIT, connections, first files and the
 * processes' caches, so that the system that happens to be measured first does not pay for a cold start.
 */
async function warmUp(systems: PeerSystem[]): Promise<void> {
  const body = Buffer.alloc(2 * KiB, 1);
  for (const s of systems) {
    try {
      const dest = await s.createDest(label('warm'));
      try {
        const r = await rate(8, 1000, 20_000, async (lane) => {
          await dest.publish(lane, Array.from({ length: 8 }, () => body));
          return 8;
        });
        for (const mode of s.consumeModes) await dest.drain(mode, r.msgs, CONSUMERS, 64, Date.now() + 5000);
      } finally {
        await dest.remove().catch(() => undefined);
      }
    } catch (err) {
      progress(`warm-up of ${s.name} failed: ${errText(err)}`);
    }
  }
}

/** Produce then drain (each consume mode) one size on one system; returns the rows. */
async function sizeOnSystem(cfg: BenchConfig, s: PeerSystem, size: number): Promise<PhaseRow[]> {
  const rows: PhaseRow[] = [];
  const base = { system: s.name, key: s.key, durability: s.durability, size };
  const failed = (phase: 'produce' | 'consume', mode: string | undefined, why: string): PhaseRow => ({ ...base, phase, mode, msgs: 0, secs: 0, msgPerSec: NaN, mbPerSec: NaN, note: `failed: ${why}` });
  let dest;
  try {
    dest = await s.createDest(label('s'));
  } catch (err) {
    rows.push(failed('produce', undefined, errText(err)));
    return rows;
  }
  try {
    const { lanes, batch } = publishShape(size, s.batches);
    const body = Buffer.alloc(size, 7);
    const bodies = Array.from({ length: batch }, () => body);
    const maxMsgs = Math.max(lanes * batch, Math.min(PHASE_MAX_MSGS, Math.floor(PHASE_MAX_BYTES / size)));
    settle();
    // Not timed: the destination's first file, the connections of every lane.
    await Promise.all(Array.from({ length: lanes }, (_, lane) => dest.publish(lane, [body])));
    const warm = lanes;
    const meter = cpuMeter(s.pids());
    const r = await rate(lanes, cfg.seconds * 1000, maxMsgs, async (lane) => {
      await dest.publish(lane, bodies);
      return batch;
    });
    const cpu = meter.end(r.msgs);
    const secs = r.msgs / r.perSec;
    rows.push({ ...base, phase: 'produce', msgs: r.msgs, secs, msgPerSec: r.error ? NaN : r.perSec, mbPerSec: r.error ? NaN : (r.perSec * size) / 1e6, cpu, note: r.error ? `failed: ${r.error}` : undefined });
    progress(`${sizeLabel(size)} ${s.name} produce: ${fmt(r.perSec)} msg/s (${r.msgs} in ${secs.toFixed(1)} s)${r.error ? ` failed: ${r.error}` : ''}`);
    const total = r.msgs + warm;
    const per = windowFor(size);
    for (const mode of s.consumeModes) {
      try {
        settle();
        const m = cpuMeter(s.pids());
        const started = Date.now();
        // Bounded: a drain slower than a quarter of the produce rate stops here and reports what it acked.
        const n = await dest.drain(mode, total, CONSUMERS, per, started + Math.max(10_000, cfg.seconds * 4000));
        const dsecs = (Date.now() - started) / 1000;
        const c = m.end(n);
        rows.push({ ...base, phase: 'consume', mode, msgs: n, secs: dsecs, msgPerSec: n / dsecs, mbPerSec: (n * size) / dsecs / 1e6, cpu: c, note: n < total ? `${n} of ${total} acked in time` : undefined });
        progress(`${sizeLabel(size)} ${s.name} consume ${mode}: ${fmt(n / dsecs)} msg/s (${n}/${total} in ${dsecs.toFixed(1)} s)`);
      } catch (err) {
        rows.push(failed('consume', mode, errText(err)));
        progress(`${sizeLabel(size)} ${s.name} consume ${mode} failed: ${errText(err)}`);
      }
    }
  } catch (err) {
    rows.push(failed('produce', undefined, errText(err)));
    progress(`${sizeLabel(size)} ${s.name} failed: ${errText(err)}`);
  } finally {
    await dest.remove().catch(() => undefined);
  }
  return rows;
}

function printSizeTable(size: number, rows: PhaseRow[]): void {
  const w = windowFor(size);
  const b = publishShape(size, true);
  console.log(`\n## ${sizeLabel(size)}: produce window ${w} unacked (batching systems: ${b.lanes} calls × ${b.batch}; others: ${w} single publishes); consume ${CONSUMERS} consumers × ${w} per call`);
  console.log(`${'system'.padEnd(28)} ${'durability'.padEnd(38)} ${'phase'.padEnd(17)} ${'msg/s'.padStart(9)} ${'MB/s'.padStart(7)}  ${'client µs/msg'.padStart(13)}  server CPU µs/msg`);
  for (const r of rows) {
    const phase = r.phase === 'produce' ? 'produce' : `consume ${r.mode}`;
    const line = `${r.system.padEnd(28)} ${r.durability.padEnd(38)} ${phase.padEnd(17)} ${fmt(r.msgPerSec).padStart(9)} ${fmt(r.mbPerSec).padStart(7)}  ${fmt(r.cpu?.client).padStart(13)}  ${serverCpu(r.cpu)}`;
    console.log(r.note ? `${line}  (${r.note})` : line);
  }
}

/** 2 KiB at 1,000 msg/s: publish → receive, and the publish call alone, per system. */
async function latencyOn(s: PeerSystem): Promise<LatencyRow> {
  const row: LatencyRow = { system: s.name, key: s.key, received: 0, sent: 0, sendRate: NaN, e2eP50: NaN, e2eP99: NaN, publishP50: NaN, publishP99: NaN };
  const dest = await s.createDest(label('lat'));
  settle();
  try {
    const lat: number[] = [];
    const pub: number[] = [];
    let seen = 0;
    // Body: send time (hrtime ns, 8 bytes), then 1 for a measured message or 0 for a warm-up one.
    const stop = await dest.subscribe((b) => {
      seen++;
      if (b[8] === 1) lat.push(Number(process.hrtime.bigint() - b.readBigUInt64BE(0)) / 1e6);
    });
    // Let the consumer settle into its wait (long poll / blocking read / push subscription).
    await sleep(300);
    let failed: string | undefined;
    /** Sends `n` messages at one per ms; resolves with the seconds it took. */
    const paced = async (n: number, measured: boolean): Promise<number> => {
      const started = Date.now();
      const sends: Promise<void>[] = [];
      for (let i = 0; i < n && failed === undefined; i++) {
        // Sleep until the next message is due (timers fire in ~1 ms steps, so a few go out together).
        const due = started + i;
        if (due > Date.now()) await sleep(due - Date.now());
        const body = Buffer.alloc(LATENCY_SIZE, 5);
        body[8] = measured ? 1 : 0;
        const at = process.hrtime.bigint();
        body.writeBigUInt64BE(at, 0);
        sends.push(
          dest.publish(i, [body]).then(
            () => void (measured && pub.push(Number(process.hrtime.bigint() - at) / 1e6)),
            (e: unknown) => void (failed = errText(e)),
          ),
        );
      }
      await Promise.all(sends);
      return (Date.now() - started) / 1000;
    };
    // Warm-up on the same destination, not recorded: a new topic / group / queue and cold code paths make the first
    // second of every system slower.
    await paced(LATENCY_WARMUP, false);
    for (let i = 0; i < 30 && seen < LATENCY_WARMUP; i++) await sleep(100);
    const sendSecs = await paced(LATENCY_MSGS, true);
    for (let i = 0; i < 50 && lat.length < LATENCY_MSGS; i++) await sleep(100);
    await stop();
    lat.sort((a, b) => a - b);
    pub.sort((a, b) => a - b);
    Object.assign(row, { received: lat.length, sent: LATENCY_MSGS, sendRate: LATENCY_MSGS / sendSecs, e2eP50: pct(lat, 50), e2eP99: pct(lat, 99), publishP50: pct(pub, 50), publishP99: pct(pub, 99) });
    if (failed) row.note = `publish failed: ${failed}`;
  } finally {
    await dest.remove().catch(() => undefined);
  }
  return row;
}

function printLatency(rows: LatencyRow[]): void {
  console.log('\n## latency: 2 KiB at 1,000 msg/s, after a warm-up (ms; publish = the publish/send call alone, until acknowledged)');
  console.log(`${'system'.padEnd(28)} ${'e2e p50'.padStart(8)} ${'e2e p99'.padStart(8)} ${'pub p50'.padStart(8)} ${'pub p99'.padStart(8)} ${'received'.padStart(10)} ${'sent/s'.padStart(7)}`);
  for (const r of rows) {
    const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');
    const line = `${r.system.padEnd(28)} ${f(r.e2eP50).padStart(8)} ${f(r.e2eP99).padStart(8)} ${f(r.publishP50).padStart(8)} ${f(r.publishP99).padStart(8)} ${`${r.received}/${r.sent}`.padStart(10)} ${fmt(r.sendRate, 0).padStart(7)}`;
    console.log(r.note ? `${line}  (${r.note})` : line);
  }
}

/** msg/s of every system and phase across the sizes, then the ours ÷ peer ratios a reader looks for first. */
function printSummary(rows: PhaseRow[], sizes: number[]): void {
  console.log('\n## summary: msg/s per size');
  const keys = [...new Set(rows.map((r) => `${r.system}|${r.phase}|${r.mode ?? ''}`))];
  console.log(`| system | phase | ${sizes.map(sizeLabel).join(' | ')} |`);
  console.log(`|---|---|${sizes.map(() => '---').join('|')}|`);
  for (const k of keys) {
    const [system, phase, mode] = k.split('|');
    const cells = sizes.map((size) => {
      const r = rows.find((x) => x.system === system && x.phase === phase && (x.mode ?? '') === mode && x.size === size);
      return r ? fmt(r.msgPerSec, 0) : '';
    });
    console.log(`| ${system} | ${mode ? `${phase} ${mode}` : phase} | ${cells.join(' | ')} |`);
  }
  console.log('\n## summary: CPU µs per message (client / servers)');
  console.log(`| system | phase | ${sizes.map(sizeLabel).join(' | ')} |`);
  console.log(`|---|---|${sizes.map(() => '---').join('|')}|`);
  for (const k of keys) {
    const [system, phase, mode] = k.split('|');
    const cells = sizes.map((size) => {
      const r = rows.find((x) => x.system === system && x.phase === phase && (x.mode ?? '') === mode && x.size === size);
      if (!r?.cpu) return '';
      const servers = Object.values(r.cpu.servers).map((v) => fmt(v));
      return `${fmt(r.cpu.client)} / ${servers.join('+')}`;
    });
    console.log(`| ${system} | ${mode ? `${phase} ${mode}` : phase} | ${cells.join(' | ')} |`);
  }
}

async function main(): Promise<number> {
  let cfg: BenchConfig;
  try {
    cfg = parseArgs(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`bench/peers: ${errText(err)}`);
    return 2;
  }
  if (cfg.help) {
    console.log(USAGE);
    return 0;
  }
  const loadStart = loadavg();
  const started = new Date();
  console.log(`peer bench ${started.toISOString()} on ${os.hostname()}: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load average at start ${loadStart}`);
  console.log(`sizes ${cfg.sizes.map(sizeLabel).join(', ')}; ${cfg.seconds} s per produce phase; scenarios ${cfg.scenarios.join(', ')}; Node ${process.version}`);
  console.log('every server and the client share these CPUs and one disk over loopback; servers started in this run;');
  console.log("sync(1) runs before each phase so that no phase pays for the previous one's write-back.");
  const systems: PeerSystem[] = [];
  const want = (k: SystemKey): boolean => cfg.systems.includes(k);
  try {
    const starts: Array<[string, SystemKey[], () => Promise<PeerSystem[]>]> = [
      ['Redis LIST', ['redis-list'], async () => [await startRedisList()]],
      ['Redis Streams', ['redis-streams'], async () => [await startRedisStreams()]],
      ['RabbitMQ', ['rabbitmq'], async () => [await startRabbitMq()]],
      ['NATS JetStream', ['nats'], async () => [await startNats()]],
      ['ours', ['gateway', 'direct'], () => startOurs(cfg.cpuProf)],
    ];
    for (const [name, keys, start] of starts) {
      if (!keys.some(want)) continue;
      try {
        const got = await start();
        // Ours starts both systems on one set of processes: one not asked for is not measured, only stopped at the end.
        systems.push(...got.filter((s) => want(s.key)));
        stopLater.push(...got.filter((s) => !want(s.key)));
        progress(`started ${got.map((s) => s.name).join(', ')}`);
      } catch (err) {
        progress(`skipped: ${name}: ${errText(err)}`);
      }
    }
    console.log('\nDurability classes:');
    for (const line of DURABILITY_NOTES) console.log(`  ${line}`);

    await warmUp(systems);
    progress('warm-up done');
    const rows: PhaseRow[] = [];
    if (cfg.scenarios.includes('throughput')) {
      for (const size of cfg.sizes) {
        const sized: PhaseRow[] = [];
        for (const s of systems) sized.push(...(await sizeOnSystem(cfg, s, size)));
        printSizeTable(size, sized);
        rows.push(...sized);
      }
      printSummary(rows, cfg.sizes);
    }
    const latency: LatencyRow[] = [];
    if (cfg.scenarios.includes('latency')) {
      for (const s of systems) {
        try {
          const r = await latencyOn(s);
          latency.push(r);
          progress(`latency ${s.name}: p50 ${r.e2eP50.toFixed(2)} ms, p99 ${r.e2eP99.toFixed(2)} ms (publish p50 ${r.publishP50.toFixed(2)} ms)`);
        } catch (err) {
          progress(`latency ${s.name} failed: ${errText(err)}`);
        }
      }
      printLatency(latency);
    }
    const throughput: Throughput[] = rows.map((r) => ({ system: r.key, phase: r.phase, mode: r.mode, size: r.size, msgPerSec: r.msgPerSec }));
    const gw = latency.find((r) => r.key === 'gateway');
    const gwLat: GatewayLatency | undefined = cfg.scenarios.includes('latency') ? { p50: gw?.e2eP50, p99: gw?.e2eP99 } : undefined;
    const goals = evaluateGoals(cfg.scenarios.includes('throughput') ? throughput : [], gwLat, cfg.scenarios.includes('throughput') ? cfg.sizes : []);
    const t = tally(goals);
    console.log(`\n## goals (ours through the gateway ÷ reference, measured in this run): ${t.PASS} PASS, ${t.FAIL} FAIL, ${t['n/a']} n/a`);
    for (const line of goalTable(goals, cfg.sizes)) console.log(line);
    const loadEnd = loadavg();
    console.log(`\nload average at start ${loadStart}, at end ${loadEnd}`);
    if (cfg.json) {
      const out = { started: started.toISOString(), host: os.hostname(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadStart, loadEnd, seconds: cfg.seconds, consumers: CONSUMERS, systems: systems.map((s) => ({ name: s.name, key: s.key, durability: s.durability })), throughput: rows, latency, goals };
      fs.writeFileSync(cfg.json, `${JSON.stringify(out, null, 2)}\n`);
      console.log(`figures written to ${cfg.json}`);
    }
  } finally {
    // Peers first (in reverse start order), ours last.
    for (const s of [...stopLater, ...systems].reverse()) await s.stop().catch((e: unknown) => console.error(`stop ${s.name}: ${errText(e)}`));
  }
  console.log(`peer bench done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return 0;
}

/** Systems not measured but sharing processes with one that is (stopped at the end). */
const stopLater: PeerSystem[] = [];

/** The whole run is bounded: a hung server or client ends it here (servers are killed on exit). */
const WATCHDOG_MS = 12 * 60 * 1000;
const abort = (why: string): void => {
  console.error(`peer bench: ${why}; stopping every server started here`);
  // Our mq processes are killed by pid; the peers' process groups by the exit handler of server-process.ts.
  void stopMqProcesses().finally(() => process.exit(1));
};
setTimeout(() => abort(`still running after ${WATCHDOG_MS / 60000} min`), WATCHDOG_MS).unref();
process.once('SIGINT', () => abort('interrupted'));
process.once('SIGTERM', () => abort('terminated'));

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
