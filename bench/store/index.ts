/**
 * Store benchmark: append throughput of MessageStore for several body sizes with ASYNC_FLUSH and SYNC_FLUSH, next to
 * plain sequential `write` of the same number of bytes to a file on the same disk, and read (getMessage) throughput.
 * Both the store run and the plain run are timed until their bytes are fsynced (the store's final flush, the plain
 * writer's fdatasync), so the ratio compares like with like.
 * Run with `node dist/bench/store`. Prints figures and ratios; it asserts nothing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MessageStore } from '../../src/store';
import type { MessageInner } from '../../src/store';
import { msg } from '../../test/store/store-fixtures';
import { handleBenchArgs } from '../usage';

interface Case {
  label: string;
  body: number;
  /** Puts kept in flight. */
  inflight: number;
  /** Time budget per measurement, ms. */
  budgetMs: number;
}

const CASES: Case[] = [
  { label: '500 B', body: 500, inflight: 4096, budgetMs: 2000 },
  { label: '2 KiB', body: 2048, inflight: 2048, budgetMs: 2000 },
  { label: '100 KiB', body: 100 * 1024, inflight: 64, budgetMs: 2000 },
  { label: '1 MiB', body: 1024 * 1024, inflight: 8, budgetMs: 2000 },
  { label: '5 MiB', body: 5 * 1024 * 1024, inflight: 4, budgetMs: 2000 },
];

/** UNIQ_KEY = this prefix + a counter: 32 characters like a real client id, cheap to make. */
const UNIQ_PREFIX = '7F0000010C1F1B6D5C3E0000';

handleBenchArgs(`usage: node dist/bench/store [--help]        (or: npm run bench -- store)

MessageStore append throughput for several body sizes with ASYNC_FLUSH and SYNC_FLUSH, next to plain sequential
writes of the same bytes to a file on the same disk (both timed until fsynced), and getMessage read throughput.

environment:
  BENCH_DIR   where the store directories are made (default the system temp directory)`);
const baseDir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'mq-bench-store-'));
const logger = pino({ level: 'warn' });

function message(body: Buffer, i: number): MessageInner {
  return msg('BenchTopic', i % 4, body, { TAGS: 'TagA', UNIQ_KEY: UNIQ_PREFIX + i });
}

interface Figures {
  msgs: number;
  bytes: number;
  ms: number;
}

function rate(f: Figures): string {
  const s = f.ms / 1000;
  return `${Math.round(f.msgs / s).toLocaleString('en-US').padStart(9)} msg/s ${(f.bytes / 1048576 / s).toFixed(1).padStart(8)} MB/s`;
}

/** Appends for `budgetMs` with `inflight` puts outstanding; returns counts including the drain. */
async function appendRun(store: MessageStore, c: Case, body: Buffer): Promise<Figures> {
  let sent = 0;
  let done = 0;
  let bytes = 0;
  let failed = 0;
  const start = Date.now();
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent - done < c.inflight && Date.now() - start < c.budgetMs) {
        const i = sent++;
        store.putMessage(message(body, i)).then((r) => {
          done++;
          if (r.status !== 'PUT_OK') failed++;
          else bytes += r.appendResult?.wroteBytes ?? 0;
          if (done === sent && Date.now() - start >= c.budgetMs) resolve();
          else if (sent - done < c.inflight / 2 || done === sent) pump();
        });
      }
    };
    pump();
  });
  // Both sides are timed up to the point where their bytes are on disk (fsync), so the comparison is like for like.
  await store.commitLog.flush();
  if (failed > 0) console.log(`    (${failed} puts failed)`);
  return { msgs: done - failed, bytes, ms: Date.now() - start };
}

/** Plain sequential writes of `count` buffers of `size` bytes, one write in flight at a time. */
async function plainWrite(file: string, size: number, count: number): Promise<Figures> {
  const buf = Buffer.alloc(size, 7);
  const fh = await fs.promises.open(file, 'w');
  const start = Date.now();
  // Group small writes the way any sensible writer would (up to 1 MiB per call); large ones go one per call.
  const per = Math.max(1, Math.floor((1024 * 1024) / size));
  const chunk = per > 1 ? Buffer.alloc(size * per, 7) : buf;
  let pos = 0;
  for (let n = 0; n < count; n += per) {
    const k = Math.min(per, count - n);
    await fh.write(chunk, 0, k * size, pos);
    pos += k * size;
  }
  await fh.datasync();
  const ms = Date.now() - start;
  await fh.close();
  fs.rmSync(file, { force: true });
  return { msgs: count, bytes: pos, ms };
}

async function readRun(store: MessageStore): Promise<Figures> {
  const start = Date.now();
  let msgs = 0;
  let bytes = 0;
  for (let q = 0; q < 4; q++) {
    let offset = 0;
    for (;;) {
      const r = await store.getMessage('g', 'BenchTopic', q, offset, 32, 64 * 1024 * 1024);
      if (r.status !== 'FOUND') break;
      msgs += r.messageCount;
      bytes += r.bufferTotalSize;
      offset = r.nextBeginOffset;
      if (Date.now() - start > 3000) break;
    }
  }
  return { msgs, bytes, ms: Math.max(1, Date.now() - start) };
}

async function main(): Promise<void> {
  console.log(`store benchmark in ${baseDir} (node ${process.version}, ${os.cpus().length} cpus)`);
  for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
    console.log(`\n== ${flushDiskType} ==`);
    for (const c of CASES) {
      const dir = path.join(baseDir, `${flushDiskType}-${c.body}`);
      const store = new MessageStore(
        { storePathRootDir: dir, flushDiskType, maxHashSlotNum: 500000, maxIndexNum: 2000000 },
        { logger, registry: new Registry() },
      );
      await store.load();
      await store.start();
      const body = Buffer.alloc(c.body, 0x61);
      // Store and plain writer take turns (three rounds each, same bytes per round), so both see the same disk: on
      // shared machines its speed drifts by several times within seconds.
      const put: Figures = { msgs: 0, bytes: 0, ms: 0 };
      const plain: Figures = { msgs: 0, bytes: 0, ms: 0 };
      for (let round = 0; round < 3; round++) {
        const p = await appendRun(store, { ...c, budgetMs: Math.ceil(c.budgetMs / 3) }, body);
        const recordSize = p.msgs > 0 ? p.bytes / p.msgs : c.body;
        const w = await plainWrite(path.join(baseDir, 'plain'), Math.round(recordSize), p.msgs);
        for (const [sum, x] of [
          [put, p],
          [plain, w],
        ] as const) {
          sum.msgs += x.msgs;
          sum.bytes += x.bytes;
          sum.ms += x.ms;
        }
      }
      const ratio = (put.bytes / put.ms / (plain.bytes / plain.ms)) * 100;
      const read = await readRun(store);
      console.log(`  ${c.label.padEnd(8)} append ${rate(put)} | plain write ${rate(plain)} | ratio ${ratio.toFixed(0)} %`);
      console.log(`  ${''.padEnd(8)} read   ${rate(read)}`);
      await store.shutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  fs.rmSync(baseDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  fs.rmSync(baseDir, { recursive: true, force: true });
  process.exitCode = 1;
});
