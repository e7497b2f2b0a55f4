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
import { ReceiptSigner } from './signed-receipt';
import type { ReplyReservation } from './reply-budget';
import { PROP } from '../common/message';
import type Int64 from 'node-int64';
import { T } from './thrift-api';
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
      reader: Pick<GroupReader, 'read'>;
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
    const heads = invisibleMs > 0 ? this.runHeads(topic, group, shown) : undefined;
    const messages = new Array<T.ReceivedMessage>(shown.length);
    for (let i = 0; i < shown.length; i++) {
      const d = shown[i];
      bytes += d.message.body.length;
      const head = heads?.[i];
      messages[i] = this.toReceived(topic, d, head === undefined ? undefined : ReceiptSigner.receiptOf(head, d.message.queueOffset));
    }
    if (bytes > 0) this.deps.metrics.bytes.inc({ method: 'get', topic, direction: 'out' }, bytes);
    // Not through the constructor: it would copy every ReceivedMessage (and its keys and properties) once more.
    const result = new T.GetResult();
    result.messages = messages;
    result.acked = acked;
    result.ackResults = ackResults;
    return result;
  }

  /**
   * The signed receipt head of each leased delivery (undefined in auto-ack mode): one MAC per run of consecutive
   * offsets of one queue delivered under one lease (see signed-receipt.ts), not one per message.
   */
  private runHeads(topic: string, group: string, shown: Delivery[]): Array<string | undefined> {
    const heads = new Array<string | undefined>(shown.length);
    let i = 0;
    while (i < shown.length) {
      const d = shown[i];
      if (d.lease <= 0) {
        heads[i++] = undefined;
        continue;
      }
      let j = i + 1;
      while (j < shown.length) {
        const e = shown[j];
        if (e.queueKey !== d.queueKey || e.lease !== d.lease || e.attempt !== d.attempt || e.deadline !== d.deadline) break;
        if (e.message.queueOffset !== shown[j - 1].message.queueOffset + 1) break;
        j++;
      }
      const head = this.deps.signer.signRun(
        { group, topic, queueKey: d.queueKey, lease: d.lease, attempt: d.attempt, deadline: d.deadline },
        d.message.queueOffset,
        shown[j - 1].message.queueOffset,
      );
      for (let k = i; k < j; k++) heads[k] = head;
      i = j;
    }
    return heads;
  }

  /**
   * One delivery as a ReceivedMessage: user properties only, and the signed receipt in at-least-once mode. Fields are
   * set on an empty struct (the generated constructor copies keys and properties again), and the i64 fields hold
   * plain numbers: ReplyProtocol writes a safe integer's 8 bytes directly, the library's protocol through Int64.
   */
  private toReceived(topic: string, d: Delivery, receipt: string | undefined): T.ReceivedMessage {
    const m = d.message;
    const r = new T.ReceivedMessage();
    r.msgId = m.msgId;
    r.topic = topic;
    r.body = m.body;
    if (m.tags !== undefined) r.tags = m.tags;
    r.keys = m.keys;
    r.properties = userProperties(m.properties);
    r.bornTimestamp = m.bornTimestamp as unknown as Int64;
    r.storeTimestamp = m.storeTimestamp as unknown as Int64;
    r.brokerName = m.brokerName;
    r.queueId = m.queueId;
    r.queueOffset = m.queueOffset as unknown as Int64;
    r.deliveryAttempt = d.attempt;
    if (m.uniqId !== undefined) r.uniqueId = m.uniqId;
    if (receipt !== undefined) r.receipt = receipt;
    return r;
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
    const verified = this.deps.signer.verifyAll(receipts);
    verified.forEach((r, i) => {
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
