/**
 * `get`: checks the request and the token, acks the given receipts (each judged on its own: GetResult.ackResults),
 * then reads up to maxMessages for the group through {@link GroupReader} and turns them into ReceivedMessages. With
 * invisibleMs > 0 every message carries a signed receipt. Acks are applied before the read, so a read that fails
 * leaves them applied.
 */
import type { Logger } from 'pino';
import { MqError } from '../common';
import { parseSubscription } from '../client';
import type { AckItem, AckStatus, Coordinator } from '../coord';
import type { Authorizer } from './auth';
import type { Delivery, GroupReader } from './group-reader';
import type { GatewayMetrics } from './metrics';
import type { ReceiptSigner } from './signed-receipt';
import type { ReplyReservation } from './reply-budget';
import { PROP } from '../common/message';
import { T, i64 } from './thrift-api';
import { MAX_ACKS, MAX_GET_MESSAGES, MAX_INVISIBLE_MS, checkGroup, checkInt, checkTopic, userProperties } from './validate';

/** The gateway options get uses. */
export interface GetHandlerOptions {
  /** Longest waitMs accepted, ms. */
  maxWaitMs: number;
  /** Body bytes after which a reply stops growing. */
  getMaxResponseBytes: number;
}

export class GetHandler {
  constructor(
    private readonly opts: GetHandlerOptions,
    private readonly deps: {
      reader: GroupReader;
      coord: Coordinator;
      auth: Authorizer;
      signer: ReceiptSigner;
      metrics: GatewayMetrics;
      logger: Logger;
    },
  ) {}

  /**
   * Serves one get call. Throws MqError for failures (mapped by the caller). With `reply`, message bodies are
   * reserved under the gateway's reply cap as they are added: the reply stops where the cap is reached, and a call
   * that got nothing because of it answers BUSY.
   */
  async get(req: T.GetRequest, reply?: ReplyReservation): Promise<T.GetResult> {
    const { auth } = this.deps;
    // Token first, then the request's shape, then the grants for what it names.
    auth.authenticate(req?.auth);
    const topic = checkTopic(req?.topic);
    const group = checkGroup(req.consumerGroup);
    const subscription = parseSubscription(req.tagExpression ?? '*');
    const maxMessages = checkInt('maxMessages', req.maxMessages, 32, 0, MAX_GET_MESSAGES);
    const waitMs = checkInt('waitMs', req.waitMs, 0, 0, this.opts.maxWaitMs, 'maxWaitMs');
    const invisibleMs = checkInt('invisibleMs', req.invisibleMs, 0, 0, MAX_INVISIBLE_MS);
    if (req.orderly !== undefined && req.orderly !== null && typeof req.orderly !== 'boolean') {
      throw new MqError('INVALID_ARGUMENT', 'orderly must be a bool');
    }
    auth.checkGet(req.auth, topic, group);
    // Acks come before the read, so that a consumer's ack-and-fetch loop never sees its own acked messages again.
    const ackResults = await this.ack(req, topic, group);
    const acked = ackResults.filter((s) => s === T.AckStatus.ACKED).length;
    if (maxMessages === 0) return new T.GetResult({ messages: [], acked, ackResults });
    const deliveries = await this.deps.reader.read({
      topic,
      group,
      subscription,
      maxMessages,
      waitMs,
      invisibleMs,
      maxBytes: this.opts.getMaxResponseBytes,
      orderly: req.orderly === true,
      reserve: reply?.reserve,
    });
    if (deliveries.length === 0 && reply?.refused) {
      throw new MqError('BUSY', `gateway busy: replies being assembled hold maxInflightReplyBytes (${reply.cap} bytes); retry later`, { retriable: true });
    }
    // A DLQ read without an explicit grant on it returns only dead letters of topics the principal may read.
    const keep = auth.dlqFilter(req.auth, topic);
    const shown = keep ? deliveries.filter((d) => keep(d.message.properties[PROP.RETRY_TOPIC])) : deliveries;
    let bytes = 0;
    const messages = shown.map((d) => {
      bytes += d.message.body.length;
      return this.toReceived(topic, group, d, invisibleMs > 0);
    });
    if (bytes > 0) this.deps.metrics.bytes.inc({ method: 'get', topic, direction: 'out' }, bytes);
    return new T.GetResult({ messages, acked, ackResults });
  }

  /** One delivery as a ReceivedMessage: user properties only, and a signed receipt in at-least-once mode. */
  private toReceived(topic: string, group: string, d: Delivery, withReceipt: boolean): T.ReceivedMessage {
    const m = d.message;
    return new T.ReceivedMessage({
      msgId: m.msgId,
      topic,
      body: m.body,
      tags: m.tags,
      keys: m.keys,
      properties: userProperties(m.properties),
      bornTimestamp: i64(m.bornTimestamp),
      storeTimestamp: i64(m.storeTimestamp),
      brokerName: m.brokerName,
      queueId: m.queueId,
      queueOffset: i64(m.queueOffset),
      deliveryAttempt: d.attempt,
      uniqueId: m.uniqId,
      receipt:
        withReceipt && d.lease > 0
          ? this.deps.signer.sign({
              group,
              topic,
              queueKey: d.queueKey,
              offset: m.queueOffset,
              lease: d.lease,
              attempt: d.attempt,
              deadline: d.deadline,
            })
          : undefined,
    });
  }

  /**
   * Acks the request's receipts, one status per receipt in order: a receipt that does not verify (MAC, format) or
   * names another group or topic is INVALID; the others go to coord per queue, where a repeated one is
   * ALREADY_ACKED and one whose lease ended is EXPIRED. None of these fails the call or keeps the others from being
   * applied.
   */
  private async ack(req: T.GetRequest, topic: string, group: string): Promise<T.AckStatus[]> {
    const receipts = req.ack ?? [];
    if (receipts.length === 0) return [];
    if (receipts.length > MAX_ACKS) throw new MqError('INVALID_ARGUMENT', `GetRequest.ack has ${receipts.length} receipts, more than ${MAX_ACKS}`);
    const out: T.AckStatus[] = receipts.map(() => T.AckStatus.INVALID);
    const byQueue = new Map<string, { queueKey: string; items: AckItem[]; index: number[] }>();
    receipts.forEach((text, i) => {
      const r = this.deps.signer.verify(text);
      if (!r || r.group !== group || r.topic !== topic) return;
      const e = byQueue.get(r.queueKey) ?? { queueKey: r.queueKey, items: [], index: [] };
      e.items.push({ lease: r.lease, offset: r.offset });
      e.index.push(i);
      byQueue.set(r.queueKey, e);
    });
    for (const e of byQueue.values()) {
      const res = await this.deps.coord.ack({ group, topic, queueKey: e.queueKey }, e.items);
      res.statuses.forEach((s, k) => (out[e.index[k]] = ACK_STATUS[s]));
    }
    return out;
  }
}

const ACK_STATUS: Record<AckStatus, T.AckStatus> = {
  OK: T.AckStatus.ACKED,
  ALREADY_ACKED: T.AckStatus.ALREADY_ACKED,
  STALE: T.AckStatus.EXPIRED,
};
