/**
 * The bounded send queue and RocketMQ's fast failure (ref §6.1), for a single-threaded server.
 *
 * RocketMQ runs sends on a thread pool with a bounded queue (`sendThreadPoolQueueCapacity`); here a request waits
 * in a FIFO until one of `sendMessageThreadPoolNums` "slots" (puts in flight to the store) is free. Around it:
 * - arrival while the commit-log lock is held too long (`isOSPageCacheBusy`) → SYSTEM_BUSY [REJECTREQUEST];
 * - arrival when the queue is full → SYSTEM_BUSY [OVERLOAD];
 * - every 10 ms (when `brokerFastFailureEnable`): if the page cache is busy, every queued request is answered
 *   SYSTEM_BUSY [PCBUSY_CLEAN_QUEUE]; then requests that waited `waitTimeMillsInSendQueue` or longer are answered
 *   SYSTEM_BUSY [TIMEOUT_CLEAN_QUEUE].
 * A dequeued request that finds the page cache busy gets [PC_SYNCHRONIZED] from the send processor itself.
 * Thresholds can be changed at any time with {@link SendQueue.updateOptions}.
 *
 * A task may give its slot back before its response is ready by calling the `release` it is handed: a SYNC_FLUSH put
 * does so once its record reached the OS, and then waits for the fsync outside the queue (RocketMQ's asynchronous
 * put), so one slow fsync cannot hold every slot and time the queue out. The slot is given back at the latest when
 * the task's promise settles.
 */
import { RemotingCommand } from '../remoting/command';
import { ResponseCode } from '../remoting/codes';
import { FLOW_CONTROL_REMARK } from './status-map';

/** The flow-control thresholds (RocketMQ key names); all may change at runtime. */
export interface SendQueueOptions {
  sendThreadPoolQueueCapacity: number;
  sendMessageThreadPoolNums: number;
  waitTimeMillsInSendQueue: number;
  brokerFastFailureEnable: boolean;
}

/** Why a request was refused without reaching the store; used as a metric label. */
export type FlowControlReason = 'REJECTREQUEST' | 'OVERLOAD' | 'PCBUSY_CLEAN_QUEUE' | 'TIMEOUT_CLEAN_QUEUE';

/** A queued send; `release` gives its slot back early (idempotent). */
export type SendTask = (release: () => void) => Promise<RemotingCommand>;

interface Task {
  enqueuedAt: number;
  run: SendTask;
  resolve: (cmd: RemotingCommand) => void;
}

/** A FIFO of send tasks with a concurrency limit and RocketMQ's fast-failure rules. */
export class SendQueue {
  private queue: Array<Task | undefined> = [];
  private head = 0;
  private inflight = 0;
  private timer?: NodeJS.Timeout;
  private started = false;
  private opts: SendQueueOptions;
  private maxHeadWaitMs = 0;

  constructor(
    opts: SendQueueOptions,
    private readonly pageCache: { isOSPageCacheBusy(): boolean },
    private readonly onReject: (reason: FlowControlReason) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...opts };
  }

  /**
   * Starts the fast-failure task (every 10 ms, as BrokerFastFailure). It runs only while requests wait in the
   * queue: with none waiting it has nothing to answer, and a 10 ms timer on an idle queue woke the broker 100 times
   * a second for nothing.
   */
  start(): void {
    this.started = true;
    this.arm();
  }

  stop(): void {
    this.started = false;
    this.disarm();
  }

  private arm(): void {
    if (this.timer || !this.started || this.size() === 0) return;
    this.timer = setInterval(() => {
      this.cleanExpired();
      if (this.size() === 0) this.disarm();
    }, 10);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  updateOptions(partial: Partial<SendQueueOptions>): void {
    this.opts = { ...this.opts, ...partial };
    this.pump();
  }

  options(): Readonly<SendQueueOptions> {
    return this.opts;
  }

  /** Requests waiting (not yet handed to the store). */
  size(): number {
    return this.queue.length - this.head;
  }

  inFlight(): number {
    return this.inflight;
  }

  /** How long the request at the head of the queue has waited, ms (0 when empty). */
  headWaitMs(): number {
    const t = this.queue[this.head];
    return t ? this.now() - t.enqueuedAt : 0;
  }

  /** The largest head wait seen since the last call (for a metric that should not miss short spikes). */
  takeMaxHeadWaitMs(): number {
    const v = Math.max(this.maxHeadWaitMs, this.headWaitMs());
    this.maxHeadWaitMs = 0;
    return v;
  }

  /** Queues `run`; resolves with its response or with a SYSTEM_BUSY flow-control response. */
  submit(run: SendTask): Promise<RemotingCommand> {
    if (this.pageCache.isOSPageCacheBusy()) {
      this.onReject('REJECTREQUEST');
      return Promise.resolve(busy(FLOW_CONTROL_REMARK.REJECT_REQUEST));
    }
    if (this.size() >= this.opts.sendThreadPoolQueueCapacity) {
      this.onReject('OVERLOAD');
      return Promise.resolve(busy(FLOW_CONTROL_REMARK.OVERLOAD));
    }
    return new Promise<RemotingCommand>((resolve) => {
      this.queue.push({ enqueuedAt: this.now(), run, resolve });
      this.pump();
      // Still waiting for a slot: the fast-failure task watches it from now on (arm does nothing otherwise).
      this.arm();
    });
  }

  private shift(): Task | undefined {
    if (this.head >= this.queue.length) return undefined;
    const t = this.queue[this.head];
    this.queue[this.head++] = undefined;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return t;
  }

  private pump(): void {
    while (this.inflight < this.opts.sendMessageThreadPoolNums && this.size() > 0) {
      const t = this.shift()!;
      const waited = this.now() - t.enqueuedAt;
      if (waited > this.maxHeadWaitMs) this.maxHeadWaitMs = waited;
      this.inflight++;
      let held = true;
      const release = (): void => {
        if (!held) return;
        held = false;
        this.inflight--;
        // Not re-entrant: the next task starts after the caller's synchronous stretch (the put's completion) ends.
        queueMicrotask(() => this.pump());
      };
      let p: Promise<RemotingCommand>;
      try {
        p = t.run(release);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (res) => t.resolve(res),
        (err: unknown) =>
          t.resolve(RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, err instanceof Error ? err.message : String(err))),
      ).finally(release);
    }
  }

  /** One fast-failure pass; public so tests can drive it without waiting for the timer. */
  cleanExpired(): void {
    if (!this.opts.brokerFastFailureEnable) return;
    const now = this.now();
    if (this.pageCache.isOSPageCacheBusy()) {
      while (this.size() > 0) {
        const t = this.shift()!;
        this.onReject('PCBUSY_CLEAN_QUEUE');
        t.resolve(busy(FLOW_CONTROL_REMARK.pcBusyCleanQueue(now - t.enqueuedAt, this.size())));
      }
      return;
    }
    for (;;) {
      const t = this.queue[this.head];
      if (!t || now - t.enqueuedAt < this.opts.waitTimeMillsInSendQueue) break;
      this.shift();
      this.onReject('TIMEOUT_CLEAN_QUEUE');
      t.resolve(busy(FLOW_CONTROL_REMARK.timeoutCleanQueue(now - t.enqueuedAt, this.size())));
    }
  }

  /** Answers everything still queued (shutdown). */
  drain(remark: string): void {
    while (this.size() > 0) this.shift()!.resolve(RemotingCommand.createResponse(ResponseCode.SYSTEM_BUSY, remark));
  }
}

function busy(remark: string): RemotingCommand {
  return RemotingCommand.createResponse(ResponseCode.SYSTEM_BUSY, remark);
}
