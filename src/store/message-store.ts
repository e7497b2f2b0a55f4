/**
 * MessageStore: the composition root of the store (ref §5). It owns the commit log, the consume queues, the index
 * and the checkpoint, runs the dispatcher after each batched commit-log write, the flush services (ASYNC_FLUSH timer
 * or SYNC_FLUSH group commit), retention, and the HA hooks. It returns status values, never wire codes, and does
 * no networking.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MqError } from '../common';
import {
  MESSAGE_MAGIC,
  TRANSACTION_COMMIT_TYPE,
  TRANSACTION_NOT_TYPE,
  createOffsetMsgId,
  decodeOffsetMsgId,
  readLong,
  storeTimestampPos,
  transactionType,
} from '../common/message';
import { CommitLog, WriteBatch } from './commit-log';
import { ConsumeQueue } from './consume-queue';
import { DispatchRequest, computeTagsCode } from './dispatch';
import { Dispatcher } from './dispatcher';
import { QueueRegistry } from './queue-registry';
import { IndexService } from './index-service';
import { StoreOptions, parseDelayLevels, resolveStoreOptions } from './options';
import { StoreMetrics } from './store-metrics';
import { FlushService } from './flush-service';
import { buildBatchPut, buildSinglePut, PreparedPut, writeRecords } from './put-builder';
import { completePut } from './put-completion';
import type { LogItem, PutItem } from './log-items';

/** Bodies up to this size are copied into the write batch; larger ones are written from the caller's buffer. */
const INLINE_BODY_MAX = 4096;

/** Physical RAM, read once (os.totalmem() reads /proc/meminfo on every call). */
const TOTAL_MEMORY = os.totalmem();

function noop(): void {
  // replaced by the promise's resolve
}
import { getMessageImpl, offsetInQueueByTime, queryMessageImpl } from './store-reads';
import { recoverStore } from './store-recovery';
import { cleanExpiredFiles } from './clean-service';
import { Checkpoint } from './checkpoint';
import type { StoreContext } from './store-context';
import type {
  ArrivalListener,
  GetMessageResult,
  MessageBatchInner,
  MessageInner,
  PutMessageResult,
  PutMessageStatus,
  QueryMessageResult,
  ReplicationStatus,
} from './types';

export interface MessageStoreDeps {
  logger: Logger;
  registry?: Registry;
}


export class MessageStore implements StoreContext {
  options: StoreOptions;
  /** SYNC_MASTER: awaited after the local write; a non-OK flush or replication status wins. */
  replicationWaiter?: (endOffset: number) => Promise<ReplicationStatus>;
  /** Retention never deletes commit-log bytes at or beyond this offset (what slaves have not yet copied). */
  replicatedOffset: number | (() => number) = Number.MAX_SAFE_INTEGER;

  /** @internal */ readonly logger: Logger;
  /** @internal */ readonly commitLog: CommitLog<LogItem>;
  /** @internal */ readonly cqs = new Map<string, ConsumeQueue>();
  /** @internal */ index: IndexService;
  /** @internal */ readonly queueRegistry: QueueRegistry;
  /** @internal next queue offset per topic and queue id (RocketMQ's topicQueueTable). */
  readonly topicQueueTable = new Map<string, number[]>();
  /** @internal consume queues per topic, indexed by queue id (the hot-path lookup). */
  private readonly cqByTopic = new Map<string, ConsumeQueue[]>();
  /** @internal commit-log offset up to which records are dispatched. */ dispatchedPos = 0;
  /** @internal store time of the last dispatched record. */ lastDispatchedTs = 0;
  /** @internal store time of the last written record. */ lastWrittenTs = 0;
  /** @internal */ delayLevels: number[];
  /** @internal */ diskFull = false;
  /** @internal */ readonly metrics: StoreMetrics;
  /** @internal */ flushService: FlushService | undefined;
  /** @internal */ checkpoint: Checkpoint | undefined;

  private readonly dispatcher: Dispatcher = new Dispatcher(this);
  private state: 'new' | 'loaded' | 'running' | 'stopped' = 'new';
  private cleanTimer: NodeJS.Timeout | undefined;

