/*
 * mqgateway: the public contract.
 *
 * One service, MessageGateway, with exactly two methods, send and get. Both take one request struct so that fields
 * can be added later without breaking stubs that are already deployed (new fields are always optional, with new ids).
 *
 * Wire: TFramedTransport + TBinaryProtocol over TCP (optionally TLS). Default port 9090.
 * Sizes: a message body may be up to maxMessageSize bytes (8 MiB = 8388608 by default, a gateway option). The
 * gateway's Thrift frame limit is maxMessageSize plus headroom; clients whose library caps frames (Go: MaxFrameSize
 * 16,384,000 by default) should raise their own limit when they batch large bodies.
 *
 * Field ids follow the order of DESIGN.md ("The Thrift contract"), starting at 1. Never renumber or reuse an id.
 */

namespace py mqgateway.api
namespace php MqGateway.Api
namespace go api
namespace js mqgateway

/** Why a request, or one message of a batch, failed. Never renumber: values travel as i32. */
enum ErrorCode {
  /** A field is missing or malformed (bad topic name, empty body, maxMessages out of range, too many receipts). */
  INVALID_ARGUMENT = 1,
  /** A body is larger than the gateway's maxMessageSize (8 MiB by default). Not retryable. */
  PAYLOAD_TOO_LARGE = 2,
  /** The auth token is missing or unknown (only when the gateway runs with a tokens file). */
  UNAUTHENTICATED = 3,
  /** The token is valid but has no grant for this topic or consumer group. */
  PERMISSION_DENIED = 4,
  /** The topic has no route in the cluster (and the gateway does not create topics automatically). */
  TOPIC_NOT_FOUND = 5,
  /** The cluster or the gateway is overloaded; retry after retryAfterMs. */
  BUSY = 6,
  /** A dependency (brokers, name servers, Redis) cannot be reached right now; retryable. */
  UNAVAILABLE = 7,
  /** The call did not complete within the gateway's deadline; the outcome of a send is unknown. Retryable. */
  TIMEOUT = 8,
  /** A bug or an unexpected state in the gateway. */
  INTERNAL = 9,
}

/**
 * The durability outcome of one stored message, as RocketMQ reports it. Every value means the message was appended
 * to the master's commit log; the values other than OK say which extra guarantee was not confirmed in time.
 */
enum SendStatus {
  /** Stored, and flushed / replicated as the broker set is configured to do. */
  OK = 0,
  /** Stored in the master's page cache, but the synchronous disk flush (flushDiskType=SYNC_FLUSH) timed out. */
  FLUSH_DISK_TIMEOUT = 1,
  /** Stored on the master, but the SYNC_MASTER replication to the slave timed out. */
  FLUSH_SLAVE_TIMEOUT = 2,
  /** Stored on the master, but a SYNC_MASTER had no slave connected to replicate to. */
  SLAVE_NOT_AVAILABLE = 3,
}

/**
 * The outcome of one receipt of GetRequest.ack (GetResult.ackResults, in request order). Never renumber.
 * Neither ALREADY_ACKED nor EXPIRED fails the call or affects the other receipts of the same request.
 */
enum AckStatus {
  /** This ack committed the message: it will not be delivered to the group again. */
  ACKED = 0,
  /** The message had already been acked (a repeated ack); nothing changed. */
  ALREADY_ACKED = 1,
  /**
   * The receipt's lease had ended before the ack arrived (the message was or will be delivered again, possibly to
   * another consumer, or went to the DLQ). Ack the receipt of the newer delivery instead.
   */
  EXPIRED = 2,
  /** The receipt is not one this gateway issued for this topic and group (bad MAC, another group or topic, garbage). */
  INVALID = 3,
}

