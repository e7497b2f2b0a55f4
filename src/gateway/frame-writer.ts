/**
 * The output side of one Thrift reply: a transport for TBinaryProtocol that collects the protocol's writes and, on
 * flush, hands the frame to a sink as a list of buffers (a 4-byte big-endian length, then the payload) without
 * copying large buffers (message bodies go out as they are; small writes are copied into shared chunks).
 *
 *   frame = length:int32be payload
 *
 * Besides the transport's `write`, it offers typed writes (byte, i16, i32, UTF-8 string, raw bytes) that put the
 * value straight into the current chunk; {@link ReplyProtocol} (reply-protocol.ts) uses them so that encoding a reply
 * does not allocate one small Buffer per field, as the library's TBinaryProtocol does.
 */

/** Writes at or above this size are passed on as they are; smaller ones are copied into the current chunk. */
const JOIN_BELOW = 16 * 1024;
/** First chunk size: below Node's pool limit, so a small reply takes no allocation of its own. */
const FIRST_CHUNK = 2 * 1024;
/** Chunks grow by doubling up to this size. */
const MAX_CHUNK = 64 * 1024;

export type FrameSink = (parts: Buffer[], totalBytes: number) => void;

export class FrameWriter {
  /** Sealed parts of the frame; the first one starts with the 4 bytes reserved for the length. */
  private parts: Buffer[] = [];
  /** The chunk being filled, the start of its unsealed bytes and the write position. */
  private chunk: Buffer;
  private start = 0;
  private pos = 4;
  /** The chunk that holds the length word (filled in by flush). */
  private head: Buffer;
  /** Payload bytes written so far. */
  private count = 0;

  constructor(private readonly sink: FrameSink) {
    this.chunk = Buffer.allocUnsafe(FIRST_CHUNK);
    this.head = this.chunk;
  }

  /** Makes room for `n` more bytes in the current chunk (seals it and starts a new one when full). */
  private room(n: number): void {
    if (this.pos + n <= this.chunk.length) return;
    this.seal();
    this.chunk = Buffer.allocUnsafe(Math.max(n, Math.min(MAX_CHUNK, this.chunk.length * 2)));
    this.start = 0;
    this.pos = 0;
  }

  /** Moves the written bytes of the current chunk to the parts. */
  private seal(): void {
    if (this.pos > this.start) this.parts.push(this.chunk.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  /** The transport write the protocol uses: large buffers are kept by reference, small ones copied. */
  write(buf: Buffer | string, encoding?: BufferEncoding): void {
    if (typeof buf === 'string') {
      this.writeString(buf, encoding ?? 'utf8');
      return;
    }
    this.writeBytes(buf);
  }

  /** Appends bytes: by reference at or above JOIN_BELOW (the caller must not change them), else copied. */
  writeBytes(buf: Uint8Array): void {
    const n = buf.length;
    if (n >= JOIN_BELOW) {
      this.seal();
      this.parts.push(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, n));
    } else {
      this.room(n);
      this.chunk.set(buf, this.pos);
      this.pos += n;
    }
    this.count += n;
  }

  /** Appends a string's bytes (no length prefix). */
  writeString(s: string, encoding: BufferEncoding = 'utf8'): void {
    const n = Buffer.byteLength(s, encoding);
    this.room(n);
    this.chunk.write(s, this.pos, n, encoding);
    this.pos += n;
    this.count += n;
  }

  /** One byte (the low 8 bits of `v`, as the library's writeByte). */
  writeByte(v: number): void {
    this.room(1);
    this.chunk[this.pos++] = v & 0xff;
    this.count += 1;
  }

  /** Big-endian 16 bits of `v` (the library's binary.writeI16: low bits, no range check). */
  writeI16(v: number): void {
    this.room(2);
    const c = this.chunk;
    const p = this.pos;
    c[p] = (v >> 8) & 0xff;
    c[p + 1] = v & 0xff;
    this.pos = p + 2;
    this.count += 2;
  }

  /** Big-endian 32 bits of `v` (the library's binary.writeI32: low bits, no range check). */
  writeI32(v: number): void {
    this.room(4);
    const c = this.chunk;
    const p = this.pos;
    c[p] = (v >> 24) & 0xff;
    c[p + 1] = (v >> 16) & 0xff;
    c[p + 2] = (v >> 8) & 0xff;
    c[p + 3] = v & 0xff;
    this.pos = p + 4;
    this.count += 4;
  }

  /**
   * Big-endian two's complement 64 bits of a safe integer (the bytes node-int64 writes for it), without an Int64 or
   * Buffer per value. The caller checks Number.isSafeInteger.
   */
  writeI64Safe(v: number): void {
    this.room(8);
    const hi = Math.floor(v / 4294967296);
    const lo = v - hi * 4294967296;
    const c = this.chunk;
    const p = this.pos;
    c[p] = (hi >> 24) & 0xff;
    c[p + 1] = (hi >> 16) & 0xff;
    c[p + 2] = (hi >> 8) & 0xff;
    c[p + 3] = hi & 0xff;
    c[p + 4] = (lo >>> 24) & 0xff;
    c[p + 5] = (lo >>> 16) & 0xff;
    c[p + 6] = (lo >>> 8) & 0xff;
    c[p + 7] = lo & 0xff;
    this.pos = p + 8;
    this.count += 8;
  }

  /** Sends the collected frame to the sink and starts a new one. */
  flush(): void {
    this.seal();
    this.head.writeInt32BE(this.count, 0);
    const out = this.parts;
    const total = this.count + 4;
    this.parts = [];
    this.count = 0;
    // The next frame starts in a fresh chunk with its own reserved length word.
    this.chunk = Buffer.allocUnsafe(FIRST_CHUNK);
    this.head = this.chunk;
    this.start = 0;
    this.pos = 4;
    this.sink(out, total);
  }

  // The protocol calls these; a reply transport has no connection state of its own.
  setCurrSeqId(_seqid: number): void {}
  isOpen(): boolean {
    return true;
  }
  open(): void {}
  close(): void {}
}
