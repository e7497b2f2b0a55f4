/**
 * UNREGISTER_CLIENT (35) request header (ref §2.3.2).
 *
 * Grammar (request extFields): clientID! producerGroup? consumerGroup?
 * Response: SUCCESS with an empty header.
 */
import { extString } from './fields';

export interface UnregisterClientRequestHeader {
  clientID: string;
  producerGroup?: string;
  consumerGroup?: string;
}

export function decodeUnregisterClientHeader(ext: Record<string, string> | undefined): UnregisterClientRequestHeader {
  return {
    clientID: extString(ext, 'clientID') as string,
    producerGroup: extString(ext, 'producerGroup', false),
    consumerGroup: extString(ext, 'consumerGroup', false),
  };
}

export function encodeUnregisterClientHeader(
  h: UnregisterClientRequestHeader,
): Record<string, string | number | boolean | undefined> {
  return { ...h };
}