  constructor(options: StoreOptions | Record<string, unknown>, deps: MessageStoreDeps) {
    this.options = resolveStoreOptions({ ...options });
    this.logger = deps.logger.child({ component: 'store' });
    this.delayLevels = parseDelayLevels(this.options.messageDelayLevel);
    const root = this.options.storePathRootDir;
    this.commitLog = new CommitLog<LogItem>(
      path.join(root, 'commitlog'),
      this.options.mappedFileSizeCommitLog,
      this.options.maxMessageBatchBytes,
      { onWritten: (b) => this.onWritten(b), onWriteError: (b, e) => this.onWriteError(b, e) },
      this.logger,
    );
    this.index = new IndexService(root, this.options.maxHashSlotNum, this.options.maxIndexNum, this.logger);
    this.queueRegistry = new QueueRegistry(path.join(root, 'consumequeue'));
    this.metrics = new StoreMetrics(deps.registry, {
      commitLogBytes: () => this.commitLog.writtenPos - this.commitLog.minOffset(),
      storePath: () => root,
    });
  }

  /** Recovers the store from disk (ref §5.7). Returns false (and logs) when the files cannot be used. */
  async load(): Promise<boolean> {
    try {
      fs.mkdirSync(this.options.storePathRootDir, { recursive: true });
      await recoverStore(this);
      this.state = 'loaded';
      return true;
    } catch (err) {
      this.logger.error({ err }, 'store load failed');
      return false;
    }
  }

