/**
 * The gateway's options, declared once with units and defaults. `mq gateway` accepts these keys plus every key of
 * our RocketMQ client (CLIENT_OPTIONS: namesrvAddr, namesrvDomain, DNS/HTTP address-server keys, timeouts, ...) and,
 * with coord=redis, the Redis keys (REDIS_COORD_OPTIONS: redisUrl, redisKeyPrefix, ...). maxMessageSize is shared
 * with the client so that every layer agrees on it.
 */
import { MqError, opt, resolveOptions } from '../common';
import type { Resolved } from '../common';
import { CLIENT_OPTIONS } from '../client';
import { REDIS_COORD_OPTIONS } from '../coord';

/** The gateway's own keys. Sizes in bytes, times in milliseconds. */
export const GATEWAY_OPTION_SPEC = {
  listenPort: opt(9090, 'Thrift port (framed transport, binary protocol); 0 = any free port', { min: 0, max: 65535 }),
  listenHost: opt('0.0.0.0', 'address the Thrift port binds to'),
  httpPort: opt(9091, 'HTTP port for /metrics and /healthz (0 = any free port, -1 = off)', { min: -1, max: 65535 }),
  httpHost: opt('127.0.0.1', 'address the HTTP port binds to (0.0.0.0 = every interface, for a Prometheus on another host)'),
  logLevel: opt('info', 'pino log level (fatal, error, warn, info, debug, trace)'),
  maxMessageSize: opt(8 * 1024 * 1024, 'largest message body accepted by send, in bytes (PAYLOAD_TOO_LARGE above)', {
    min: 1,
    max: 512 * 1024 * 1024,
  }),
  frameHeadroomBytes: opt(1024 * 1024, 'Thrift frame limit = maxMessageSize + this, in bytes (room for fields and batching)', {
    min: 1024,
  }),
  maxInflightBytes: opt(256 * 1024 * 1024, 'cap on request bytes being received or processed, all connections together; a request over it gets BUSY', {
    min: 1024,
  }),
  maxInflightBytesPerConnection: opt(32 * 1024 * 1024, 'cap on request bytes being received or processed on one connection; over it: BUSY', {
    min: 1024,
  }),
  maxInflightReplyBytes: opt(256 * 1024 * 1024, 'cap on message bytes that gets are assembling into replies, all connections together; over it a get returns fewer messages (BUSY when none)', {
    min: 1024,
  }),
  frameReadTimeoutMs: opt(10000, 'a request frame must arrive completely within this time plus its size / frameMinBytesPerSecond, in ms (else the connection is closed); 0 = no limit', {
    min: 0,
  }),
  frameMinBytesPerSecond: opt(65536, 'slowest accepted arrival rate of a request frame (extends frameReadTimeoutMs by size / this), in bytes per second', {
    min: 1,
  }),
  maxConnections: opt(10000, 'most open Thrift connections, all clients together (more are closed at once)', { min: 1 }),
  maxConnectionsPerAddress: opt(1000, 'most open Thrift connections from one remote address', { min: 1 }),
  connectionIdleTimeoutMs: opt(600000, 'a Thrift connection with no call for this long is closed, in ms; must exceed maxWaitMs (0 = never)', {
    min: 0,
  }),
  busyRetryAfterMs: opt(1000, 'retryAfterMs suggested with BUSY answers, in ms', { min: 0, max: 3600000 }),
  maxBatchMessages: opt(1024, 'most messages in one send', { min: 1, max: 65536 }),
  sendTimeoutMs: opt(5000, 'time budget of one send call, broker retries included, in ms', { min: 1 }),
  getMaxResponseBytes: opt(16 * 1000 * 1000, 'body bytes after which get stops adding messages (one message always fits), in bytes; keep below clients frame limits', {
    min: 1024,
  }),
  maxWaitMs: opt(30000, 'longest long poll a get may ask for (waitMs), in ms', { min: 0, max: 300000 }),
  maxReconsumeTimes: opt(16, 'deliveries (invisibleMs > 0) after which an unacked message moves to %DLQ%<group>', {
    min: 1,
    max: 1000,
  }),
  reclaimCheckIntervalMs: opt(200, 'how often one gateway looks for expired leases of a queue it reads, at most, in ms', {
    min: 0,
  }),
  offsetFlushIntervalMs: opt(5000, 'how often committed offsets are written to the brokers (UPDATE_CONSUMER_OFFSET), in ms', {
    min: 100,
  }),
  coord: opt<string>('memory', 'consumer-group state: memory (one gateway) or redis (replicas share redisUrl)', {
    values: ['memory', 'redis'],
  }),
  authTokensFile: opt('', 'tokens file (JSON or .properties, see src/gateway/auth.ts); empty = auth off'),
  tlsCertFile: opt('', 'PEM certificate chain for TLS on the Thrift port; empty = plain TCP'),
  tlsKeyFile: opt('', 'PEM private key for tlsCertFile'),
  receiptSecret: opt('', 'HMAC key that signs receipts, or several comma-separated (the first signs, all verify: key rotation); replicas that share consumers must share it; required with coord=redis (empty = a random key per process)'),
  groupStateTtlMs: opt(7 * 24 * 3600 * 1000, 'consumer-group state in coord unused this long expires (its offsets stay on the brokers; a later get starts from them), in ms', {
    min: 1000,
  }),
  tlsCaFile: opt('', 'PEM CA certificates: clients must present a certificate they sign (mutual TLS; its subject CN names the principal); empty = no client certificates'),
  receiptSecretFile: opt('', 'file holding receiptSecret (keeps it off the command line); surrounding whitespace is ignored'),
  redisPasswordFile: opt('', 'file holding the Redis password (used instead of one in redisUrl); surrounding whitespace is ignored'),
};

