/**
 * REGISTER_BROKER (103) headers (ref §2.3.1).
 *   request  extFields: brokerName! brokerAddr! clusterName! haServerAddr! brokerId!:long compressed:bool bodyCrc32:int
 *   response extFields: haServerAddr masterAddr (set only when a slave registers and its master is live)
 */
import type { ExtInput } from '../../command';
import { extBool, extInt, extLong, extString } from '../fields';
import type { ExtFields } from '../fields';

export interface RegisterBrokerRequestHeader {
  brokerName: string;
  /** Main remoting address `ip:port`. */
  brokerAddr: string;
  clusterName: string;
  /** HA address `ip:haPort`. */
  haServerAddr: string;
  /** 0 = master, > 0 = slave. */
  brokerId: number;
  /** True when the body is the deflated binary form (ref §3.3). */
  compressed: boolean;
  /** CRC32 of the body masked with 0x7FFFFFFF; 0 = not checked. */
  bodyCrc32: number;
}

export function decodeRegisterBrokerRequestHeader(ext: ExtFields): RegisterBrokerRequestHeader {
  return {
    brokerName: extString(ext, 'brokerName'),
    brokerAddr: extString(ext, 'brokerAddr'),
    clusterName: extString(ext, 'clusterName'),
    haServerAddr: extString(ext, 'haServerAddr'),
    brokerId: extLong(ext, 'brokerId'),
    compressed: extBool(ext, 'compressed', false) ?? false,
    bodyCrc32: extInt(ext, 'bodyCrc32', false) ?? 0,
  };
}

export function encodeRegisterBrokerRequestHeader(h: RegisterBrokerRequestHeader): ExtInput {
  return { ...h };
}

export interface RegisterBrokerResponseHeader {
  haServerAddr?: string;
  masterAddr?: string;
}

export function decodeRegisterBrokerResponseHeader(ext: ExtFields): RegisterBrokerResponseHeader {
  return { haServerAddr: extString(ext, 'haServerAddr', false), masterAddr: extString(ext, 'masterAddr', false) };
}

export function encodeRegisterBrokerResponseHeader(h: RegisterBrokerResponseHeader): ExtInput {
  return { haServerAddr: h.haServerAddr, masterAddr: h.masterAddr };
}
