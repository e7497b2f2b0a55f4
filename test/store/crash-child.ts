/**
 * Child process of the crash test: appends messages with deterministic bodies until it is killed, and prints
 * `ACK <seq> <physicalOffset>` for every put that resolved PUT_OK (stdout to a pipe is synchronous on Linux).
 * Usage: node crash-child.js <storeDir> <ASYNC_FLUSH|SYNC_FLUSH> <firstSeq>
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { MessageStore } from '../../src/store';
import { bodyFor, msg } from './store-fixtures';

/** Body length of a sequence number: 50..3049 bytes. */
export function crashBodyLength(seq: number): number {
  return 50 + ((seq * 7919) % 3000);
}

async function main(): Promise<void> {
  const [dir, flushDiskType, first] = process.argv.slice(2);
  const store = new MessageStore(
    {
      storePathRootDir: dir,
      flushDiskType,
      mappedFileSizeCommitLog: 256 * 1024,
      mappedFileSizeConsumeQueue: 20 * 1000,
      maxHashSlotNum: 1000,
      maxIndexNum: 4000,
      flushIntervalCommitLog: 50,
      flushIntervalConsumeQueue: 100,
    },
    { logger: pino({ level: 'error' }, pino.destination(2)), registry: new Registry() },
  );
  if (!(await store.load())) throw new Error('load failed');
  await store.start();
  process.stdout.write('READY\n');
  let seq = Number(first);
  const inflight = 8;
  const one = (): void => {
    const s = seq++;
    store.putMessage(msg('CrashTopic', s % 2, bodyFor(s, crashBodyLength(s)), { SEQ: String(s), KEYS: `K${s}` })).then(
      (r) => {
        if (r.status === 'PUT_OK') process.stdout.write(`ACK ${s} ${r.appendResult!.physicalOffset}\n`);
        one();
      },
      (err: unknown) => {
        process.stderr.write(`put failed: ${String(err)}\n`);
        process.exit(2);
      },
    );
  };
  for (let i = 0; i < inflight; i++) one();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`crash child failed: ${String(err)}\n`);
    process.exit(1);
  });
}
