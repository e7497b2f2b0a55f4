/**
 * The ONE place where errors become Thrift errors (CONVENTIONS "map codes at the edges only"): an {@link MqError}
 * code (from the client, coord or the gateway's own checks) becomes an ErrorCode with `retryable` and, for BUSY,
 * `retryAfterMs`. Anything that is not an MqError is a bug and becomes INTERNAL with its message.
 */
import { MqError } from '../common';
import type { ErrorCode as MqErrorCode } from '../common';
import { T } from './thrift-api';

/** MqError code → Thrift ErrorCode. Codes the Thrift contract does not know fold into the nearest one. */
const CODE_MAP: Readonly<Record<MqErrorCode, T.ErrorCode>> = {
  INVALID_ARGUMENT: T.ErrorCode.INVALID_ARGUMENT,
  INVALID_OPTION: T.ErrorCode.INVALID_ARGUMENT,
  PAYLOAD_TOO_LARGE: T.ErrorCode.PAYLOAD_TOO_LARGE,
  UNAUTHENTICATED: T.ErrorCode.UNAUTHENTICATED,
  PERMISSION_DENIED: T.ErrorCode.PERMISSION_DENIED,
  TOPIC_NOT_FOUND: T.ErrorCode.TOPIC_NOT_FOUND,
  // A broker's QUERY_NOT_FOUND / SUBSCRIPTION_* codes reach a user only as a bad request.
  NOT_FOUND: T.ErrorCode.INVALID_ARGUMENT,
  BUSY: T.ErrorCode.BUSY,
  UNAVAILABLE: T.ErrorCode.UNAVAILABLE,
  // A connection lost mid-call: the dependency is (momentarily) unavailable.
  CLOSED: T.ErrorCode.UNAVAILABLE,
  TIMEOUT: T.ErrorCode.TIMEOUT,
  PROTOCOL: T.ErrorCode.INTERNAL,
  CORRUPT: T.ErrorCode.INTERNAL,
  INTERNAL: T.ErrorCode.INTERNAL,
};

/** Codes a caller may always retry, whatever the origin said. */
const ALWAYS_RETRYABLE: ReadonlySet<T.ErrorCode> = new Set([T.ErrorCode.BUSY, T.ErrorCode.UNAVAILABLE, T.ErrorCode.TIMEOUT]);
/** Codes that are never worth retrying unchanged. */
const NEVER_RETRYABLE: ReadonlySet<T.ErrorCode> = new Set([
  T.ErrorCode.INVALID_ARGUMENT,
  T.ErrorCode.PAYLOAD_TOO_LARGE,
  T.ErrorCode.UNAUTHENTICATED,
  T.ErrorCode.PERMISSION_DENIED,
]);

/** The fields both Thrift error structs (GatewayError, MessageError) share. */
export interface MappedError {
  code: T.ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  index?: number;
}

/**
 * Maps anything thrown to the Thrift error fields.
 * @param defaultRetryAfterMs suggested wait for BUSY when the error carries none (option busyRetryAfterMs).
 */
export function mapError(err: unknown, defaultRetryAfterMs: number): MappedError {
  if (!(err instanceof MqError)) {
    const message = err instanceof Error ? err.message : String(err);
    return { code: T.ErrorCode.INTERNAL, message: `internal error: ${message}`, retryable: false };
  }
  const code = CODE_MAP[err.code] ?? T.ErrorCode.INTERNAL;
  const retryable = ALWAYS_RETRYABLE.has(code) ? true : NEVER_RETRYABLE.has(code) ? false : err.retriable;
  const out: MappedError = { code, message: err.message, retryable };
  if (code === T.ErrorCode.BUSY) {
    const hinted = err.details.retryAfterMs;
    out.retryAfterMs = typeof hinted === 'number' && Number.isFinite(hinted) ? Math.max(0, Math.round(hinted)) : defaultRetryAfterMs;
  }
  const index = err.details.index;
  if ((code === T.ErrorCode.INVALID_ARGUMENT || code === T.ErrorCode.PAYLOAD_TOO_LARGE) && typeof index === 'number') {
    out.index = index;
  }
  return out;
}

/** The GatewayError a whole call fails with. A GatewayError passes through unchanged. */
export function toGatewayError(err: unknown, defaultRetryAfterMs: number): T.GatewayError {
  if (err instanceof T.GatewayError) return err;
  return new T.GatewayError(mapError(err, defaultRetryAfterMs));
}

/** The MessageError of one message of a send batch (no index: the result's position says which message). */
export function toMessageError(err: unknown, defaultRetryAfterMs: number): T.MessageError {
  const { code, message, retryable, retryAfterMs } = mapError(err, defaultRetryAfterMs);
  return new T.MessageError({ code, message, retryable, retryAfterMs });
}

/** The name of a Thrift ErrorCode value, for metrics labels and logs (e.g. `BUSY`). */
export function errorCodeName(code: T.ErrorCode): string {
  return (T.ErrorCode as unknown as Record<number, string>)[code] ?? `CODE_${code}`;
}
