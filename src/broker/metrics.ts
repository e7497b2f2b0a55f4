/**
 * Broker metrics on the injected prom-client Registry (never the global one): put/get counts and bytes per topic,
 * pulls by result, held pulls, consumer lag per group and queue, DLQ depth, send-queue size and head wait, commit-log
 * lock hold time, flow-control rejects by reason, disk use. Gauges that read live state are computed on scrape.
 */
import fs from 'fs';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { METRIC } from '../metrics';

/** Live state read at scrape time. */
export interface MetricSources {
  lockHoldMs(): number;
  sendQueueSize(): number;
  sendQueueHeadWaitMs(): number;
  heldPulls(): number;
  /** Consumer lag rows: group, topic, queue id and messages behind. */
  consumerLag(): Array<{ group: string; topic: string; queueId: number; lag: number }>;
  /** Messages in each DLQ topic. */
  dlqDepth(): Array<{ topic: string; depth: number }>;
  storePath(): string;
  commitLogBytes(): number;
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** The broker's metrics; counters are incremented by processors, gauges read {@link MetricSources} on scrape. */
export class BrokerMetrics {
  readonly putMessages: Counter<'topic'>;
  readonly putBytes: Counter<'topic'>;
  readonly getMessages: Counter<'topic'>;
  readonly getBytes: Counter<'topic'>;
  readonly pulls: Counter<'result'>;
  readonly flowControlRejects: Counter<'reason'>;
  private sources?: MetricSources;

  constructor(registry?: Registry) {
    const reg = registry ? [registry] : [];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
      (registry && existing<Counter<L>>(registry, name)) || new Counter<L>({ name, help, labelNames, registers: reg });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], collect: (g: Gauge<L>) => void): void => {
      if (registry && existing(registry, name)) return;
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers: reg,
        collect() {
          collect(this);
        },
      });
    };
    this.putMessages = counter(METRIC.brokerTopicPutMessages, 'Messages stored, by topic', ['topic']);
    this.putBytes = counter(METRIC.brokerTopicPutBytes, 'Message body bytes stored, by topic', ['topic']);
    this.getMessages = counter(METRIC.brokerTopicGetMessages, 'Messages returned to pulls, by topic', ['topic']);
    this.getBytes = counter(METRIC.brokerTopicGetBytes, 'Record bytes returned to pulls, by topic', ['topic']);
    this.pulls = counter(METRIC.brokerPullRequests, 'Pull responses, by result (found, not_found, held, ...)', ['result']);
    this.flowControlRejects = counter(METRIC.brokerFlowControlRejects, 'Sends refused by flow control, by remark', [
      'reason',
    ]);
    gauge(METRIC.brokerLockHoldMs, 'How long the current put has held the commit-log lock, ms', [], (g) =>
      g.set(this.sources?.lockHoldMs() ?? 0),
    );
    gauge(METRIC.brokerSendQueueHeadWaitMs, 'How long the oldest queued send has waited, ms', [], (g) =>
      g.set(this.sources?.sendQueueHeadWaitMs() ?? 0),
    );
    gauge(METRIC.brokerSendQueueSize, 'Sends waiting in the send queue', [], (g) => g.set(this.sources?.sendQueueSize() ?? 0));
    gauge(METRIC.brokerPullHeld, 'Pulls currently held by long polling', [], (g) => g.set(this.sources?.heldPulls() ?? 0));
    gauge(METRIC.brokerConsumerLag, 'Messages between the committed offset and the queue end', ['group', 'topic', 'queueId'], (g) => {
      g.reset();
      for (const r of this.sources?.consumerLag() ?? []) g.set({ group: r.group, topic: r.topic, queueId: String(r.queueId) }, r.lag);
    });
    gauge(METRIC.brokerDlqDepth, 'Messages in each dead-letter topic', ['topic'], (g) => {
      g.reset();
      for (const r of this.sources?.dlqDepth() ?? []) g.set({ topic: r.topic }, r.depth);
    });
    gauge(METRIC.brokerStoreDiskUsedBytes, 'Bytes of the commit log still on disk', [], (g) =>
      g.set(this.sources?.commitLogBytes() ?? 0),
    );
    gauge(METRIC.brokerDiskUsedRatio, 'Used share of the disk that holds storePathRootDir (0..1)', [], (g) => {
      const p = this.sources?.storePath();
      if (!p) return;
      try {
        const st = fs.statfsSync(p);
        g.set(st.blocks > 0 ? 1 - st.bavail / st.blocks : 0);
      } catch {
        // the directory may not exist yet
      }
    });
  }

  /** Connects the scrape-time gauges to live state (once the controller has built it). */
  bind(sources: MetricSources): void {
    this.sources = sources;
  }
}
