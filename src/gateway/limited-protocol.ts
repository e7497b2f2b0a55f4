/**
 * TBinaryProtocol for requests with limits checked while decoding, before anything is allocated: the generated code
 * creates one object per list element it is told about, so a 9 MiB frame announcing 9 million empty Message structs
 * would otherwise cost about a gigabyte and seconds of CPU before the batch limit is looked at.
 *
 * Checked at each list, set and map header, and at each struct:
 * - the element count is not negative and the elements fit in the bytes left in the frame (each element takes at
 *   least one byte, a string four, an i64 eight): else {@link MalformedFrame} (the connection is closed);
 * - the count stays within the limit of the field it belongs to (SendRequest.messages: maxBatchMessages; a message's
 *   keys and properties; GetRequest.ack: MAX_ACKS; any other list, e.g. an unknown field: 65,536): else
 *   {@link DecodeLimitError}, answered with GatewayError INVALID_ARGUMENT;
 * - nesting (structs, lists, sets, maps) stays within 32 levels: else DecodeLimitError.
 * Strings and binaries cannot exceed the frame (the library checks what is left); their content is checked later.
 */
import thrift from 'thrift';

const Type = thrift.Thrift.Type;

/** A request over one of the decoding limits: answered with INVALID_ARGUMENT naming the limit. */
export class DecodeLimitError extends Error {
  override readonly name = 'DecodeLimitError';
}

/** A frame whose content contradicts itself (negative or impossible sizes): the connection is closed. */
export class MalformedFrame extends Error {
  override readonly name = 'MalformedFrame';
}

export interface DecodeLimits {
  /** Most messages in SendRequest.messages. */
  maxBatchMessages: number;
  /** Most receipts in GetRequest.ack. */
  maxAcks: number;
  /** Most keys of one message. */
  maxKeys: number;
  /** Most properties of one message. */
  maxProperties: number;
  /** Most elements of any other list, set or map. */
  maxOtherElements: number;
  /** Deepest nesting of structs and containers. */
  maxDepth: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<Omit<DecodeLimits, 'maxBatchMessages' | 'maxAcks'>> = Object.freeze({
  // Keys and properties are limited to 32,767 encoded bytes together; each takes two bytes at least.
  maxKeys: 16384,
  maxProperties: 16384,
  maxOtherElements: 65536,
  maxDepth: 32,
});

/** Smallest encoding of one value of a Thrift type, in bytes. */
function minBytes(type: number): number {
  switch (type) {
    case Type.BOOL:
    case Type.BYTE:
    case Type.STRUCT:
      return 1;
    case Type.I16:
      return 2;
    case Type.I32:
    case Type.STRING:
      return 4;
    case Type.I64:
    case Type.DOUBLE:
      return 8;
    case Type.MAP:
      return 6;
    case Type.SET:
    case Type.LIST:
      return 5;
    case 16: // UUID
      return 16;
    default:
      throw new MalformedFrame(`invalid Thrift type ${type}`);
  }
}

export class LimitedProtocol extends thrift.TBinaryProtocol {
  /** Field ids from the call's argument struct down to the field being read. */
  private readonly path: number[] = [];
  private depth = 0;
  private method = '';

  constructor(
    private readonly frame: thrift.TFramedTransport,
    private readonly limits: DecodeLimits,
  ) {
    super(frame);
  }

  /** Bytes of the frame not read yet. */
  private left(): number {
    const t = this.frame as unknown as { inBuf: Buffer; readPos: number };
    return t.inBuf.length - t.readPos;
  }

  override readMessageBegin(): { fname: string; mtype: number; rseqid: number } {
    const r = super.readMessageBegin() as { fname: string; mtype: number; rseqid: number };
    this.method = r.fname;
    return r;
  }

  override readFieldBegin(): { fname: string; ftype: number; fid: number } {
    const r = super.readFieldBegin() as { fname: string; ftype: number; fid: number };
    if (r.ftype !== Type.STOP) this.path.push(r.fid);
    return r;
  }

  override readFieldEnd(): void {
    this.path.pop();
  }

  override readStructBegin(): { fname: string } {
    this.enter();
    return super.readStructBegin() as { fname: string };
  }

  override readStructEnd(): void {
    this.depth--;
  }

  override readListBegin(): { etype: number; size: number } {
    this.enter();
    const r = super.readListBegin() as { etype: number; size: number };
    this.checkSize(r.size, minBytes(r.etype), 'list');
    return r;
  }

  override readListEnd(): void {
    this.depth--;
  }

  override readSetBegin(): { etype: number; size: number } {
    this.enter();
    const r = super.readSetBegin() as { etype: number; size: number };
    this.checkSize(r.size, minBytes(r.etype), 'set');
    return r;
  }

  override readSetEnd(): void {
    this.depth--;
  }

  override readMapBegin(): { ktype: number; vtype: number; size: number } {
    this.enter();
    const r = super.readMapBegin() as { ktype: number; vtype: number; size: number };
    this.checkSize(r.size, minBytes(r.ktype) + minBytes(r.vtype), 'map');
    return r;
  }

  override readMapEnd(): void {
    this.depth--;
  }

  private enter(): void {
    if (++this.depth > this.limits.maxDepth) {
      throw new DecodeLimitError(`request nests structs and containers deeper than ${this.limits.maxDepth} levels`);
    }
  }

  private checkSize(size: number, each: number, what: string): void {
    if (size < 0) throw new MalformedFrame(`negative ${what} size ${size}`);
    const left = this.left();
    if (size * each > left) throw new MalformedFrame(`${what} of ${size} elements cannot fit in the ${left} bytes left in the frame`);
    const [limit, field, option] = this.limitHere();
    if (size > limit) {
      throw new DecodeLimitError(`${field} has ${size} elements, more than ${limit}${option ? ` (${option})` : ''}`);
    }
  }

  /** The element limit of the container being read, from the method and the field path. */
  private limitHere(): [number, string, string] {
    const p = this.path;
    const l = this.limits;
    // Paths start at the argument struct's field 1 (`request`).
    if (this.method === 'send' && p.length >= 2 && p[0] === 1 && p[1] === 1) {
      if (p.length === 2) return [l.maxBatchMessages, 'SendRequest.messages', 'maxBatchMessages'];
      if (p.length === 3 && p[2] === 4) return [l.maxKeys, 'Message.keys', ''];
      if (p.length === 3 && p[2] === 5) return [l.maxProperties, 'Message.properties', ''];
    }
    if (this.method === 'get' && p.length === 2 && p[0] === 1 && p[1] === 7) return [l.maxAcks, 'GetRequest.ack', ''];
    return [l.maxOtherElements, 'a list, set or map of the request', ''];
  }
}
