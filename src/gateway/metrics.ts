/**
 * The gateway's metrics on an injected Registry: requests, latency, bytes and error codes per method and topic,
 * bytes in flight, and consumer lag per group and topic. Names come from src/metrics/names.ts.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { METRIC } from '../metrics';

/** Label used when a request names no valid topic, or several topics. */
export const TOPIC_INVALID = '(invalid)';
export const TOPIC_MIXED = '(mixed)';
/** Label of every topic that is not known to have a route, and of unauthenticated calls. */
export const TOPIC_OTHER = '(other)';

/** The label values a topic label may take besides topics with a route. */
const FIXED_TOPIC_LABELS: ReadonlySet<string> = new Set([TOPIC_INVALID, TOPIC_MIXED, TOPIC_OTHER]);

/** A counter whose `topic` label is passed through the metrics' topic filter (bounded label values). */
export class TopicCounter<L extends string> {
  constructor(
    readonly counter: Counter<L>,
    private readonly owner: GatewayMetrics,
  ) {}

  inc(labels: Partial<Record<L, string | number>>, value?: number): void {
    const l = labels as Record<string, string | number>;
    if (typeof l.topic === 'string') l.topic = this.owner.topicLabel(l.topic);
    this.counter.inc(labels, value);
  }
}

/** The gateway's metric objects, created once per process on its own Registry. */
export class GatewayMetrics {
  /** Calls by method and topic label. */
  readonly requests: TopicCounter<'method' | 'topic'>;
  /** Failures by method, topic label and ErrorCode name (frame and connection refusals use method `frame`). */
  readonly errors: TopicCounter<'method' | 'topic' | 'code'>;
  /** Call durations in seconds (label values from {@link topicLabel} only). */
  readonly latency: Histogram<'method' | 'topic'>;
  /** Message body bytes in (send) and out (get). */
  readonly bytes: TopicCounter<'method' | 'topic' | 'direction'>;
  /** True for topics that may appear as a label (the gateway: topics with a route in its client's cache). */
  private known: (topic: string) => boolean = () => false;
  /** Bytes held by the Thrift server for requests and replies in flight. */
  readonly inflightBytes: Gauge;
  /** Messages the group has not consumed yet, per topic (set by the offset committer). */
  readonly groupLag: Gauge<'group' | 'topic'>;
  /** Messages a group never received because the master proved them deleted by retention first. */
  readonly messagesExpired: Counter<'group' | 'topic'>;

  /** @param registry the process's Registry; without one the metrics are kept but not exported (tests). */
  constructor(registry?: Registry) {
    const registers = registry ? [registry] : [];
    this.requests = this.filtered(new Counter({
      name: METRIC.gatewayRequests,
      help: 'Thrift calls served, by method and topic',
      labelNames: ['method', 'topic'],
      registers,
    }));
    this.errors = this.filtered(new Counter({
      name: METRIC.gatewayErrors,
      help: 'Failed Thrift calls and failed messages of send batches, by method, topic and ErrorCode',
      labelNames: ['method', 'topic', 'code'],
      registers,
    }));
    this.latency = new Histogram({
      name: METRIC.gatewayLatency,
      help: 'Duration of Thrift calls in seconds (get includes its long poll), by method and topic',
      labelNames: ['method', 'topic'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.bytes = this.filtered(new Counter({
      name: METRIC.gatewayBytes,
      help: 'Message body bytes sent (in) and delivered (out), by method and topic',
      labelNames: ['method', 'topic', 'direction'],
      registers,
    }));
    this.inflightBytes = new Gauge({
      name: METRIC.gatewayInflightBytes,
      help: 'Request bytes being received or processed by the Thrift server (capped by maxInflightBytes)',
      registers,
    });
    this.groupLag = new Gauge({
      name: METRIC.gatewayGroupLag,
      help: 'Messages not yet consumed by a consumer group (broker max offset - committed offset, summed over queues)',
      labelNames: ['group', 'topic'],
      registers,
    });
    this.messagesExpired = new Counter({
      name: METRIC.gatewayMessagesExpired,
      help: 'Messages skipped for a consumer group because the master reported them deleted by retention before the group consumed them',
      labelNames: ['group', 'topic'],
      registers,
    });
  }

  private filtered<L extends string>(c: Counter<L>): TopicCounter<L> {
    return new TopicCounter(c, this);
  }

  /** Sets which topics may be labels (the controller: topics whose route is cached). */
  setKnownTopics(known: (topic: string) => boolean): void {
    this.known = known;
  }

  /** The label value for a topic: itself when known, a fixed label as is, `(other)` otherwise. */
  topicLabel(topic: string | undefined): string {
    if (topic === undefined) return TOPIC_INVALID;
    if (FIXED_TOPIC_LABELS.has(topic)) return topic;
    return this.known(topic) ? topic : TOPIC_OTHER;
  }
}
