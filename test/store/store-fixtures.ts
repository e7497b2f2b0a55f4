/** Shared helpers for the store tests: a store on a temp dir, deterministic messages, record checks. */
import pino from 'pino';
import { Registry } from 'prom-client';
import { bodyCrc, decodeRecord } from '../../src/common/message';
import type { MessageRecord } from '../../src/common/message';
import { MessageStore } from '../../src/store';
import type { MessageInner } from '../../src/store';

export const silent = pino({ level: process.env.STORE_TEST_LOG ?? 'silent' });

/** Small files so that tests cross segment boundaries. */
export const SMALL = {
  mappedFileSizeCommitLog: 64 * 1024,
  mappedFileSizeConsumeQueue: 20 * 64,
  maxHashSlotNum: 64,
  maxIndexNum: 256,
};

export async function openStore(dir: string, extra: Record<string, unknown> = {}): Promise<MessageStore> {
  const s = new MessageStore({ storePathRootDir: dir, ...SMALL, ...extra }, { logger: silent, registry: new Registry() });
  if (!(await s.load())) throw new Error('store did not load');
  await s.start();
  return s;
}

/** A body of `len` bytes derived from `seed`, so any copy can be checked. */
export function bodyFor(seed: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

export function msg(topic: string, queueId: number, body: Buffer, properties: Record<string, string> = {}): MessageInner {
  return {
    topic,
    queueId,
    flag: 0,
    body,
    properties,
    sysFlag: 0,
    bornTimestamp: Date.now(),
    bornHost: { ip: '127.0.0.1', port: 40000 },
    storeHost: { ip: '127.0.0.1', port: 10911 },
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
  };
}

/** Decodes a raw record and checks its body CRC; throws on any damage. */
export function checkedRecord(raw: Buffer): MessageRecord {
  const r = decodeRecord(raw);
  if (r.totalSize !== raw.length) throw new Error(`record size ${r.totalSize} != buffer ${raw.length}`);
  if (bodyCrc(r.body) !== r.bodyCrc) throw new Error(`record at ${r.physicalOffset} fails its CRC`);
  return r;
}
