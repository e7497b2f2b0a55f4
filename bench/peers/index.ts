/**
 * bench/peers: our system against what a user would choose instead, in one run on this machine (DESIGN.md,
 * "Performance stance"): RabbitMQ with publisher confirms, NATS JetStream, Redis streams, and ours through the
 * Thrift gateway and direct to the broker with our client. Every server is started here as a child process on
 * 127.0.0.1 with free ports and temp data dirs, and stopped by pid at the end. A peer that cannot start is reported
 * as "skipped: <why>" and the rest goes on.
 *
 * Scenarios, one table each (absolute figures, the durability class next to each, and ours / peer ratios):
 *   - publish throughput: 2 KiB bodies with 1 in flight, 32 in flight and batches of 32; 1 MiB and 5 MiB bodies with
 *     4 in flight;
 *   - consume throughput with acks: 4 consumers drain a pre-filled destination of 2 KiB messages;
 *   - end-to-end latency p50/p99 (publish → consumer) at a steady 1,000 msg/s with 2 KiB bodies, after an unrecorded
 *     second at the same pace on the same destination.
 * Run: `npx tsc -p . && node scripts/copy-gen.js && node dist/bench/peers [publish|consume|latency ...]` (or
 * `npm run bench -- peers` for all of them).
 * Environment: BENCH_PEERS_SECONDS (length of each throughput phase, default 2; the whole run stays near 3 minutes).
 * Debian packages: scripts/bench-peers-setup.sh installs rabbitmq-server and nats-server when missing.
 */
import { spawnSync } from 'child_process';
import os from 'os';
import { sleep } from '../../src/common';
import { stopAll as stopMqProcesses } from '../../test/helpers/proc';
import { pct, printTable, rate } from './measure';
import type { Row } from './measure';
import { startNats } from './nats';
import { startOurs } from './ours';
import { startRabbitMq } from './rabbitmq';
import { startRedis } from './redis';
import type { PeerSystem } from './types';

const SECONDS = Number(process.env.BENCH_PEERS_SECONDS ?? 2);
/** Scenarios named on the command line (publish, consume, latency); all when none is named. */
const SCENARIOS = process.argv.slice(2);
const KiB = 1024;
const MiB = 1024 * 1024;

/** Full statement of each durability class (the tables show the short form). */
const DURABILITY_NOTES = [
  'RabbitMQ: durable classic queue, persistent messages, publisher confirms: the broker confirms a persistent message once',
  '  it is persisted to disk (fsynced, in groups); consumers ack each message (prefetch 256, acks are not confirmed).',
  '  Publishes share one confirm channel (many in flight on one connection).',
  'NATS JetStream: file storage, one replica; the PubAck comes once the message is written to the stream file, i.e. in the',
  '  OS page cache; the server fsyncs on a timer (sync_interval, documented default 2 min), not per message. Pull',
  '  consumers with explicit acks (an ack is a publish the server does not confirm).',
  'Redis streams: AOF with appendfsync everysec: the reply comes after write(2) to the AOF, fsync once a second (up to ~1 s',
  '  lost on power failure); XREADGROUP + XACK per batch; all data also in RAM.',
  'Ours: ASYNC_FLUSH (the default): the send result comes once the record is in the commit log (page cache); a flush',
  '  service fsyncs every 500 ms. One master, no slave. The gateway gets one Thrift connection per in-flight call (the',
  '  way the stubs are used); the direct client multiplexes one connection. Gateway get: auto-ack commits the offset',
  '  on return; receipts+ack acks receipts on the next get. Direct: pull with the offset committed on the next pull.',
  'Ours, SYNC_FLUSH (publish tables only): a second broker set whose send result waits for the fsync that covers the',
  '  message (group commit), the class RabbitMQ\'s confirms are in.',
];

interface PublishCase {
  title: string;
  size: number;
  lanes: number;
  batch: number;
  maxMsgs: number;
}

const PUBLISH_CASES: PublishCase[] = [
  { title: 'publish 2 KiB, 1 in flight', size: 2 * KiB, lanes: 1, batch: 1, maxMsgs: 200_000 },
  { title: 'publish 2 KiB, 32 in flight', size: 2 * KiB, lanes: 32, batch: 1, maxMsgs: 400_000 },
  { title: 'publish 2 KiB, batches of 32 (1 batch in flight)', size: 2 * KiB, lanes: 1, batch: 32, maxMsgs: 400_000 },
  { title: 'publish 1 MiB, 4 in flight', size: MiB, lanes: 4, batch: 1, maxMsgs: 3000 },
  { title: 'publish 5 MiB, 4 in flight', size: 5 * MiB, lanes: 4, batch: 1, maxMsgs: 600 },
];