/** Every key `mq gateway` accepts. Gateway keys win where names are shared (maxMessageSize). */
export const GATEWAY_FULL_SPEC = { ...CLIENT_OPTIONS, ...REDIS_COORD_OPTIONS, ...GATEWAY_OPTION_SPEC };

export type GatewayFullSpec = typeof GATEWAY_FULL_SPEC;
/** Resolved options of `mq gateway`. */
export type GatewayOptions = Resolved<GatewayFullSpec>;

/** Validates input (unknown keys rejected) and checks combinations the spec cannot express. */
export function resolveGatewayOptions(input: Record<string, unknown> = {}): GatewayOptions {
  const o = resolveOptions(GATEWAY_FULL_SPEC, input, 'gateway');
  // Replicas would refuse each other's receipts (each would sign with a random key): refuse to start.
  if (o.coord === 'redis' && o.receiptSecret.trim() === '' && o.receiptSecretFile === '') {
    throw new MqError('INVALID_OPTION', 'gateway: coord=redis needs receiptSecret or receiptSecretFile (the HMAC key every replica shares to verify receipts)', {
      details: { option: 'receiptSecret' },
    });
  }
  // A half-configured TLS would silently serve plain TCP: refuse it.
  if ((o.tlsCertFile === '') !== (o.tlsKeyFile === '')) {
    throw new MqError('INVALID_OPTION', 'gateway: TLS needs both tlsCertFile and tlsKeyFile (or neither)', {
      details: { option: o.tlsCertFile === '' ? 'tlsCertFile' : 'tlsKeyFile' },
    });
  }
  // A cap below one frame would answer every large send with BUSY forever.
  if (o.maxInflightBytesPerConnection < o.maxMessageSize + o.frameHeadroomBytes) {
    throw new MqError(
      'INVALID_OPTION',
      `gateway: maxInflightBytesPerConnection (${o.maxInflightBytesPerConnection}) must hold one largest frame, maxMessageSize + frameHeadroomBytes (${o.maxMessageSize + o.frameHeadroomBytes})`,
      { details: { option: 'maxInflightBytesPerConnection' } },
    );
  }
  if (o.receiptSecret !== '' && o.receiptSecretFile !== '') {
    throw new MqError('INVALID_OPTION', 'gateway: give receiptSecret or receiptSecretFile, not both', { details: { option: 'receiptSecretFile' } });
  }
  if (o.tlsCaFile !== '' && o.tlsCertFile === '') {
    throw new MqError('INVALID_OPTION', 'gateway: tlsCaFile (client certificates) needs TLS: set tlsCertFile and tlsKeyFile', { details: { option: 'tlsCaFile' } });
  }
  // An idle timeout at or below the long poll would close connections that wait for a get.
  if (o.connectionIdleTimeoutMs !== 0 && o.connectionIdleTimeoutMs <= o.maxWaitMs) {
    throw new MqError('INVALID_OPTION', `gateway: connectionIdleTimeoutMs (${o.connectionIdleTimeoutMs}) must exceed maxWaitMs (${o.maxWaitMs}), or be 0`, {
      details: { option: 'connectionIdleTimeoutMs' },
    });
  }
  // A reply cap below one message would answer BUSY to every get of a large message forever.
  if (o.maxInflightReplyBytes < o.maxMessageSize) {
    throw new MqError('INVALID_OPTION', `gateway: maxInflightReplyBytes (${o.maxInflightReplyBytes}) must hold one largest message, maxMessageSize (${o.maxMessageSize})`, {
      details: { option: 'maxInflightReplyBytes' },
    });
  }
  if (o.maxConnectionsPerAddress > o.maxConnections) {
    throw new MqError('INVALID_OPTION', 'gateway: maxConnectionsPerAddress must not exceed maxConnections', { details: { option: 'maxConnectionsPerAddress' } });
  }
  if (o.maxInflightBytesPerConnection > o.maxInflightBytes) {
    throw new MqError('INVALID_OPTION', 'gateway: maxInflightBytesPerConnection must not exceed maxInflightBytes', {
      details: { option: 'maxInflightBytesPerConnection' },
    });
  }
  return o;
}

/** The subset of options that belongs to our RocketMQ client (passed to MQClient as is). */
export function clientOptionsOf(o: GatewayOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(CLIENT_OPTIONS)) out[k] = (o as Record<string, unknown>)[k];
  return out;
}

/** The subset of options that belongs to the Redis coordinator. */
export function redisOptionsOf(o: GatewayOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(REDIS_COORD_OPTIONS)) out[k] = (o as Record<string, unknown>)[k];
  return out;
}
