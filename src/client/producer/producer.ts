/**
 * The producer: sends a batch of messages to one topic and reports one result per message, in order.
 *
 * - Queue choice: messages without a sharding key share one round-robin pick per batch chunk (so a batch goes to
 *   one queue as one SEND_BATCH_MESSAGE, ref §4.7); a sharding key always maps to the same queue.
 * - Failover (ref §6.2, extended): on SYSTEM_BUSY, SYSTEM_ERROR, a timeout or a dead master, a chunk without a
 *   sharding key is retried on another broker set while the call's deadline allows; the failed set is avoided
 *   for `faultAvoidanceMs`. Sharded chunks retry their own queue (moving them would break per-key order).
 * - SYSTEM_BUSY from every broker set tried → MqError('BUSY', retriable) with `details.retryAfterMs`.
 * - Stored-but-degraded answers (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE) are results, not
 *   errors, and are never retried (the message is stored).
 */
import type { Logger } from 'pino';
import { MqError, sleep } from '../../common';
import { encodeBatchBody } from '../../common/message';
import { RemotingCommand, RequestCode, ResponseCode } from '../../remoting';
import type { RemotingClient } from '../../remoting';
import { encodeSendMessageHeaderV2 } from '../../remoting/header/send-message';
import { decodeSendMessageResponseHeader } from '../../remoting/header/send-message-response';
import { responseError, transportError } from '../errors';
import type { ClientMetrics } from '../client-metrics';
import { failureOutcome } from '../client-metrics';
import type { RouteCache } from '../route/route-cache';
import { MASTER_ID, publishQueues } from '../route/topic-route';
import type { MessageQueue } from '../route/topic-route';
import { FaultTracker } from './fault-tracker';
import { chunkForBatches, prepareMessages } from './prepare';
import type { PreparedMessage } from './prepare';
import { QueueSelector, selectShardQueue } from './queue-selector';
import type { ProducerMessage, SendOptions, SendResult, SendStatus } from './send-types';

export interface ProducerOptions {
  producerGroup: string;
  createTopicKey: string;
  defaultTopicQueueNums: number;
  sendMsgTimeout: number;
  retryTimesWhenSendFailed: number;
  faultAvoidanceMs: number;
  busyRetryAfterMs: number;
  maxMessageSize: number;
  /** When the name server has no route for a topic, send through the createTopicKey route (ref §5.12). */
  autoCreateTopic: boolean;
}

export interface ProducerDeps {
  remoting: RemotingClient;
  routes: RouteCache;
  logger: Logger;
  metrics?: ClientMetrics;
}

const STATUS_BY_CODE: ReadonlyMap<number, SendStatus> = new Map<number, SendStatus>([
  [ResponseCode.SUCCESS, 'OK'],
  [ResponseCode.FLUSH_DISK_TIMEOUT, 'FLUSH_DISK_TIMEOUT'],
  [ResponseCode.FLUSH_SLAVE_TIMEOUT, 'FLUSH_SLAVE_TIMEOUT'],
  [ResponseCode.SLAVE_NOT_AVAILABLE, 'SLAVE_NOT_AVAILABLE'],
]);

/** A group of messages sent in one request, with its retry state. */
interface Unit {
  messages: PreparedMessage[];
  /** Set for sharded messages: retries stay on this key's queue. Undefined = round-robin with failover. */
  shardingKey?: string;
  /** The queue every attempt uses (sharded, route known when grouping). */
  fixed?: MessageQueue;
  /** Units with the same sequence are sent one after another (per-queue order of sharded messages). */
  sequence?: string;
}

interface Outcome {
  results: SendResult[];
}

export class Producer {
  readonly faults: FaultTracker;
  private readonly selector: QueueSelector;

  constructor(
    private readonly opts: ProducerOptions,
    private readonly deps: ProducerDeps,
  ) {
    this.faults = new FaultTracker(opts.faultAvoidanceMs);
    this.selector = new QueueSelector(this.faults);
  }

