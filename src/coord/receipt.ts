/**
 * Receipt codec: the self-describing, opaque string a consumer passes back to ack a message delivered with
 * invisibleMs > 0 (GetRequest.ack). Any gateway replica can decode it, so any replica can ack it.
 *
 *   receipt = "r1." base64url(payload)            ; no padding; at most MAX_RECEIPT_LENGTH characters
 *   payload = group LF topic LF queueKey LF offset LF lease LF attempt LF deadline
 *   offset, lease, attempt, deadline = 1*DIGIT    ; decimal, no sign; deadline in ms since the epoch
 *   group, topic, queueKey = 1*(any UTF-8 character except LF)
 *
 * The receipt is not signed: a forged one can only name a lease and offset, and the coordinator rejects any pair
 * that is not pending (AckStatus STALE). Pure: no I/O.
 */
import type { AckItem, QueueRef } from './types';

/** Longest receipt accepted by {@link decodeReceipt}, in characters. */
export const MAX_RECEIPT_LENGTH = 2048;

const PREFIX = 'r1.';

/** What a receipt names: the queue state, and the ack item inside it. */
export interface ReceiptData extends QueueRef, AckItem {
  /** The delivery attempt the receipt was issued for (1 = first delivery). */
  readonly attempt: number;
  /** When the lease expires, in ms since the epoch (informational: a late ack is accepted until re-claimed). */
  readonly deadline: number;
}

export function encodeReceipt(r: ReceiptData): string {
  const payload = [r.group, r.topic, r.queueKey, r.offset, r.lease, r.attempt, r.deadline].join('\n');
  return PREFIX + Buffer.from(payload, 'utf8').toString('base64url');
}

/** Decodes a receipt, or returns null when it is malformed (the caller answers INVALID_ARGUMENT). */
export function decodeReceipt(s: string): ReceiptData | null {
  if (typeof s !== 'string' || s.length > MAX_RECEIPT_LENGTH || !s.startsWith(PREFIX)) return null;
  const body = s.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return null;
  const parts = Buffer.from(body, 'base64url').toString('utf8').split('\n');
  if (parts.length !== 7) return null;
  const [group, topic, queueKey, ...nums] = parts;
  if (!group || !topic || !queueKey || !nums.every((n) => /^\d{1,16}$/.test(n))) return null;
  const [offset, lease, attempt, deadline] = nums.map(Number);
  if (![offset, lease, attempt, deadline].every(Number.isSafeInteger)) return null;
  return { group, topic, queueKey, offset, lease, attempt, deadline };
}
