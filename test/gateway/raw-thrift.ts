/**
 * Hand-made Thrift frames for hostile tests: a raw socket that writes any bytes and reads reply frames, and encoders
 * for calls the generated client would never send (9 million empty structs, 2 GiB length words, deep nesting...).
 */
import net from 'net';
import thrift from 'thrift';
import { T } from '../../src/gateway';

const TYPE = { STOP: 0, BOOL: 2, BYTE: 3, I32: 8, I64: 10, STRING: 11, STRUCT: 12, MAP: 13, SET: 14, LIST: 15 };
export { TYPE };

/** Bytes builder with the few binary-protocol pieces the tests need. */
export class Bytes {
  private parts: Buffer[] = [];
  i8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }
  i16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v, 0);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v | 0, 0);
    this.parts.push(b);
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  str(s: string | Buffer): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    return this.i32(b.length).raw(b);
  }
  field(type: number, id: number): this {
    return this.i8(type).i16(id);
  }
  stop(): this {
    return this.i8(TYPE.STOP);
  }
  /** A strict message head of a call. */
  call(name: string, seqid = 1, type = 1): this {
    return this.raw(Buffer.from([0x80, 0x01, 0x00, type])).str(name).i32(seqid);
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Frames a payload: length word + payload. */
export function frame(payload: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(payload.length, 0);
  return Buffer.concat([len, payload]);
}

/** A send call of `count` empty Message structs (each one byte: field stop). */
export function emptyMessagesCall(count: number, seqid = 1): Buffer {
  const head = new Bytes().call('send', seqid).field(TYPE.STRUCT, 1).field(TYPE.LIST, 1).i8(TYPE.STRUCT).i32(count).build();
  const tail = new Bytes().stop().stop().stop().build();
  return frame(Buffer.concat([head, Buffer.alloc(count, 0), tail]));
}

/** A library-encoded call: the same bytes a generated client sends. */
export function encodeCall(name: 'send' | 'get', request: T.SendRequest | T.GetRequest, seqid = 1): Buffer {
  const chunks: Buffer[] = [];
  const transport = new thrift.TFramedTransport(undefined, (buf?: Buffer) => {
    if (buf) chunks.push(buf);
  });
  const proto = new thrift.TBinaryProtocol(transport);
  proto.writeMessageBegin(name, thrift.Thrift.MessageType.CALL, seqid);
  proto.writeStructBegin(`MessageGateway_${name}_args`);
  proto.writeFieldBegin('request', thrift.Thrift.Type.STRUCT, 1);
  (request as unknown as { write(p: thrift.TProtocol): void }).write(proto);
  proto.writeFieldEnd();
  proto.writeFieldStop();
  proto.writeStructEnd();
  proto.writeMessageEnd();
  transport.flush();
  return Buffer.concat(chunks);
}

export interface Reply {
  name: string;
  type: number;
  seqid: number;
  /** The GatewayError of the reply, if it carries one. */
  error?: T.GatewayError;
  /** The TApplicationException of the reply (unknown method, ...). */
  appError?: { message: string; type: number };
  /** True when the reply carries a success value. */
  success: boolean;
}

/** Decodes one reply frame payload. */
export function decodeReply(payload: Buffer): Reply {
  const proto = new thrift.TBinaryProtocol(new thrift.TFramedTransport(payload));
  const head = proto.readMessageBegin() as { fname: string; mtype: number; rseqid: number };
  const out: Reply = { name: head.fname, type: head.mtype, seqid: head.rseqid, success: false };
  if (head.mtype === thrift.Thrift.MessageType.EXCEPTION) {
    const x = new thrift.Thrift.TApplicationException();
    x.read(proto);
    out.appError = { message: x.message, type: (x as unknown as { type: number }).type };
    return out;
  }
  proto.readStructBegin();
  for (;;) {
    const f = proto.readFieldBegin() as { ftype: number; fid: number };
    if (f.ftype === TYPE.STOP) break;
    if (f.fid === 1 && f.ftype === TYPE.STRUCT) {
      const e = new T.GatewayError({ code: 0, message: '' } as never);
      (e as unknown as { read(p: thrift.TProtocol): void }).read(proto);
      out.error = e;
    } else {
      if (f.fid === 0) out.success = true;
      proto.skip(f.ftype);
    }
    proto.readFieldEnd();
  }
  return out;
}

/** A raw connection: write any bytes, await reply frames, see when the server closes it. */
export class RawConn {
  readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  readonly frames: Buffer[] = [];
  closed = false;
  closedAt = 0;
  readonly connected: Promise<void>;

  constructor(port: number, opts: { localAddress?: string; host?: string } = {}) {
    this.socket = net.connect({ port, host: opts.host ?? '127.0.0.1', localAddress: opts.localAddress });
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.socket.on('error', () => undefined);
    this.socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4) {
        const n = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + n) break;
        this.frames.push(this.buf.subarray(4, 4 + n));
        this.buf = this.buf.subarray(4 + n);
      }
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(b: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || this.socket.destroyed) return resolve();
      this.socket.write(b, () => resolve());
    });
  }

  /** Resolves when `cond` holds (checked on every event), or rejects after `timeoutMs`. */
  private until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      check();
    });
  }

  /** The next reply frame, decoded; rejects when the connection closes first. */
  async reply(timeoutMs = 10000): Promise<Reply> {
    await this.until(() => this.frames.length > 0 || this.closed, timeoutMs, 'a reply');
    const f = this.frames.shift();
    if (!f) throw new Error('connection closed before a reply');
    return decodeReply(f);
  }

  /** Resolves once the server closed the connection. */
  async closedByServer(timeoutMs = 10000): Promise<void> {
    await this.until(() => this.closed, timeoutMs, 'the server to close the connection');
  }

  destroy(): void {
    this.socket.destroy();
  }
}
