/**
 * RemotingCommand: one request or response of the remoting protocol (ref §1.2), independent of its header encoding.
 */
import { CURRENT_VERSION, RPC_ONEWAY, RPC_TYPE_RESPONSE } from './codes';

/** The two header encodings (ref §1.1): JSON = 0, ROCKETMQ (binary) = 1. */
export type SerializeType = 'JSON' | 'ROCKETMQ';

/** Values a caller may put in extFields; undefined values are dropped, the rest stringified (ref §1.5). */
export type ExtInput = Record<string, string | number | boolean | undefined | null>;

let nextOpaque = 0;

/** A fresh request id: a per-process counter, wrapped inside the positive int32 range. */
function freshOpaque(): number {
  nextOpaque = nextOpaque >= 0x7fffffff ? 1 : nextOpaque + 1;
  return nextOpaque;
}

/** Turns caller values into the string map that travels on the wire (numbers in decimal, booleans as words). */
export function toExtFields(ext?: ExtInput): Record<string, string> | undefined {
  if (!ext) return undefined;
  const out: Record<string, string> = {};
  // Object.keys, not Object.entries: no [key, value] pair array per field (a send request has 13 of them).
  const keys = Object.keys(ext);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = ext[k];
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

export class RemotingCommand {
  /** Request code (ref §2.1) in a request, response code (ref §2.2) in a response. */
  code: number;
  /** Language name, `JAVA` for what we send (ref §12.6 suggests JAVA or OTHER). */
  language = 'JAVA';
  /** Sender's MQVersion ordinal; 409 (V4_9_8) for what we send. */
  version = CURRENT_VERSION;
  /** Request id; a response copies the request's. */
  opaque: number;
  /** Bit 0 = response, bit 1 = oneway. */
  flag = 0;
  remark?: string;
  extFields?: Record<string, string>;
  body?: Buffer;
  /** How the header is (or will be) encoded. */
  serializeType: SerializeType = 'JSON';

  constructor(code: number, opaque = 0) {
    this.code = code;
    this.opaque = opaque;
  }

  /** A request with a fresh opaque; extFields values are stringified, undefined ones dropped. */
  static createRequest(code: number, extFields?: ExtInput, body?: Buffer): RemotingCommand {
    const cmd = new RemotingCommand(code, freshOpaque());
    cmd.extFields = toExtFields(extFields);
    if (body !== undefined) cmd.body = body;
    return cmd;
  }

  /**
   * A response. The server that sends it fills in opaque, the response flag and the serialize type from the request.
   */
  static createResponse(code: number, remark?: string, extFields?: ExtInput, body?: Buffer): RemotingCommand {
    const cmd = new RemotingCommand(code, 0);
    cmd.flag = RPC_TYPE_RESPONSE;
    if (remark !== undefined) cmd.remark = remark;
    cmd.extFields = toExtFields(extFields);
    if (body !== undefined) cmd.body = body;
    return cmd;
  }

  isResponse(): boolean {
    return (this.flag & RPC_TYPE_RESPONSE) !== 0;
  }

  isOneway(): boolean {
    return (this.flag & RPC_ONEWAY) !== 0;
  }

  markOneway(): this {
    this.flag |= RPC_ONEWAY;
    return this;
  }

  markResponse(): this {
    this.flag |= RPC_TYPE_RESPONSE;
    return this;
  }

  /** A short description for logs (never the body). */
  toString(): string {
    const kind = this.isResponse() ? 'response' : this.isOneway() ? 'oneway' : 'request';
    return `RemotingCommand(${kind} code=${this.code} opaque=${this.opaque}${this.remark ? ` remark=${this.remark}` : ''})`;
  }
}
