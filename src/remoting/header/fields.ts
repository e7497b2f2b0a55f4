/**
 * Typed access to extFields (ref §1.5). Every value travels as a string; ali-ons sends raw JSON numbers and
 * booleans, which the JSON header decoder has already turned into strings, but these helpers also accept them.
 * A missing required field throws MqError('INVALID_ARGUMENT', 'the custom field <x> is null'), Java's wording; the
 * server answers SYSTEM_ERROR with that remark.
 */
import { MqError } from '../../common';

/** extFields as received; values may be strings (Java), numbers or booleans (direct callers). */
export type ExtFields = Readonly<Record<string, string | number | boolean | undefined | null>> | undefined;

function missing(name: string): MqError {
  return new MqError('INVALID_ARGUMENT', `the custom field <${name}> is null`, { details: { field: name } });
}

function raw(ext: ExtFields, name: string): string | number | boolean | undefined {
  const v = ext?.[name];
  return v === null ? undefined : v;
}

/** A string field. */
export function extString(ext: ExtFields, name: string, required?: true): string;
export function extString(ext: ExtFields, name: string, required: false): string | undefined;
export function extString(ext: ExtFields, name: string, required = true): string | undefined {
  const v = raw(ext, name);
  if (v === undefined) {
    if (required) throw missing(name);
    return undefined;
  }
  return typeof v === 'string' ? v : String(v);
}

/** Parses an integer like Java's Integer.parseInt / Long.parseLong (optional sign, decimal digits). */
function parseInteger(name: string, v: string | number | boolean, min: number, max: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[+-]?\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new MqError('INVALID_ARGUMENT', `the custom field <${name}> is not a valid integer: ${JSON.stringify(v)}`, {
      details: { field: name },
    });
  }
  return n;
}

/** A 32-bit integer field. */
export function extInt(ext: ExtFields, name: string, required?: true): number;
export function extInt(ext: ExtFields, name: string, required: false): number | undefined;
export function extInt(ext: ExtFields, name: string, required = true): number | undefined {
  const v = raw(ext, name);
  if (v === undefined) {
    if (required) throw missing(name);
    return undefined;
  }
  return parseInteger(name, v, -0x80000000, 0x7fffffff);
}

/** A 64-bit integer field, as a JS number (exact up to 2^53, enough for offsets and timestamps; beyond: clamped). */
export function extLong(ext: ExtFields, name: string, required?: true): number;
export function extLong(ext: ExtFields, name: string, required: false): number | undefined;
export function extLong(ext: ExtFields, name: string, required = true): number | undefined {
  const v = raw(ext, name);
  if (v === undefined) {
    if (required) throw missing(name);
    return undefined;
  }
  // Java callers send Long.MAX_VALUE / Long.MIN_VALUE for "no bound" (queryMessage's endTimestamp): every Java long
  // is accepted, values beyond 2^53 are clamped to the safe range, which no offset or timestamp reaches.
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) {
    const big = BigInt(v.trim());
    if (big >= JAVA_LONG_MIN && big <= JAVA_LONG_MAX) {
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
      if (big < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
    }
  }
  return parseInteger(name, v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}

const JAVA_LONG_MAX = 2n ** 63n - 1n;
const JAVA_LONG_MIN = -(2n ** 63n);

/** A boolean field: like Java's Boolean.parseBoolean, only a case-insensitive "true" is true. */
export function extBool(ext: ExtFields, name: string, required?: true): boolean;
export function extBool(ext: ExtFields, name: string, required: false): boolean | undefined;
export function extBool(ext: ExtFields, name: string, required = true): boolean | undefined {
  const v = raw(ext, name);
  if (v === undefined) {
    if (required) throw missing(name);
    return undefined;
  }
  if (typeof v === 'boolean') return v;
  return String(v).trim().toLowerCase() === 'true';
}

/**
 * The optional `logId` response field of our brokers (the identity of the log a queue answer describes, on pull and
 * offset responses), as `{ logId }` when present and non-empty, else `{}`. RocketMQ brokers never send it.
 */
export function logIdField(ext: ExtFields): { logId?: string } {
  const v = extString(ext, 'logId', false);
  return v === undefined || v === '' ? {} : { logId: v };
}
