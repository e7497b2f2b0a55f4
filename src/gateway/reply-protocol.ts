/**
 * TBinaryProtocol for replies, writing through a {@link FrameWriter}: the same bytes as the library's protocol
 * (strict binary protocol, ref: Thrift binary encoding), but each byte, i16, i32, i64 and string goes straight into
 * the writer's current chunk instead of a freshly allocated Buffer per field (the library calls the deprecated
 * `new Buffer` for every one, which showed as several percent of the gateway's CPU and much of its garbage when
 * encoding get replies). Everything else (message begin/end, structs, lists, doubles) is inherited.
 */
import Int64 from 'node-int64';
import thrift from 'thrift';
import type { FrameWriter } from './frame-writer';

export class ReplyProtocol extends thrift.TBinaryProtocol {
  constructor(private readonly out: FrameWriter) {
    super(out as unknown as thrift.TTransport);
  }

  override writeByte(b: number): void {
    this.out.writeByte(b);
  }

  override writeI16(i16: number): void {
    this.out.writeI16(i16);
  }

  override writeI32(i32: number): void {
    this.out.writeI32(i32);
  }

  override writeI64(i64: number | Int64): void {
    // A plain safe integer (get replies set their i64 fields as numbers): its 8 bytes straight into the chunk.
    if (typeof i64 === 'number' && Number.isSafeInteger(i64)) {
      this.out.writeI64Safe(i64);
      return;
    }
    // As the library: an Int64 is written as its 8 bytes, a number through Int64.
    this.out.writeBytes(typeof i64 === 'object' && i64.buffer ? i64.buffer : new Int64(i64 as number).buffer);
  }

  override writeString(arg: string | Buffer): void {
    if (typeof arg === 'string') {
      this.out.writeI32(Buffer.byteLength(arg, 'utf8'));
      this.out.writeString(arg, 'utf8');
    } else {
      super.writeString(arg);
    }
  }

  override writeBinary(arg: string | Buffer): void {
    if (Buffer.isBuffer(arg)) {
      this.out.writeI32(arg.length);
      this.out.writeBytes(arg);
    } else {
      // Strings ('binary' encoding) and anything else: the library's own checks and errors.
      super.writeBinary(arg);
    }
  }
}