  /**
   * Sends `messages` to `topic`. Resolves with one result per message, in order; a message that could not be stored
   * carries `error`. Rejects only for problems of the whole call found before sending: INVALID_ARGUMENT and
   * PAYLOAD_TOO_LARGE (with `details.index`).
   */
  async send(topic: string, messages: readonly ProducerMessage[], options: SendOptions = {}): Promise<SendResult[]> {
    const started = Date.now();
    const deadline = started + (options.deadlineMs ?? this.opts.sendMsgTimeout);
    const prepared = prepareMessages(topic, messages, this.opts.maxMessageSize, options.indexes);
    const units: Unit[] = [];
    const floating: PreparedMessage[] = [];
    const sharded: PreparedMessage[] = [];
    for (const m of prepared) (m.shardingKey === undefined || m.shardingKey === '' ? floating : sharded).push(m);
    for (const chunk of chunkForBatches(floating, this.opts.maxMessageSize)) units.push({ messages: chunk });
    if (sharded.length > 0) {
      // Messages whose keys map to the same queue share a batch. With no route yet, group by key and let each
      // attempt find the key's queue.
      const queues = await this.queuesOf(topic).catch(() => [] as MessageQueue[]);
      const groups = new Map<string, { messages: PreparedMessage[]; fixed?: MessageQueue; key: string }>();
      for (const m of sharded) {
        const key = m.shardingKey as string;
        const q = selectShardQueue(queues, key);
        const id = q ? `q:${q.brokerName}/${q.queueId}` : `k:${key}`;
        const g = groups.get(id) ?? { messages: [], fixed: q, key };
        g.messages.push(m);
        groups.set(id, g);
      }
      for (const [id, g] of groups) {
        for (const chunk of chunkForBatches(g.messages, this.opts.maxMessageSize)) {
          units.push({ messages: chunk, shardingKey: g.key, fixed: g.fixed, sequence: id });
        }
      }
    }
    const results: SendResult[] = new Array<SendResult>(prepared.length);
    // Chunks of one sharding key go one after another (per-key order); everything else in parallel.
    const sequences = new Map<string, Promise<void>>();
    const tasks: Promise<void>[] = [];
    for (const unit of units) {
      const run = async (): Promise<void> => {
        const out = await this.sendUnit(topic, unit, deadline, options);
        for (let i = 0; i < unit.messages.length; i++) results[unit.messages[i].index] = out.results[i];
      };
      if (unit.sequence !== undefined) {
        const prev = sequences.get(unit.sequence) ?? Promise.resolve();
        const next = prev.then(run);
        sequences.set(unit.sequence, next);
        tasks.push(next);
      } else {
        tasks.push(run());
      }
    }
    await Promise.all(tasks);
    return results;
  }

  /** The publish queues of a topic, through the createTopicKey route when the topic is unknown and allowed. */
  private async queuesOf(topic: string): Promise<MessageQueue[]> {
    try {
      return (await this.deps.routes.get(topic)).publishQueues;
    } catch (err) {
      if (!this.opts.autoCreateTopic || !MqError.is(err, 'TOPIC_NOT_FOUND')) throw err;
      const tpl = await this.deps.routes.get(this.opts.createTopicKey);
      // The broker creates the topic with min(defaultTopicQueueNums, template queues) queues (ref §5.12).
      return publishQueues(topic, tpl.data, this.opts.defaultTopicQueueNums);
    }
  }

  private brokerAddr(topic: string, brokerName: string): string | undefined {
    const bd = this.deps.routes.cached(topic)?.brokers.get(brokerName) ?? this.deps.routes.findBroker(brokerName);
    return bd?.brokerAddrs[MASTER_ID];
  }

  private async sendUnit(topic: string, unit: Unit, deadline: number, options: SendOptions): Promise<Outcome> {
    const fail = (error: MqError): Outcome => ({
      results: unit.messages.map((m) => ({ ok: false as const, uniqId: m.uniqId, error })),
    });
    const tried = new Set<string>();
    const errors: MqError[] = [];
    let attempts = 0;
    let maxAttempts = 1 + this.opts.retryTimesWhenSendFailed;
    for (;;) {
      const now = Date.now();
      if (now >= deadline) break;
      let queues: MessageQueue[];
      try {
        queues = await this.queuesOf(topic);
      } catch (err) {
        const e = MqError.is(err) ? err : transportError('route', 'name servers', err);
        errors.push(e);
        if (!e.retriable) return fail(e);
        await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
        continue;
      }
      if (queues.length === 0) {
        errors.push(
          new MqError('UNAVAILABLE', `send to ${topic}: no writable queue on a broker set with a live master`, {
            details: { topic },
          }),
        );
        this.deps.routes.refreshSoon(topic);
        await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
        continue;
      }
      // Every broker set may be tried once even when retryTimesWhenSendFailed is smaller (brief: BUSY only after
      // every set answered SYSTEM_BUSY).
      const sets = new Set(queues.map((q) => q.brokerName)).size;
      maxAttempts = Math.max(maxAttempts, sets);
      if (attempts >= maxAttempts) break;
      const mq =
        unit.shardingKey !== undefined
          ? (unit.fixed ?? selectShardQueue(queues, unit.shardingKey))
          : this.selector.next(topic, queues, tried, now);
      if (!mq) {
        // Every broker set was tried. All busy: report BUSY now so the caller backs off (retryAfterMs). Otherwise
        // (e.g. one broker set that dropped a connection) start another pass while attempts and time remain.
        if (errors.every((e) => e.code === 'BUSY')) break;
        tried.clear();
        await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
        continue;
      }
      attempts++;
      if (unit.shardingKey !== undefined && attempts > 1) {
        // Same queue again: give the broker a moment (bounded by the deadline).
        await sleep(Math.min(50 * attempts, Math.max(0, deadline - Date.now() - 1)));
      }
      tried.add(mq.brokerName);
      // A hung broker must not eat the whole budget while another set could take the send: with untried sets
      // left, one attempt gets half of the remaining time. (A timed-out send may still have been stored: sends
      // are at-least-once, as in RocketMQ.)
      const remaining = deadline - Date.now();
      const untried = unit.shardingKey === undefined && new Set(queues.map((q) => q.brokerName)).size > tried.size;
      const attemptDeadline = untried ? Date.now() + Math.max(Math.ceil(remaining / 2), Math.min(remaining, 200)) : deadline;
      try {
        const results = await this.sendOnce(topic, mq, unit.messages, attemptDeadline, options);
        this.faults.markOk(mq.brokerName);
        const degraded = results.some((r) => r.ok && r.status !== 'OK');
        this.deps.metrics?.sendAttempts.inc({ broker: mq.brokerName, outcome: degraded ? 'degraded' : 'ok' });
        return { results };
      } catch (err) {
        const e = MqError.is(err) ? err : transportError('send', mq.brokerName, err);
        errors.push(e);
        this.deps.metrics?.sendAttempts.inc({ broker: mq.brokerName, outcome: failureOutcome(e.code) });
        this.faults.markFailed(mq.brokerName, Date.now());
        this.deps.logger.debug(
          { topic, brokerName: mq.brokerName, queueId: mq.queueId, code: e.code, err: e.message, attempt: attempts },
          'send attempt failed',
        );
        if (e.code !== 'BUSY') this.deps.routes.refreshSoon(topic);
        if (!e.retriable) return fail(e);
      }
    }
    return fail(this.finalError(topic, errors, deadline));
  }

