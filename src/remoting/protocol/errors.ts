/**
 * The one error type the remoting codecs throw: an MqError('PROTOCOL') whose `details.reason` names what was wrong.
 * The server uses the reason as the `reason` label of METRIC.remotingBadFrames.
 */
import { MqError } from '../../common';

/** Why a frame was rejected. */
export type BadFrameReason =
  | 'frame_too_long'
  | 'frame_too_short'
  | 'header_too_long'
  | 'serialize_type'
  | 'bad_json'
  | 'bad_header'
  | 'partial_timeout';

/** Builds the codec error; `details.reason` carries the reason for metrics and logs. */
export function badFrame(reason: BadFrameReason, message: string, details: Record<string, unknown> = {}): MqError {
  return new MqError('PROTOCOL', message, { details: { reason, ...details } });
}

/** The reason of a codec error, or `undefined` when the error did not come from the codec. */
export function badFrameReason(err: unknown): BadFrameReason | undefined {
  if (err instanceof MqError && err.code === 'PROTOCOL' && typeof err.details.reason === 'string') {
    return err.details.reason as BadFrameReason;
  }
  return undefined;
}
