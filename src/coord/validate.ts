/** Argument checks shared by every backend, so that both reject the same input with the same error. */
import { MqError } from '../common';
import type { QueueRef } from './types';

/** Longest group, topic or queue key accepted (RocketMQ caps topics at 127 and groups at 255 characters). */
const MAX_NAME = 255;

/** Rejects empty or oversized names with MqError('INVALID_ARGUMENT'). */
export function validateQueueRef(q: QueueRef): void {
  for (const [field, value] of [
    ['group', q.group],
    ['topic', q.topic],
    ['queueKey', q.queueKey],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME) {
      throw new MqError('INVALID_ARGUMENT', `coord: ${field} must be 1..${MAX_NAME} characters, got ${JSON.stringify(value)}`, {
        details: { field },
      });
    }
  }
}

/** Rejects offsets, counts and times that are not non-negative safe integers (Lua would round them silently). */
export function validateIntegers(where: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new MqError('INVALID_ARGUMENT', `coord ${where}: ${name} must be a non-negative integer, got ${v}`, {
        details: { field: name },
      });
    }
  }
}

/** The rejection of a claim that found no state for the queue's log (ClaimRequest.startOffsetIfNew = -1). */
export function noStateError(q: QueueRef): MqError {
  return new MqError('NOT_FOUND', `coord: group ${q.group} has no state for ${q.topic} ${q.queueKey} (seed it from the broker first)`, {
    details: { reason: 'NO_STATE' },
  });
}

/** True for {@link noStateError}. */
export function isNoState(err: unknown): boolean {
  return MqError.is(err, 'NOT_FOUND') && (err as MqError).details.reason === 'NO_STATE';
}