  /** The error of a unit that ran out of attempts, broker sets or time. */
  private finalError(topic: string, errors: MqError[], deadline: number): MqError {
    if (errors.length > 0 && errors.every((e) => e.code === 'BUSY')) {
      const peers = [...new Set(errors.map((e) => String(e.details.brokerName ?? e.details.peer ?? '?')))];
      return new MqError(
        'BUSY',
        `send to ${topic}: every broker set tried answered SYSTEM_BUSY (${peers.join(', ')}); last: ${errors[errors.length - 1].message}`,
        { retriable: true, details: { retryAfterMs: this.opts.busyRetryAfterMs, brokers: peers, topic } },
      );
    }
    const last = errors[errors.length - 1];
    if (last) return last;
    return new MqError(
      'TIMEOUT',
      `send to ${topic}: not stored within the call's deadline (option sendMsgTimeout or deadlineMs)`,
      { retriable: true, details: { topic, deadline } },
    );
  }

  /** One SEND_MESSAGE_V2 (one message) or SEND_BATCH_MESSAGE (several) to the master of `mq`'s broker set. */
  private async sendOnce(
    topic: string,
    mq: MessageQueue,
    messages: PreparedMessage[],
    deadline: number,
    options: SendOptions,
  ): Promise<SendResult[]> {
    const addr = this.brokerAddr(topic, mq.brokerName);
    if (!addr) {
      throw new MqError('UNAVAILABLE', `send to ${topic}: broker set ${mq.brokerName} has no master in the route`, {
        details: { brokerName: mq.brokerName },
      });
    }
    const timeout = deadline - Date.now();
    if (timeout <= 0) throw new MqError('TIMEOUT', `send to ${topic}: deadline passed before sending to ${mq.brokerName}`);
    const batch = messages.length > 1;
    const retryTopic = topic.startsWith('%RETRY%');
    const header = encodeSendMessageHeaderV2({
      producerGroup: this.opts.producerGroup,
      topic,
      defaultTopic: this.opts.createTopicKey,
      defaultTopicQueueNums: this.opts.defaultTopicQueueNums,
      queueId: mq.queueId,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      flag: batch ? 0 : messages[0].flag,
      properties: batch ? undefined : messages[0].propertiesString,
      reconsumeTimes: retryTopic ? (options.reconsumeTimes ?? 0) : 0,
      unitMode: false,
      batch,
      maxReconsumeTimes: retryTopic ? options.maxReconsumeTimes : undefined,
      bname: mq.brokerName,
    });
    const body = batch
      ? encodeBatchBody(messages.map((m) => ({ flag: m.flag, body: m.body, properties: m.properties })))
      : messages[0].body;
    const req = RemotingCommand.createRequest(
      batch ? RequestCode.SEND_BATCH_MESSAGE : RequestCode.SEND_MESSAGE_V2,
      header,
      body,
    );
    const peer = `broker ${mq.brokerName} (${addr})`;
    let res: RemotingCommand;
    try {
      res = await this.deps.remoting.invokeSync(addr, req, timeout);
    } catch (err) {
      throw transportError('send', peer, err, { brokerName: mq.brokerName });
    }
    const status = STATUS_BY_CODE.get(res.code);
    if (status === undefined) throw responseError('send', peer, res, { brokerName: mq.brokerName, topic });
    const h = decodeSendMessageResponseHeader(res.extFields);
    const ids = h.msgId.split(',');
    return messages.map((m, i) => ({
      ok: true as const,
      uniqId: m.uniqId,
      msgId: ids[i] ?? ids[0],
      brokerName: mq.brokerName,
      queueId: h.queueId,
      queueOffset: h.queueOffset + i,
      status,
    }));
  }
}
