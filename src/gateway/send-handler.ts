/**
 * `send`: checks the whole batch, then sends each topic's messages through our RocketMQ client (which picks queues,
 * batches per broker set and fails over between broker sets within the deadline) and returns one SendResult per
 * message, in request order. When every message failed with BUSY (every broker set answered SYSTEM_BUSY within the
 * deadline) the call itself fails with BUSY and retryAfterMs.
 */
import type { Logger } from 'pino';
import { MqError } from '../common';
import type { MQClient, SendResult as ClientSendResult } from '../client';
import type { Authorizer } from './auth';
import { toMessageError } from './errors';
import type { GatewayMetrics } from './metrics';
import { TOPIC_MIXED } from './metrics';
import { T, i64 } from './thrift-api';
import { checkSendBatch } from './validate';

/** The gateway options send uses (sizes in bytes, times in ms). */
export interface SendHandlerOptions {
  maxMessageSize: number;
  maxBatchMessages: number;
  sendTimeoutMs: number;
  busyRetryAfterMs: number;
}

/** The client's durability outcome → Thrift SendStatus (all mean "stored"). */
const STATUS: Readonly<Record<string, T.SendStatus>> = {
  OK: T.SendStatus.OK,
  FLUSH_DISK_TIMEOUT: T.SendStatus.FLUSH_DISK_TIMEOUT,
  FLUSH_SLAVE_TIMEOUT: T.SendStatus.FLUSH_SLAVE_TIMEOUT,
  SLAVE_NOT_AVAILABLE: T.SendStatus.SLAVE_NOT_AVAILABLE,
};

export class SendHandler {
  constructor(
    private readonly opts: SendHandlerOptions,
    private readonly deps: { client: MQClient; auth: Authorizer; metrics: GatewayMetrics; logger: Logger },
  ) {}

  /** The topic label of a request for metrics (before or after validation). */
  static topicLabel(req: T.SendRequest | null | undefined): string | undefined {
    const topics = new Set((req?.messages ?? []).map((m) => m?.topic));
    if (topics.size === 1) {
      const t = [...topics][0];
      return typeof t === 'string' ? t : undefined;
    }
    return topics.size > 1 ? TOPIC_MIXED : undefined;
  }

  /** Serves one send call. Throws MqError for call-level failures (mapped by the caller). */
  async send(req: T.SendRequest): Promise<T.SendResult[]> {
    const { auth } = this.deps;
    // Who is asking comes first: an unauthenticated caller learns nothing about its batch.
    auth.authenticate(req?.auth);
    const byTopic = checkSendBatch(req?.messages, this.opts);
    auth.checkSend(req.auth, byTopic.keys());
    const total = req.messages.length;
    const results = new Array<T.SendResult>(total);
    const errors: MqError[] = [];
    // Topics are sent in parallel; the client batches each topic's messages per broker set and fails over.
    await Promise.all(
      [...byTopic].map(async ([topic, items]) => {
        let out: ClientSendResult[];
        try {
          out = await this.deps.client.send(
            topic,
            items.map((x) => x.message),
            // Errors name the message by its position in this request, not in the topic's share of it.
            { deadlineMs: this.opts.sendTimeoutMs, indexes: items.map((x) => x.index) },
          );
        } catch (err) {
          // checkSendBatch ran the client's own checks on every message, so the client should not reject a topic's
          // messages here. If it does, a one-topic call fails as a whole (nothing was sent); in a mixed batch the
          // other topics may be stored already, so only this topic's messages fail.
          const e = MqError.is(err) ? err : new MqError('INTERNAL', (err as Error).message, { cause: err });
          if ((e.code === 'INVALID_ARGUMENT' || e.code === 'PAYLOAD_TOO_LARGE') && byTopic.size === 1) throw e;
          out = items.map(() => ({ ok: false as const, uniqId: '', error: e }));
        }
        // Body bytes of the stored messages, counted once per topic (a labelled inc per message showed in profiles).
        let stored = 0;
        items.forEach((item, i) => {
          const r = out[i];
          if (r.ok) {
            results[item.index] = new T.SendResult({
              msgId: r.msgId,
              brokerName: r.brokerName,
              queueId: r.queueId,
              queueOffset: i64(r.queueOffset),
              status: STATUS[r.status] ?? T.SendStatus.OK,
              // UNIQ_KEY, made once per message by the client and sent unchanged on every retry and failover.
              uniqueId: r.uniqId,
            });
            stored += item.message.body.length;
          } else {
            errors.push(r.error);
            const error = toMessageError(r.error, this.opts.busyRetryAfterMs);
            this.deps.metrics.errors.inc({ method: 'send', topic, code: T.ErrorCode[error.code] ?? String(error.code) });
            results[item.index] = new T.SendResult({ queueId: -1, queueOffset: i64(-1), error });
          }
        });
        if (stored > 0) this.deps.metrics.bytes.inc({ method: 'send', topic, direction: 'in' }, stored);
      }),
    );
    if (errors.length === total && errors.every((e) => e.code === 'BUSY')) {
      // Overload of every broker set is a call-level failure: the caller should back off and retry the batch.
      const hinted = errors.map((e) => e.details.retryAfterMs).find((v): v is number => typeof v === 'number');
      throw new MqError('BUSY', `every broker set is busy: ${errors[0].message}`, {
        retriable: true,
        details: { retryAfterMs: hinted ?? this.opts.busyRetryAfterMs },
      });
    }
    return results;
  }
}