  /** Creates the abort marker and starts the flush and retention services. Calls load() if not done yet. */
  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw new MqError('CLOSED', 'store: start() after shutdown(); make a new MessageStore');
    if (this.state === 'new' && !(await this.load())) {
      throw new MqError('CORRUPT', `store at ${this.options.storePathRootDir} could not be loaded; see the log`);
    }
    fs.writeFileSync(this.abortFile(), '');
    this.flushService = new FlushService(this);
    this.flushService.start();
    const tick = (): void => {
      this.cleanTimer = setTimeout(() => {
        try {
          cleanExpiredFiles(this, Date.now(), false);
        } catch (err) {
          this.logger.error({ err }, 'retention run failed');
        }
        if (this.state === 'running') tick();
      }, this.options.cleanResourceInterval);
      this.cleanTimer.unref();
    };
    this.state = 'running';
    tick();
  }

  /** Stops accepting puts, waits for writes, flushes everything, removes the abort marker and closes files. */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    if (this.cleanTimer) clearTimeout(this.cleanTimer);
    await this.commitLog.whenIdle();
    if (this.flushService) await this.flushService.stop();
    await this.index.whenIdle();
    if (wasRunning && !this.commitLog.failed && this.dispatchedPos >= this.commitLog.writtenPos) {
      try {
        fs.unlinkSync(this.abortFile());
      } catch {
        // already gone
      }
    }
    this.commitLog.close();
    for (const cq of this.cqs.values()) cq.close();
    this.index.close();
    this.checkpoint?.close();
  }

  /** @internal */
  abortFile(): string {
    return path.join(this.options.storePathRootDir, 'abort');
  }

  /** @internal */
  isMaster(): boolean {
    return this.options.brokerRole !== 'SLAVE';
  }

  private refuse(): PutMessageStatus | undefined {
    if (this.state !== 'running') return 'SERVICE_NOT_AVAILABLE';
    if (this.options.brokerRole === 'SLAVE' || this.diskFull || this.commitLog.failed) return 'SERVICE_NOT_AVAILABLE';
    if (this.isOSPageCacheBusy()) return 'OS_PAGECACHE_BUSY';
    return undefined;
  }

  /**
   * Appends one message. Resolves after the write (and fsync / replication when they apply). `onWritten`, when
   * given, is called once the record reached the OS (readable, survives a process kill), before the SYNC_FLUSH fsync
   * or the SYNC_MASTER replication wait: the broker frees the put's send-queue slot there. It is not called for a
   * put that is refused or whose write fails (the promise settles then).
   */
  putMessage(msg: MessageInner, onWritten?: () => void): Promise<PutMessageResult> {
    const refused = this.refuse();
    if (refused) return Promise.resolve({ status: refused });
    const prepared = buildSinglePut(this, msg);
    return 'status' in prepared ? Promise.resolve(prepared) : this.append(prepared, onWritten);
  }

  /** Appends a batch as consecutive records with consecutive queue offsets (ref §4.7); `onWritten` as putMessage. */
  putMessages(batch: MessageBatchInner, onWritten?: () => void): Promise<PutMessageResult> {
    const refused = this.refuse();
    if (refused) return Promise.resolve({ status: refused });
    const prepared = buildBatchPut(this, batch);
    return 'status' in prepared ? Promise.resolve(prepared) : this.append(prepared, onWritten);
  }

  /**
   * The append section (RocketMQ's put lock; here one synchronous stretch of code): assigns queue offsets, the
   * physical offset and the store time, and writes the record into this tick's write batch. Small bodies are copied
   * once into the batch's arena so that a tick's records go out as a few large buffers; larger bodies
   * (> INLINE_BODY_MAX) are never copied and go to writev as they are.
   */
  private append(p: PreparedPut, onWritten: (() => void) | undefined): Promise<PutMessageResult> {
    const storeTimestamp = Date.now();
    const tt = transactionType(p.sysFlag);
    const counts = tt === TRANSACTION_NOT_TYPE || tt === TRANSACTION_COMMIT_TYPE;
    const firstQueueOffset = counts ? this.nextQueueOffset(p.topic, p.queueId) : 0;
    const log = this.commitLog;
    let phys: number;
    try {
      phys = log.reserve(p.totalSize);
    } catch (err) {
      this.logger.warn({ err, topic: p.topic, size: p.totalSize }, 'put refused');
      return Promise.resolve({ status: 'MESSAGE_ILLEGAL' });
    }
    const n = p.records.length;
    let msgId = '';
    let at = phys;
    for (let i = 0; i < n; i++) {
      const r = p.records[i];
      r.queueOffset = counts ? firstQueueOffset + i : 0;
      r.physicalOffset = at;
      r.storeTimestamp = storeTimestamp;
      r.tagsCode = r.tagsCodeOverride ?? computeTagsCode(r.topic, r.properties, storeTimestamp, this.delayLevels);
      msgId = i === 0 ? createOffsetMsgId(p.storeHost, at) : `${msgId},${createOffsetMsgId(p.storeHost, at)}`;
      at += r.size;
    }
    if (counts) this.setNextQueueOffset(p.topic, p.queueId, firstQueueOffset + n);
    const item: PutItem = {
      kind: 'put',
      requests: p.records,
      end: at,
      wait: p.wait,
      bytes: p.totalSize,
      result: {
        status: 'PUT_OK',
        appendResult: {
          physicalOffset: phys,
          wroteBytes: p.totalSize,
          queueOffset: firstQueueOffset,
          msgId,
          storeTimestamp,
          msgNum: n,
        },
      },
      onWritten,
      resolve: noop,
    };
    writeRecords(log, p.records, item, INLINE_BODY_MAX);
    return new Promise<PutMessageResult>((resolve) => {
      item.resolve = resolve;
    });
  }

  /** @internal Next queue offset of a topic queue (the RocketMQ topicQueueTable). */
  nextQueueOffset(topic: string, queueId: number): number {
    return this.topicQueueTable.get(topic)?.[queueId] ?? 0;
  }

  /** @internal */
  setNextQueueOffset(topic: string, queueId: number, next: number): void {
    let arr = this.topicQueueTable.get(topic);
    if (!arr) this.topicQueueTable.set(topic, (arr = []));
    arr[queueId] = next;
  }

  /** After a batch reached the OS: dispatch its records, then complete its puts. */
  private onWritten(batch: WriteBatch<LogItem>): void {
    this.metrics.writeMs.observe(batch.writeMs ?? 0);
    let raw = false;
    let puts = 0;
    for (const item of batch.items) {
      if (item.kind === 'raw') {
        raw = true;
        continue;
      }
      const reqs = item.requests;
      for (let i = 0; i < reqs.length; i++) this.dispatch(reqs[i]);
      puts += reqs.length;
      if (item.end > this.dispatchedPos) this.dispatchedPos = item.end;
      this.lastWrittenTs = item.result.appendResult?.storeTimestamp ?? this.lastWrittenTs;
    }
    // A local batch always ends at a record boundary or at a segment end after the BLANK filler (records are never
    // split between batches), so everything up to its end is dispatched. Replicated bytes end anywhere: the slave
    // dispatcher tracks its own position.
    if (raw) this.dispatcher.dispatchWrittenLog();
    else if (batch.end > this.dispatchedPos) this.dispatchedPos = batch.end;
    this.finishDispatchRound();
    if (puts > 0) {
      this.metrics.puts.inc(puts);
      this.metrics.putBytes.inc(batch.bytes);
    }
    for (const item of batch.items) {
      if (item.kind === 'raw') item.resolve(true);
      else {
        item.onWritten?.();
        this.complete(item);
      }
    }
  }

  private onWriteError(batch: WriteBatch<LogItem>, err: unknown): void {
    this.logger.error({ err }, 'commit-log write failed');
    for (const item of batch.items) {
      if (item.kind === 'raw') item.resolve(false);
      else item.resolve({ status: 'UNKNOWN_ERROR' });
    }
  }

  /** Flush (SYNC_FLUSH) and replication (SYNC_MASTER) waits for a written put. */
  private complete(item: PutItem): void {
    completePut(this.options, this.flushService, this.replicationWaiter, item);
  }

  /** @internal Dispatches one record to its consume queue and the index. */
  dispatch(r: DispatchRequest): void {
    this.dispatcher.dispatch(r);
  }

  /** @internal Writes the units and index entries of this round, then tells the arrival listeners. */
  finishDispatchRound(): void {
    this.dispatcher.finishRound();
  }

  /** @internal */
  findOrCreateCq(topic: string, queueId: number): ConsumeQueue {
    let arr = this.cqByTopic.get(topic);
    let cq = arr?.[queueId];
    if (cq) return cq;
    const key = `${topic}-${queueId}`;
    cq = this.cqs.get(key);
    if (!cq) {
      cq = new ConsumeQueue(
        path.join(this.options.storePathRootDir, 'consumequeue'),
        topic,
        queueId,
        this.options.mappedFileSizeConsumeQueue,
      );
      this.cqs.set(key, cq);
      this.queueRegistry.register(topic, queueId);
    }
    if (!arr) this.cqByTopic.set(topic, (arr = []));
    arr[queueId] = cq;
    return cq;
  }

  /**
   * Deletes the consume queues of a topic (its messages stay in the commit log until retention removes them).
   * Returns the number of queues removed.
   */
  deleteTopic(topic: string): number {
    let n = 0;
    for (const [key, cq] of [...this.cqs]) {
      if (cq.topic !== topic) continue;
      cq.destroy();
      this.cqs.delete(key);
      n++;
    }
    this.cqByTopic.delete(topic);
    this.topicQueueTable.delete(topic);
    this.queueRegistry.forgetTopic(topic);
    try {
      fs.rmSync(path.join(this.options.storePathRootDir, 'consumequeue', topic), { recursive: true, force: true });
    } catch {
      // best effort
    }
    return n;
  }

  /** @internal */
  findCq(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.cqByTopic.get(topic)?.[queueId] ?? this.cqs.get(`${topic}-${queueId}`);
  }

  /** Reads messages of one queue from `offset` (ref §8.4 limits, tag filtering by hash code). */
  getMessage(
    group: string,
    topic: string,
    queueId: number,
    offset: number,
    maxMsgNums: number,
    maxBytes: number,
    filter?: (tagsCode: number) => boolean,
  ): Promise<GetMessageResult> {
    void group;
    return getMessageImpl(this, topic, queueId, offset, maxMsgNums, maxBytes, filter);
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.findCq(topic, queueId)?.maxOffset ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.findCq(topic, queueId)?.minOffset ?? 0;
  }

  /** Queue offset of the message stored closest to `timestamp` (ms); 0 for an empty queue. */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number {
    return offsetInQueueByTime(this, topic, queueId, timestamp);
  }

  /** Store time of the oldest message of a queue, -1 when there is none. */
  getEarliestMessageTime(topic: string, queueId: number): number {
    return this.getMessageStoreTimeStamp(topic, queueId, this.getMinOffsetInQueue(topic, queueId));
  }

  /** Store time of the message at a queue offset, -1 when there is none. */
  getMessageStoreTimeStamp(topic: string, queueId: number, offset: number): number {
    const u = this.findCq(topic, queueId)?.unitAt(offset);
    return u ? this.storeTimeAt(u.physicalOffset) : -1;
  }

  /** @internal Store time of the record at `phys`, -1 when unreadable. */
  storeTimeAt(phys: number): number {
    const head = this.commitLog.readSync(phys, 48);
    if (!head || head.readInt32BE(4) !== MESSAGE_MAGIC) return -1;
    const p = storeTimestampPos(head.readInt32BE(36));
    const b = this.commitLog.readSync(phys + p, 8);
    return b ? readLong(b, 0) : -1;
  }

  /** One raw record at a physical offset, or null. */
  lookMessageByOffset(physicalOffset: number): Buffer | null {
    if (physicalOffset < this.commitLog.minOffset()) return null;
    const head = this.commitLog.readSync(physicalOffset, 8);
    if (!head || head.readInt32BE(4) !== MESSAGE_MAGIC) return null;
    const size = head.readInt32BE(0);
    if (size < 91) return null;
    return this.commitLog.readSync(physicalOffset, size);
  }

  /** One raw record by its offset msgId (ref §4.5), or null. */
  lookMessageByMsgId(msgId: string): Buffer | null {
    try {
      return this.lookMessageByOffset(decodeOffsetMsgId(msgId).physicalOffset);
    } catch {
      return null;
    }
  }

  /** Records whose KEYS or UNIQ_KEY contain `key`, stored within [begin, end] ms (ref §5.5). */
  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): QueryMessageResult {
    return queryMessageImpl(this, topic, key, maxNum, begin, end);
  }

  getMinPhyOffset(): number {
    return this.commitLog.minOffset();
  }

  /** End of the readable commit log (everything below it has been written). */
  getMaxPhyOffset(): number {
    return this.commitLog.writtenPos;
  }

  /** Offset up to which data is written and dispatched. */
  getConfirmOffset(): number {
    return Math.min(this.dispatchedPos, this.commitLog.writtenPos);
  }

  /** How long the commit-log write in flight has been running, ms (0 when idle): the put "lock" hold time. */
  lockHoldMs(): number {
    const t = this.commitLog.writeStartedAt;
    return t ? Date.now() - t : 0;
  }

  /** lockHoldMs() above osPageCacheBusyTimeOutMills. */
  isOSPageCacheBusy(): boolean {
    return this.lockHoldMs() > this.options.osPageCacheBusyTimeOutMills;
  }

  /** Changes options live (unknown keys rejected). Sizes of existing files and the root path do not change. */
  updateOptions(partial: Record<string, unknown>): void {
    const next = resolveStoreOptions({ ...this.options, ...partial });
    if (next.storePathRootDir !== this.options.storePathRootDir) {
      throw new MqError('INVALID_OPTION', 'store: storePathRootDir cannot change while the store is open');
    }
    this.options = next;
    this.delayLevels = parseDelayLevels(next.messageDelayLevel);
  }

  /** Registers a listener called after each record is dispatched into its consume queue. */
  onArrival(listener: ArrivalListener): void {
    this.dispatcher.listeners.push(listener);
  }

  /** Up to `maxBytes` written commit-log bytes from `fromOffset`, within one segment (HA, ref §8.2). */
  readCommitLog(fromOffset: number, maxBytes: number): Buffer | null {
    return this.commitLog.readRaw(fromOffset, maxBytes);
  }

  /** Slave: appends replicated bytes at exactly the current end and dispatches them. False (logged) otherwise. */
  appendCommitLogRaw(startOffset: number, data: Buffer): Promise<boolean> {
    if (this.state === 'stopped') return Promise.resolve(false);
    if (data.length === 0) return Promise.resolve(startOffset === this.commitLog.writePos);
    return new Promise<boolean>((resolve) => {
      const wasEmpty = this.commitLog.segments.length === 0;
      if (!this.commitLog.appendRaw(startOffset, data, { kind: 'raw', resolve })) return resolve(false);
      if (wasEmpty && this.dispatchedPos < startOffset) this.dispatchedPos = startOffset;
    });
  }

  /** Runs retention now (ref §5.9); `manual` deletes expired files at any hour. Returns segments deleted. */
  cleanExpiredFiles(manual = true): number {
    return cleanExpiredFiles(this, Date.now(), manual);
  }

  /** @internal The retention floor. */
  replicationFloor(): number {
    const r = this.replicatedOffset;
    return typeof r === 'function' ? r() : r;
  }

  /** @internal Share of RAM used for the "in memory" decision (ref §8.4). */
  memoryThreshold(): number {
    return (TOTAL_MEMORY * this.options.accessMessageInMemoryMaxRatio) / 100;
  }
}