/** One message to send. */
struct Message {
  /**
   * The topic. Required. 1..127 characters of [A-Za-z0-9_%|-] (RocketMQ's rule); the topic must exist in the
   * cluster unless the gateway auto-creates topics.
   */
  1: required string topic,
  /** The payload. Required, 1 byte .. maxMessageSize (8 MiB by default). Delivered byte-identical. */
  2: required binary body,
  /**
   * One tag, used by consumers' tag expressions (GetRequest.tagExpression). Optional, default none.
   * Up to 255 characters; must not contain "||" or whitespace at either end.
   */
  3: optional string tags,
  /**
   * Business keys, indexed by the broker for lookup by key. Optional, default empty. Each key is 1..255 characters
   * without spaces (RocketMQ joins keys with a space on the wire).
   */
  4: optional list<string> keys,
  /**
   * User properties, delivered unchanged. Optional, default empty. Names and values are UTF-8 strings without the
   * characters U+0001 and U+0002 (RocketMQ's property separators); names must not use RocketMQ's reserved names.
   * All properties together are limited to 32767 bytes when encoded.
   */
  5: optional map<string, string> properties,
  /**
   * Ordering key. Optional, default none (queues are chosen round-robin). Messages with the same shardingKey always
   * go to the same queue of the topic, so they are stored and delivered in send order (while the route is unchanged).
   */
  6: optional string shardingKey,
}

/** The argument of send. */
struct SendRequest {
  /**
   * The messages, 1..1024 of them, possibly to different topics. The whole batch is validated before anything is
   * stored; an invalid message fails the whole call with INVALID_ARGUMENT or PAYLOAD_TOO_LARGE and GatewayError.index.
   */
  1: required list<Message> messages,
  /** The auth token. Required only when the gateway runs with a tokens file; ignored otherwise. */
  2: optional string auth,
}

/** Why one message of a batch could not be stored (the rest of the batch may have been stored). */
struct MessageError {
  /** The error class; BUSY, UNAVAILABLE and TIMEOUT are worth retrying. */
  1: required ErrorCode code,
  /** A human-readable explanation (names the broker set, the limit and the option to change where it applies). */
  2: required string message,
  /** True when sending this message again may succeed. */
  3: optional bool retryable,
  /** With BUSY: a suggested wait before retrying, in milliseconds. */
  4: optional i32 retryAfterMs,
}

/** The outcome of one message of a SendRequest; send returns exactly one per message, in request order. */
struct SendResult {
  /** The RocketMQ message id (offset msgId, 32 hex characters). Empty when error is set. */
  1: optional string msgId,
  /** The broker set that stored the message. Empty when error is set. */
  2: optional string brokerName,
  /** The queue of that broker set, 0-based. -1 when error is set. */
  3: optional i32 queueId = -1,
  /** The message's offset in that queue (a count of messages, not bytes). -1 when error is set. */
  4: optional i64 queueOffset = -1,
  /** The durability outcome when the message was stored. Default OK. */
  5: optional SendStatus status = SendStatus.OK,
  /** Set when this one message could not be stored after the gateway's retries; the other fields are then empty. */
  6: optional MessageError error,
  /**
   * The client-side unique id of the message (RocketMQ's UNIQ_KEY property, 32 hex characters), created by the gateway
   * once per message of the request. Every stored copy of a send that the gateway retried carries the same uniqueId,
   * so pipelines can deduplicate with it. Empty when error is set.
   */
  7: optional string uniqueId,
}

/** The argument of get. */
struct GetRequest {
  /** The topic to read. Required; may be %DLQ%<group> to read a group's dead-letter queue. */
  1: required string topic,
  /** The consumer group, 1..255 characters of [A-Za-z0-9_%|-]. Required. Each group sees every message once. */
  2: required string consumerGroup,
  /**
   * Which tags to return: "*" (default, every message) or tags joined with "||", e.g. "A || B". Messages whose tag
   * does not match are skipped (and count as consumed by this group).
   */
  3: optional string tagExpression = "*",
  /** The most messages to return, 0..1024. Default 32. 0 returns nothing and only processes `ack`. */
  4: optional i32 maxMessages = 32,
  /**
   * Long poll: when no message is available, wait up to this many milliseconds for one, 0..30000. Default 0 (return
   * at once). The call returns as soon as at least one message is available.
   */
  5: optional i32 waitMs = 0,
  /**
   * Visibility timeout in milliseconds, 0..43200000 (12 h). Default 0.
   * 0: auto-ack, the group's offset is committed when the messages are returned (at-most-once for the caller).
   * Above 0: at-least-once; each returned message carries a receipt and is delivered again, with deliveryAttempt + 1,
   * when it is not acked within invisibleMs. After maxReconsumeTimes (16) deliveries it moves to %DLQ%<group>.
   */
  6: optional i32 invisibleMs = 0,
  /**
   * Receipts (ReceivedMessage.receipt) of messages that were processed, up to 4096. Optional, default empty. They are
   * acked before new messages are fetched, on any gateway replica, and they are applied even when the fetch part of
   * the same call fails. Acks are idempotent and judged one by one: GetResult.ackResults has one AckStatus per
   * receipt, in order. A repeated, expired or forged receipt never fails the call or affects the other receipts; a
   * forged one (bad MAC, another topic or group) is reported INVALID and moves no offset.
   */
  7: optional list<string> ack,
  /** The auth token. Required only when the gateway runs with a tokens file; ignored otherwise. */
  8: optional string auth,
  /**
   * Ordered consumption. Optional, default false. When true, at most one consumer of the group holds messages of a
   * given queue at a time, no newer message of a queue is handed out while an older one of it is unacked, and a
   * redelivery of a queue's head comes first. Together with Message.shardingKey this gives per-key order end to end.
   */
  9: optional bool orderly = false,
}

