/**
 * The one place where broker and name-server response codes become {@link MqError}s (CONVENTIONS "map codes at
 * the edges only"). The peer's remark is kept in the message; the code, remark and peer go in `details`.
 *
 * Retriability follows the Java producer (ref §6.2): for sends, SYSTEM_ERROR, SERVICE_NOT_AVAILABLE,
 * NO_PERMISSION, TOPIC_NOT_EXIST, NO_BUYER_ID and NOT_IN_CURRENT_UNIT are worth another broker set; SYSTEM_BUSY is
 * retriable here too (unlike Java) because the gateway promises to try the other broker sets before giving up.
 */
import { MqError } from '../common';
import type { ErrorCode } from '../common';
import { ResponseCode } from '../remoting';

/** What the failed call was, for messages and for op-specific retriability. */
export type ClientOp =
  | 'send'
  | 'pull'
  | 'route'
  | 'clusterInfo'
  | 'heartbeat'
  | 'offset'
  | 'sendBack'
  | 'createTopic'
  | 'admin';

const NAME_BY_CODE: ReadonlyMap<number, string> = new Map(
  Object.entries(ResponseCode).map(([name, code]) => [code as number, name]),
);

/** The RocketMQ name of a response code, e.g. `SYSTEM_BUSY`, or `CODE_<n>` for unknown ones. */
export function responseCodeName(code: number): string {
  return NAME_BY_CODE.get(code) ?? `CODE_${code}`;
}

/** Remarks of SYSTEM_ERROR that are really flow control (ref §6.1 `[PC_SYNCHRONIZED]`). */
const BUSY_REMARK = /\[(PC_SYNCHRONIZED|REJECTREQUEST|OVERLOAD|PCBUSY_CLEAN_QUEUE|TIMEOUT_CLEAN_QUEUE)\]|system busy|broker busy/i;
/** MESSAGE_ILLEGAL remarks about sizes (ref §5.11). */
const SIZE_REMARK = /length|size|too large|limit/i;

/** Codes the Java producer retries on another broker set (ref §6.2 `retryResponseCodes`). */
const SEND_RETRY_CODES: ReadonlySet<number> = new Set<number>([
  ResponseCode.SYSTEM_ERROR,
  ResponseCode.SYSTEM_BUSY,
  ResponseCode.SERVICE_NOT_AVAILABLE,
  ResponseCode.NO_PERMISSION,
  ResponseCode.TOPIC_NOT_EXIST,
  ResponseCode.NO_BUYER_ID,
  ResponseCode.NOT_IN_CURRENT_UNIT,
]);

function classify(code: number, remark: string): { errorCode: ErrorCode; retriable: boolean } {
  switch (code) {
    case ResponseCode.SYSTEM_BUSY:
    case ResponseCode.FLOW_CONTROL:
      return { errorCode: 'BUSY', retriable: true };
    case ResponseCode.SYSTEM_ERROR:
      return BUSY_REMARK.test(remark)
        ? { errorCode: 'BUSY', retriable: true }
        : { errorCode: 'INTERNAL', retriable: true };
    case ResponseCode.MESSAGE_ILLEGAL:
      return { errorCode: SIZE_REMARK.test(remark) ? 'PAYLOAD_TOO_LARGE' : 'INVALID_ARGUMENT', retriable: false };
    case ResponseCode.SERVICE_NOT_AVAILABLE:
    case ResponseCode.NO_BUYER_ID:
    case ResponseCode.NOT_IN_CURRENT_UNIT:
    case ResponseCode.CONSUMER_NOT_ONLINE:
      return { errorCode: 'UNAVAILABLE', retriable: true };
    case ResponseCode.NO_PERMISSION:
      return { errorCode: 'PERMISSION_DENIED', retriable: false };
    case ResponseCode.TOPIC_NOT_EXIST:
      return { errorCode: 'TOPIC_NOT_FOUND', retriable: false };
    case ResponseCode.QUERY_NOT_FOUND:
    case ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST:
    case ResponseCode.SUBSCRIPTION_NOT_EXIST:
    case ResponseCode.NO_MESSAGE:
      return { errorCode: 'NOT_FOUND', retriable: false };
    case ResponseCode.SUBSCRIPTION_PARSE_FAILED:
    case ResponseCode.SUBSCRIPTION_NOT_LATEST:
    case ResponseCode.TOPIC_EXIST_ALREADY:
      return { errorCode: 'INVALID_ARGUMENT', retriable: false };
    case ResponseCode.REQUEST_CODE_NOT_SUPPORTED:
    case ResponseCode.VERSION_NOT_SUPPORTED:
      return { errorCode: 'PROTOCOL', retriable: false };
    case ResponseCode.CONSUME_MSG_TIMEOUT:
      return { errorCode: 'TIMEOUT', retriable: true };
    default:
      return { errorCode: 'INTERNAL', retriable: false };
  }
}

/**
 * Turns a non-success response into an MqError.
 * @param op what was attempted; sends make the Java producer's retry codes retriable (ref §6.2).
 * @param peer the `host:port` (and broker name, if known) that answered.
 */
export function responseError(
  op: ClientOp,
  peer: string,
  response: { code: number; remark?: string },
  extra: Record<string, unknown> = {},
): MqError {
  const remark = response.remark ?? '';
  const name = responseCodeName(response.code);
  const { errorCode, retriable } = classify(response.code, remark);
  const retry = op === 'send' ? SEND_RETRY_CODES.has(response.code) || retriable : retriable;
  const text = `${op} to ${peer} failed: ${name}(${response.code})${remark ? ` ${remark}` : ''}`;
  return new MqError(errorCode, text, {
    retriable: retry,
    details: { ...extra, peer, responseCode: response.code, responseName: name, remark },
  });
}

/**
 * Adds the operation and peer to a transport error (TIMEOUT, UNAVAILABLE, CLOSED from the remoting client) or
 * wraps anything else as INTERNAL. Transport errors stay retriable.
 */
export function transportError(op: ClientOp, peer: string, err: unknown, extra: Record<string, unknown> = {}): MqError {
  if (err instanceof MqError) {
    if (typeof err.details.peer === 'string' && err.details.op === op) return err;
    const msg = err.message.includes(peer) ? err.message : `${err.message} (${op} to ${peer})`;
    return new MqError(err.code, `${op}: ${msg}`, {
      retriable: err.retriable,
      cause: err,
      details: { ...err.details, ...extra, op, peer },
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new MqError('INTERNAL', `${op} to ${peer} failed: ${message}`, { cause: err, details: { ...extra, op, peer } });
}
