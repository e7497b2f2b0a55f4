/**
 * Writes the groups' committed offsets from coord to the brokers (UPDATE_CONSUMER_OFFSET) every
 * offsetFlushIntervalMs, so that RocketMQ tools see the gateway's lag and a group whose coord state was lost (Redis
 * flushed, state expired) continues from there, and publishes the lag per group and topic.
 *
 * - Each group is written by one replica at a time (coord.acquireFlush, held for a few intervals).
 * - Only changed offsets are written, and at most MAX_WRITES_PER_ROUND per round (the rest waits for the next one).
 * - An offset is never written above the broker's max offset for the queue, nor for a state tied to another log than
 *   the broker reports: that offset belongs to another log (a rebuilt store, another cluster), and writing it would
 *   make a later seed skip the new log's messages.
 */
import crypto from 'crypto';
import type { Logger } from 'pino';
import type { MQClient } from '../client';
import type { CommittedOffset, Coordinator } from '../coord';
import type { GatewayMetrics } from './metrics';
import { parseQueueKey } from './queue-cursor';

/** Broker writes per round, all groups together. */
const MAX_WRITES_PER_ROUND = 2000;

export class OffsetCommitter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** group NUL topic NUL queueKey → offset last written to the broker by this replica. */
  private readonly written = new Map<string, number>();
  /** This replica's name for the per-group writer lock. */
  private readonly owner = crypto.randomBytes(8).toString('hex');
  /** Where the next round starts in the list of groups (rounds that hit the bound go on from there). */
  private startAt = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly deps: {
      client: MQClient;
      coord: Coordinator;
      metrics: GatewayMetrics;
      logger: Logger;
      /** The log identity the brokers last reported for a queue (GroupReader's cache), if any. */
      logIdOf?: (q: { topic: string; brokerName: string; queueId: number }) => string | undefined;
    },
  ) {}

  /** Starts the periodic flush (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes once more (used at shutdown, so that a clean stop loses no progress). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** One round; concurrent calls share it. Failures are logged (the next round tries again). */
  flush(): Promise<void> {
    this.running ??= this.flushOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Reads every group's committed offsets from coord and writes the changed ones to the queues' brokers. */
  private async flushOnce(): Promise<void> {
    let groups: string[];
    try {
      groups = (await this.deps.coord.groups()).sort();
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'offset flush: coord unavailable');
      return;
    }
    let writes = 0;
    const n = groups.length;
    const from = n > 0 ? this.startAt % n : 0;
    for (let i = 0; i < n; i++) {
      const group = groups[(from + i) % n];
      if (writes >= MAX_WRITES_PER_ROUND) {
        this.startAt = (from + i) % n;
        return;
      }
      let offsets: CommittedOffset[];
      try {
        if (!(await this.deps.coord.acquireFlush(group, this.owner, this.intervalMs * 3))) continue;
        offsets = await this.deps.coord.committedOffsets(group);
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message, group }, 'offset flush: coord unavailable');
        return;
      }
      const lag = new Map<string, number>();
      await Promise.all(
        offsets.map(async ({ topic, queueKey, offset, logId }) => {
          const q = parseQueueKey(queueKey);
          // Keys not made by the gateway (another coord user) and queues without progress are skipped.
          if (!q || offset < 0) return;
          const mq = { topic, brokerName: q.brokerName, queueId: q.queueId };
          const k = `${group}\u0000${topic}\u0000${queueKey}`;
          try {
            // The broker's max offset now (this replica may never have read the queue): lag, and the log check.
            const ans = await this.deps.client.getMaxOffsetAnswer(mq);
            const max = ans.offset;
            const brokerLog = ans.logId ?? this.deps.logIdOf?.(mq);
            const otherLog = logId !== '' && brokerLog !== undefined && brokerLog !== logId;
            // Above a master's max offset: an offset of a longer (older) log. A slave's max may just lag.
            if ((ans.brokerId === 0 && offset > max) || otherLog) {
              this.deps.logger.debug({ group, topic, queueKey, offset, max, logId, brokerLog }, 'offset flush: state is of another log, not written');
              return;
            }
            if (this.written.get(k) !== offset && writes < MAX_WRITES_PER_ROUND) {
              writes++;
              await this.deps.client.updateConsumerOffset(group, mq, offset);
              this.written.set(k, offset);
            }
            lag.set(topic, (lag.get(topic) ?? 0) + Math.max(0, max - offset));
          } catch (err) {
            this.deps.logger.debug({ err: (err as Error).message, group, topic, queueKey }, 'offset flush: broker call failed');
          }
        }),
      );
      for (const [topic, v] of lag) this.deps.metrics.groupLag.set({ group, topic }, v);
    }
    this.startAt = 0;
  }
}
