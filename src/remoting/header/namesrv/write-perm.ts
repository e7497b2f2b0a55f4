/**
 * WIPE_WRITE_PERM_OF_BROKER (205) and ADD_WRITE_PERM_OF_BROKER (327) headers (ref §2.3.1). They share one shape:
 *   request  extFields: brokerName!
 *   response extFields: wipeTopicCount:int (205) | addTopicCount:int (327)
 */
import type { ExtInput } from '../../command';
import { extInt, extString } from '../fields';
import type { ExtFields } from '../fields';

export interface WritePermRequestHeader {
  brokerName: string;
}

export function decodeWritePermRequestHeader(ext: ExtFields): WritePermRequestHeader {
  return { brokerName: extString(ext, 'brokerName') };
}

export function encodeWritePermRequestHeader(h: WritePermRequestHeader): ExtInput {
  return { brokerName: h.brokerName };
}

export interface WipeWritePermResponseHeader {
  wipeTopicCount: number;
}

export function decodeWipeWritePermResponseHeader(ext: ExtFields): WipeWritePermResponseHeader {
  return { wipeTopicCount: extInt(ext, 'wipeTopicCount') };
}

export function encodeWipeWritePermResponseHeader(h: WipeWritePermResponseHeader): ExtInput {
  return { wipeTopicCount: h.wipeTopicCount };
}

export interface AddWritePermResponseHeader {
  addTopicCount: number;
}

export function decodeAddWritePermResponseHeader(ext: ExtFields): AddWritePermResponseHeader {
  return { addTopicCount: extInt(ext, 'addTopicCount') };
}

export function encodeAddWritePermResponseHeader(h: AddWritePermResponseHeader): ExtInput {
  return { addTopicCount: h.addTopicCount };
}