/** One delivered message. */
struct ReceivedMessage {
  /** The RocketMQ message id, as returned by send. */
  1: required string msgId,
  /** The topic it was read from (the DLQ topic for dead letters). */
  2: required string topic,
  /** The payload, byte-identical to what was sent. */
  3: required binary body,
  /** The tag given at send, if any. */
  4: optional string tags,
  /** The keys given at send; empty list when none. */
  5: optional list<string> keys,
  /** The user properties given at send; empty map when none. System properties are not included. */
  6: optional map<string, string> properties,
  /** When the producer (the gateway) created the message, in milliseconds since the Unix epoch. */
  7: optional i64 bornTimestamp,
  /** When the broker stored the message, in milliseconds since the Unix epoch. */
  8: optional i64 storeTimestamp,
  /** The broker set that holds the message. */
  9: optional string brokerName,
  /** The queue of that broker set, 0-based. */
  10: optional i32 queueId,
  /** The message's offset in that queue (a count of messages). */
  11: optional i64 queueOffset,
  /** 1 on the first delivery to this group, raised by one on every redelivery (invisibleMs > 0 only). */
  12: optional i32 deliveryAttempt = 1,
  /**
   * Set only when invisibleMs > 0: an opaque string to pass back in GetRequest.ack once the message is processed.
   * It is self-describing (broker, queue, offset, group, deadline), so any gateway replica accepts it. Do not parse it.
   */
  13: optional string receipt,
  /** The client-side unique id (RocketMQ's UNIQ_KEY), as SendResult.uniqueId returned; the same for retried copies. */
  14: optional string uniqueId,
}

/** The result of get. */
struct GetResult {
  /** The messages, 0..maxMessages of them, in queue order per queue. */
  1: required list<ReceivedMessage> messages,
  /** How many receipts of GetRequest.ack were ACKED by this call (ALREADY_ACKED, EXPIRED and INVALID not counted). */
  2: optional i32 acked = 0,
  /** One status per receipt of GetRequest.ack, in request order. Empty when the request carried no ack. */
  3: optional list<AckStatus> ackResults,
}

/** The error a whole call fails with. */
exception GatewayError {
  /** The error class. */
  1: required ErrorCode code,
  /** A human-readable explanation naming the limit or option involved. */
  2: required string message,
  /** True when the same call may succeed later (BUSY, UNAVAILABLE, TIMEOUT). */
  3: optional bool retryable = false,
  /** With BUSY: a suggested wait before retrying, in milliseconds. */
  4: optional i32 retryAfterMs,
  /** With INVALID_ARGUMENT / PAYLOAD_TOO_LARGE on send: the 0-based index of the offending message in the batch. */
  5: optional i32 index,
}

/** The message gateway. Framed transport, binary protocol. */
service MessageGateway {
  /**
   * Stores a batch of messages. Returns one SendResult per message, in order. A message that failed after the
   * gateway's retries carries SendResult.error; a call-level failure (invalid batch, auth, overload of every broker
   * set) throws GatewayError.
   */
  list<SendResult> send(1: SendRequest request) throws (1: GatewayError error),

  /**
   * Acks the receipts in request.ack, then returns up to maxMessages messages of the topic for the consumer group,
   * waiting up to waitMs for the first one.
   */
  GetResult get(1: GetRequest request) throws (1: GatewayError error),
}
