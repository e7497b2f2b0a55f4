/**
 * Writes the groups' committed offsets from coord to the brokers (UPDATE_CONSUMER_OFFSET) every
 * offsetFlushIntervalMs, so that RocketMQ tools see the gateway's lag and a group whose coord state was lost (Redis
 * flushed) continues from there, and publishes the lag per group and topic. Only changed offsets are written.
 */
import type { Logger } from 'pino';
import type { MQClient } from '../client';
import type { Coordinator } from '../coord';
import type { GatewayMetrics } from './metrics';
import { parseQueueKey } from './queue-cursor';

export class OffsetCommitter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** group NUL topic NUL queueKey → offset last written to the broker. */
  private readonly written = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly deps: { client: MQClient; coord: Coordinator; metrics: GatewayMetrics; logger: Logger },
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
      groups = await this.deps.coord.groups();
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'offset flush: coord unavailable');
      return;
    }
    for (const group of groups) {
      let offsets;
      try {
        offsets = await this.deps.coord.committedOffsets(group);
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message, group }, 'offset flush: coord unavailable');
        return;
      }
      const lag = new Map<string, number>();
      await Promise.all(
        offsets.map(async ({ topic, queueKey, offset }) => {
          const q = parseQueueKey(queueKey);
          // Keys not made by the gateway (another coord user) and queues without progress are skipped.
          if (!q || offset < 0) return;
          const mq = { topic, brokerName: q.brokerName, queueId: q.queueId };
          const k = `${group}\u0000${topic}\u0000${queueKey}`;
          try {
            if (this.written.get(k) !== offset) {
              await this.deps.client.updateConsumerOffset(group, mq, offset);
              this.written.set(k, offset);
            }
            // Lag uses the broker's max offset now (this replica may never have read the queue).
            const max = await this.deps.client.getMaxOffset(mq);
            lag.set(topic, (lag.get(topic) ?? 0) + Math.max(0, max - offset));
          } catch (err) {
            this.deps.logger.debug({ err: (err as Error).message, group, topic, queueKey }, 'offset flush: broker call failed');
          }
        }),
      );
      for (const [topic, n] of lag) this.deps.metrics.groupLag.set({ group, topic }, n);
    }
  }
}
