/** Public types of {@link Producer.send}. */
import type { MqError } from '../../common';

/** One message to send. The topic is given per call. */
export interface ProducerMessage {
  /** The body, stored as given (never compressed, flag 0 in sysFlag). */
  body: Buffer;
  /** One tag (property TAGS); its hash is what brokers filter on (ref §4.8). */
  tags?: string;
  /** Keys indexed for lookup; sent space-joined in KEYS, so a key must not contain a space. */
  keys?: string[];
  /** User properties; reserved names (ref §4.4) are rejected except where noted. */
  properties?: Record<string, string>;
  /** The same key always goes to the same queue (ordered per key), while the queue list is unchanged. */
  shardingKey?: string;
  /** User flag stored with the message (int32). */
  flag?: number;
  /** Delay level 1..18 (ref §5.13); 0 or absent = none. */
  delayLevel?: number;
}

/** Broker durability outcome of a stored message (ref §2.3.2). */
export type SendStatus = 'OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** The outcome of one message, in the order the messages were given. */
export type SendResult =
  | {
      ok: true;
      /** UNIQ_KEY set by this client (ref §4.6). */
      uniqId: string;
      /** Offset message id (ref §4.5): store host + commit-log offset, 32 upper-case hex. */
      msgId: string;
      brokerName: string;
      queueId: number;
      /** Consume-queue index of this message. */
      queueOffset: number;
      status: SendStatus;
    }
  | {
      ok: false;
      uniqId: string;
      /** Why this message could not be stored after the retries allowed by the deadline. */
      error: MqError;
    };

export interface SendOptions {
  /** Time budget of the whole call, retries included, in ms from now; default option sendMsgTimeout. */
  deadlineMs?: number;
  /**
   * For sends to `%RETRY%<group>` topics: the reconsume count and limit, carried in the header as Java does
   * (ref §5.14); the broker moves the message to `%DLQ%<group>` when reconsumeTimes ≥ maxReconsumeTimes.
   */
  reconsumeTimes?: number;
  maxReconsumeTimes?: number;
  /**
   * Positions of these messages in the caller's own batch (one per message), used by errors in their text and in
   * `details.index`; default 0..n-1.
   */
  indexes?: readonly number[];
}
