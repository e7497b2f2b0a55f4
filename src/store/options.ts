/**
 * Message store options, with RocketMQ's MessageStoreConfig key names (ref §5, §8.4). Sizes in bytes, times in ms
 * unless the doc says otherwise.
 */
import { OptionSpec, Resolved, defaultsOf, opt, resolveOptions } from '../common';

export const STORE_OPTION_SPEC = {
  storePathRootDir: opt('./store', 'root directory of commitlog/, consumequeue/, index/, checkpoint, abort, config/'),
  mappedFileSizeCommitLog: opt(1073741824, 'commit-log segment size, bytes', { min: 4096 }),
  mappedFileSizeConsumeQueue: opt(6000000, 'consume-queue segment size, bytes (rounded up to a multiple of 20)', {
    min: 20,
  }),
  flushDiskType: opt('ASYNC_FLUSH', 'ASYNC_FLUSH: periodic fsync; SYNC_FLUSH: a put resolves once fsynced', {
    values: ['ASYNC_FLUSH', 'SYNC_FLUSH'],
  }),
  flushIntervalCommitLog: opt(500, 'ASYNC_FLUSH: interval between commit-log fsyncs, ms', { min: 1 }),
  flushCommitLogLeastPages: opt(4, 'ASYNC_FLUSH: fsync only when at least this many 4 KiB pages are dirty', { min: 0 }),
  flushCommitLogThoroughInterval: opt(10000, 'ASYNC_FLUSH: fsync regardless of dirty pages after this long, ms', {
    min: 1,
  }),
  flushIntervalConsumeQueue: opt(1000, 'interval between consume-queue, index and checkpoint fsyncs, ms', { min: 1 }),
  syncFlushTimeout: opt(5000, 'SYNC_FLUSH: longest wait for the fsync before FLUSH_DISK_TIMEOUT, ms', { min: 1 }),
  maxMessageSize: opt(8388608, 'largest message body accepted, bytes (the whole record may be 64 KiB larger)', {
    min: 1024,
  }),
  fileReservedTime: opt(72, 'commit-log segments older than this may be deleted, hours', { min: 0 }),
  deleteWhen: opt('04', 'hours of the day (local time, ";"-separated) when expired segments are deleted'),
  diskMaxUsedSpaceRatio: opt(75, 'disk usage above which expired segments are deleted at any hour, % (10..95)', {
    min: 10,
    max: 95,
  }),
  diskSpaceCleanForciblyRatio: opt(85, 'disk usage above which segments are deleted regardless of age, %', {
    min: 10,
    max: 99,
  }),
  diskSpaceWarningLevelRatio: opt(90, 'disk usage above which puts fail with SERVICE_NOT_AVAILABLE, %', {
    min: 10,
    max: 99,
  }),
  cleanResourceInterval: opt(10000, 'interval of the retention check, ms', { min: 1 }),
  deleteCommitLogFilesMax: opt(10, 'most commit-log segments deleted per retention run', { min: 1 }),
  maxHashSlotNum: opt(5000000, 'hash slots per index file', { min: 1 }),
  maxIndexNum: opt(20000000, 'entries per index file', { min: 1 }),
  messageIndexEnable: opt(true, 'index KEYS and UNIQ_KEY for queryMessage'),
  brokerRole: opt('ASYNC_MASTER', 'ASYNC_MASTER, SYNC_MASTER (puts await replicationWaiter) or SLAVE (no puts)', {
    values: ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'],
  }),
  osPageCacheBusyTimeOutMills: opt(1000, 'a commit-log write older than this makes puts fail OS_PAGECACHE_BUSY, ms', {
    min: 1,
  }),
  accessMessageInMemoryMaxRatio: opt(40, 'share of RAM behind the log end still counted "in memory", %', {
    min: 0,
    max: 100,
  }),
  maxTransferBytesOnMessageInMemory: opt(262144, 'bytes per pull when the data is in memory', { min: 1 }),
  maxTransferCountOnMessageInMemory: opt(32, 'messages per pull when the data is in memory', { min: 1 }),
  maxTransferBytesOnMessageInDisk: opt(65536, 'bytes per pull when the data is on disk', { min: 1 }),
  maxTransferCountOnMessageInDisk: opt(8, 'messages per pull when the data is on disk', { min: 1 }),
  checkCRCOnRecover: opt(true, 'check body CRCs while recovering the commit log'),
  offsetCheckInSlave: opt(false, 'a SLAVE corrects out-of-range pull offsets in nextBeginOffset'),
  messageDelayLevel: opt('1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h', 'delay levels (ref §5.13)'),
  maxMessageBatchBytes: opt(4194304, 'most bytes of records written by one writev of a tick, bytes', { min: 65536 }),
} satisfies OptionSpec;

type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;
type RawStoreOptions = Resolved<typeof STORE_OPTION_SPEC>;

/** Resolved store options (literal defaults widened; the two role/mode strings narrowed to their values). */
export type StoreOptions = {
  readonly [K in Exclude<keyof RawStoreOptions, 'flushDiskType' | 'brokerRole'>]: Widen<RawStoreOptions[K]>;
} & {
  readonly flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  readonly brokerRole: 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE';
};

/** Frozen defaults. */
export const STORE_DEFAULTS: StoreOptions = defaultsOf(STORE_OPTION_SPEC) as StoreOptions;

/** Resolves user input (strings allowed) into StoreOptions; unknown keys are rejected. */
export function resolveStoreOptions(input: Record<string, unknown> = {}): StoreOptions {
  return resolveOptions(STORE_OPTION_SPEC, input, 'store') as StoreOptions;
}

/** Parses `messageDelayLevel` into milliseconds per level (index 0 = level 1). */
export function parseDelayLevels(spec: string): number[] {
  const unit: Record<string, number> = { s: 1000, m: 60000, h: 3600000, d: 86400000 };
  return spec
    .trim()
    .split(/\s+/)
    .filter((x) => x !== '')
    .map((x) => {
      const m = /^(\d+)([smhd])$/.exec(x);
      if (!m) throw new Error(`store: messageDelayLevel entry ${JSON.stringify(x)} is not <n>s|m|h|d`);
      return Number(m[1]) * unit[m[2]];
    });
}
