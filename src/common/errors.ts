/**
 * The one coded error base class of the project.
 *
 * Every error that crosses a module boundary is an {@link MqError} with a typed `code` from {@link ERROR_CODES}.
 * Retry logic looks only at `retriable`; edges (client/, gateway/) map codes to wire or Thrift codes.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_OPTION',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'TOPIC_NOT_FOUND',
  'NOT_FOUND',
  'BUSY',
  'UNAVAILABLE',
  'TIMEOUT',
  'PROTOCOL',
  'CORRUPT',
  'CLOSED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes that are worth retrying unless a caller says otherwise. */
const RETRIABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['BUSY', 'UNAVAILABLE', 'TIMEOUT', 'CLOSED']);

export interface MqErrorOptions {
  /** Overrides the default retriability of the code. */
  retriable?: boolean;
  /** The underlying error, if any. */
  cause?: unknown;
  /** Extra structured data for logs (peer, limit, option name, ...). */
  details?: Record<string, unknown>;
}

export class MqError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: MqErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MqError';
    this.code = code;
    this.retriable = options.retriable ?? RETRIABLE_BY_DEFAULT.has(code);
    this.details = options.details ?? {};
  }

  /** True when `err` is an MqError, optionally with the given code. */
  static is(err: unknown, code?: ErrorCode): err is MqError {
    return err instanceof MqError && (code === undefined || err.code === code);
  }
}

/** Wraps anything thrown into an MqError, keeping an existing one as is. */
export function toMqError(err: unknown, code: ErrorCode = 'INTERNAL'): MqError {
  if (err instanceof MqError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MqError(code, message, { cause: err });
}