/** Messages pre-filled for the consume scenario, and the bound on the time spent filling and draining. */
const CONSUME_TOTAL = 20_000;
const CONSUME_CONSUMERS = 4;
/** Latency scenario: messages sent at 1 per ms. */
const LATENCY_MSGS = Math.round(SECONDS * 1500);
/** Messages sent (at the same pace) before measuring, not recorded. */
const LATENCY_WARMUP = 2000;

/**
 * Writes dirty pages out (sync(1), bounded to 30 s) before a system's phase, so that one system's phase does not pay
 * for the write-back of the data the previous one left in the page cache (all share one disk).
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

/**
 * One unrecorded second of publishing and a drain per system before any table: JIT, connections, first files and
 * the processes' caches, so that the system that happens to be measured first does not pay for a cold start.
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
        await dest.drain(r.msgs, CONSUME_CONSUMERS, Date.now() + 5000);
      } finally {
        await dest.remove().catch(() => undefined);
      }
    } catch (err) {
      console.log(`warm-up of ${s.name} failed: ${errText(err)}`);
    }
  }
}

async function publishScenario(systems: PeerSystem[], c: PublishCase): Promise<void> {
  const rows: Row[] = [];
  const body = Buffer.alloc(c.size, 7);
  const bodies = Array.from({ length: c.batch }, () => body);
  for (const s of systems.filter((x) => x.publishes)) {
    const row: Row = { name: s.name, durability: s.durability, ours: s.ours, value: NaN };
    rows.push(row);
    try {
      const dest = await s.createDest(label('pub'));
      try {
        settle();
        // Warm-up (not timed): connections, JIT, the first file of the destination.
        await Promise.all(Array.from({ length: Math.min(c.lanes, 8) }, (_, lane) => dest.publish(lane, [body])));
        const r = await rate(c.lanes, SECONDS * 1000, c.maxMsgs, async (lane) => {
          await dest.publish(lane, bodies);
          return c.batch;
        });
        if (r.error) row.note = `failed: ${r.error}`;
        else {
          row.value = r.perSec;
          row.extra = `${((r.perSec * c.size) / 1e6).toFixed(1)} MB/s`;
        }
      } finally {
        await dest.remove().catch(() => undefined);
      }
    } catch (err) {
      row.note = `failed: ${errText(err)}`;
    }
  }
  printTable(c.title, 'msg/s', rows);
}

async function consumeScenario(systems: PeerSystem[]): Promise<void> {
  const rows: Row[] = [];
  const body = Buffer.alloc(2 * KiB, 3);
  for (const s of systems) {
    const row: Row = { name: s.name, durability: s.durability, ours: s.ours, value: NaN };
    rows.push(row);
    try {
      const dest = await s.createDest(label('con'));
      try {
        // Pre-fill with batches of 32 on 8 lanes, bounded by count and 20 s (not timed).
        const fill = await rate(8, 20000, CONSUME_TOTAL, async (lane) => {
          await dest.publish(lane, Array.from({ length: 32 }, () => body));
          return 32;
        });
        if (fill.error) throw new Error(`pre-fill: ${fill.error}`);
        settle();
        const started = Date.now();
        const n = await dest.drain(fill.msgs, CONSUME_CONSUMERS, started + 30000);
        const secs = (Date.now() - started) / 1000;
        row.value = n / secs;
        row.extra = `${n}/${fill.msgs}`;
        if (n < fill.msgs) row.note = `only ${n} of ${fill.msgs} acked within 30 s`;
      } finally {
        await dest.remove().catch(() => undefined);
      }
    } catch (err) {
      row.note = `failed: ${errText(err)}`;
    }
  }
  printTable(`consume 2 KiB with acks, ${CONSUME_CONSUMERS} consumers, pre-filled (extra column: acked/filled)`, 'msg/s', rows);
}

async function latencyScenario(systems: PeerSystem[]): Promise<void> {
  const p50: Row[] = [];
  const p99: Row[] = [];
  for (const s of systems) {
    const r50: Row = { name: s.name, durability: s.durability, ours: s.ours, value: NaN };
    const r99: Row = { ...r50 };
    p50.push(r50);
    p99.push(r99);
    try {
      const dest = await s.createDest(label('lat'));
      settle();
      try {
        const lat: number[] = [];
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
            const body = Buffer.alloc(2 * KiB, 5);
            body[8] = measured ? 1 : 0;
            body.writeBigUInt64BE(process.hrtime.bigint(), 0);
            sends.push(dest.publish(i, [body]).catch((e: unknown) => void (failed = errText(e))));
          }
          await Promise.all(sends);
          return (Date.now() - started) / 1000;
        };
        // Warm-up on the same destination, not recorded: a new topic / group / queue and cold code paths make the
        // first seconds of every system slower (on our gateway the p50 of a cold first run was ~10x the warm one).
        await paced(LATENCY_WARMUP, false);
        for (let i = 0; i < 30 && seen < LATENCY_WARMUP; i++) await sleep(100);
        const sendSecs = await paced(LATENCY_MSGS, true);
        for (let i = 0; i < 50 && lat.length < LATENCY_MSGS; i++) await sleep(100);
        await stop();
        lat.sort((a, b) => a - b);
        r50.value = pct(lat, 50);
        r99.value = pct(lat, 99);
        const n = `n=${lat.length}/${LATENCY_MSGS}`;
        r50.extra = n;
        r99.extra = `${(LATENCY_MSGS / sendSecs).toFixed(0)}/s sent`;
        if (failed) r50.note = `publish failed: ${failed}`;
      } finally {
        await dest.remove().catch(() => undefined);
      }
    } catch (err) {
      r50.note = `failed: ${errText(err)}`;
    }
  }
  printTable('end-to-end latency p50 at 1,000 msg/s, 2 KiB (extra: received/sent)', 'ms', p50, true);
  printTable('end-to-end latency p99 at 1,000 msg/s, 2 KiB (extra: achieved send rate)', 'ms', p99, true);
}

async function main(): Promise<void> {
  const unknown = SCENARIOS.filter((x) => !['publish', 'consume', 'latency'].includes(x));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: publish, consume, latency`);
  const t0 = Date.now();
  const systems: PeerSystem[] = [];
  try {
    // Ours first (required: without it there is nothing to compare); then each peer, skipped when it cannot start.
    systems.push(...(await startOurs()));
    const peers: Array<[string, () => Promise<PeerSystem>]> = [
      ['RabbitMQ', startRabbitMq],
      ['NATS JetStream', startNats],
      ['Redis streams', startRedis],
    ];
    for (const [name, start] of peers) {
      try {
        systems.push(await start());
      } catch (err) {
        console.log(`skipped: ${name}: ${errText(err)}`);
      }
    }
    console.log(`peer bench: ${SECONDS}s per throughput phase; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')};`);
    console.log('every server and every client share these CPUs and one disk over loopback; servers started in this run;');
    console.log('sync(1) runs before each system\'s phase so that no phase pays for the previous one\'s write-back.');
    console.log(`started in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${systems.map((s) => s.name).join('; ')}`);
    console.log('\nDurability classes:');
    for (const line of DURABILITY_NOTES) console.log(`  ${line}`);
    console.log('\n5 MiB bodies: RabbitMQ accepts up to max_message_size (128 MiB by default); NATS up to max_payload (1 MB by default,');
    console.log('8 MB in this run, the largest without a server warning); Redis up to proto-max-bulk-len (512 MB); ours up to');
    console.log('maxMessageSize (8 MiB, gateway and broker).');

    await warmUp(systems);
    const want = (name: string): boolean => SCENARIOS.length === 0 || SCENARIOS.includes(name);
    if (want('publish')) for (const c of PUBLISH_CASES) await publishScenario(systems, c);
    const consumers = systems.filter((s) => !s.publishOnly);
    if (want('consume')) await consumeScenario(consumers);
    if (want('latency')) await latencyScenario(consumers);
  } finally {
    // Peers first (in reverse start order), ours last.
    for (const s of [...systems].reverse()) await s.stop().catch((e: unknown) => console.error(`stop ${s.name}: ${errText(e)}`));
  }
  console.log(`\npeer bench done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** The whole run is bounded: a hung server or client ends it here (servers are killed on exit). */
const WATCHDOG_MS = 10 * 60 * 1000;
const abort = (why: string): void => {
  console.error(`peer bench: ${why}; stopping every server started here`);
  // Our mq processes are killed by pid; the peers' process groups by the exit handler of server-process.ts.
  void stopMqProcesses().finally(() => process.exit(1));
};
setTimeout(() => abort(`still running after ${WATCHDOG_MS / 60000} min`), WATCHDOG_MS).unref();
process.once('SIGINT', () => abort('interrupted'));
process.once('SIGTERM', () => abort('terminated'));

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
