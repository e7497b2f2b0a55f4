/**
 * Broker metrics on the injected prom-client Registry (never the global one): put/get counts and bytes per topic,
 * pulls by result, held pulls, consumer lag per group and queue, DLQ depth, send-queue size and head wait, commit-log
 * lock hold time, flow-control rejects by reason, disk use. Gauges that read live state are computed on scrape.
 */
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
  /** Lag per group and queue with the age (s) of the oldest unconsumed message. */
  consumerLagRows?(): Array<{ group: string; topic: string; queueId: number; lag: number; ageSeconds: number }>;
  /** Who this broker is (mq_broker_info labels). */
  info?(): { cluster: string; brokerName: string; brokerId: number; role: string };
  /** Messages of each group's DLQ not yet read back. */
  dlqUnread?(): Array<{ group: string; unread: number }>;
}

/** The most label sets remembered per gauge (a series that disappears is reported as 0, up to this many). */
const MAX_REMEMBERED_SERIES = 10_000;

/**
 * Sets `rows` on `g` and reports every label set seen earlier but absent now as 0, so that a group or queue that
 * goes away reads 0 instead of vanishing (an alert on it resolves instead of going stale).
 */
function setKeepingZeros<L extends string>(g: Gauge<L>, seen: Map<string, Record<L, string>>, rows: Array<[Record<L, string>, number]>): void {
  g.reset();
  const now = new Set<string>();
  for (const [labels, v] of rows) {
    const k = JSON.stringify(labels);
    now.add(k);
    if (!seen.has(k) && seen.size < MAX_REMEMBERED_SERIES) seen.set(k, labels);
    g.set(labels, v);
  }
  for (const [k, labels] of seen) if (!now.has(k)) g.set(labels, 0);
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** The broker's metrics; counters are incremented by processors, gauges read {@link MetricSources} on scrape. */
/** Where puts and gets are also counted for RocketMQ's statistics (TOPIC_PUT_NUMS, GROUP_GET_NUMS, stats.log). */
export interface StatsSink {
  recordPut(topic: string, n: number, bytes: number): void;
  recordGet(topic: string, group: string, n: number, bytes: number): void;
}

export class BrokerMetrics {
  readonly putMessages: Pick<Counter<'topic'>, 'inc'>;
  readonly putBytes: Pick<Counter<'topic'>, 'inc'>;
  readonly getMessages: Counter<'topic'>;
  readonly getBytes: Counter<'topic'>;
  /** Messages returned to pulls, by group and topic (consume rate per group). */
  readonly groupGetMessages: Counter<'group' | 'topic'>;
  private stats?: StatsSink;
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
    const putMessages = counter(METRIC.brokerTopicPutMessages, 'Messages stored, by topic', ['topic']);
    const putBytes = counter(METRIC.brokerTopicPutBytes, 'Message body bytes stored, by topic', ['topic']);
    // Puts are counted once per call site: the counters feed the statistics too (n messages, then their bytes).
    this.putMessages = {
      inc: ((labels: { topic: string }, n?: number) => {
        putMessages.inc(labels, n ?? 1);
        this.stats?.recordPut(labels.topic, n ?? 1, 0);
      }) as Counter<'topic'>['inc'],
    };
    this.putBytes = {
      inc: ((labels: { topic: string }, n?: number) => {
        putBytes.inc(labels, n ?? 1);
        this.stats?.recordPut(labels.topic, 0, n ?? 1);
      }) as Counter<'topic'>['inc'],
    };
    this.groupGetMessages = counter(METRIC.brokerGroupGetMessages, 'Messages returned to pulls, by consumer group and topic', ['group', 'topic']);
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
    // Lag, its age and DLQ backlog are master facts: a slave (offsets copied from its master) reports none, so sums
    // over brokers count each queue once. Queues are named by broker set and queue id (stable labels).
    type LagLabels = 'group' | 'topic' | 'brokerName' | 'queueId';
    const seenLag = new Map<string, Record<LagLabels, string>>();
    gauge(METRIC.brokerConsumerLag, 'Messages between the committed offset and the queue end, per group and queue', ['group', 'topic', 'brokerName', 'queueId'], (g) => {
      const b = this.sources?.info?.().brokerName ?? '';
      const rows = this.sources?.consumerLag() ?? [];
      setKeepingZeros(g, seenLag, rows.map((r) => [{ group: r.group, topic: r.topic, brokerName: b, queueId: String(r.queueId) }, r.lag]));
    });
    const seenAge = new Map<string, Record<LagLabels, string>>();
    gauge(
      METRIC.brokerConsumerLagSeconds,
      'Age of the oldest unconsumed message per group and queue, s (0 when caught up)',
      ['group', 'topic', 'brokerName', 'queueId'],
      (g) => {
        const b = this.sources?.info?.().brokerName ?? '';
        const rows = this.sources?.consumerLagRows?.() ?? [];
        setKeepingZeros(g, seenAge, rows.map((r) => [{ group: r.group, topic: r.topic, brokerName: b, queueId: String(r.queueId) }, r.ageSeconds]));
      },
    );
    const seenDlq = new Map<string, Record<'group' | 'brokerName', string>>();
    gauge(METRIC.brokerDlqUnread, "Messages in a group's dead-letter queue not yet read back", ['group', 'brokerName'], (g) => {
      const b = this.sources?.info?.().brokerName ?? '';
      setKeepingZeros(g, seenDlq, (this.sources?.dlqUnread?.() ?? []).map((r) => [{ group: r.group, brokerName: b }, r.unread]));
    });
    gauge(METRIC.brokerDlqDepth, 'Messages in each dead-letter topic', ['topic'], (g) => {
      g.reset();
      for (const r of this.sources?.dlqDepth() ?? []) g.set({ topic: r.topic }, r.depth);
    });
    // The commit-log size and disk ratio are the store's facts (mq_store_commitlog_bytes, mq_store_disk_used_ratio):
    // not repeated here (one metric per fact).
    gauge(METRIC.brokerUp, 'Always 1; its labels name this broker (join on instance to label other series)', ['cluster', 'brokerName', 'brokerId', 'role'], (g) => {
      const i = this.sources?.info?.();
      g.reset();
      if (i) g.set({ cluster: i.cluster, brokerName: i.brokerName, brokerId: String(i.brokerId), role: i.role }, 1);
    });
  }

  /** Counts a pull answer of `n` messages (`bytes` record bytes) for `group` on `topic`. */
  recordGet(topic: string, group: string, n: number, bytes: number): void {
    this.getMessages.inc({ topic }, n);
    this.getBytes.inc({ topic }, bytes);
    this.groupGetMessages.inc({ group, topic }, n);
    this.stats?.recordGet(topic, group, n, bytes);
  }

  /** Also counts puts and gets into RocketMQ's statistics. */
  attachStats(stats: StatsSink): void {
    this.stats = stats;
  }

  /** Connects the scrape-time gauges to live state (once the controller has built it). */
  bind(sources: MetricSources): void {
    this.sources = sources;
  }
}
