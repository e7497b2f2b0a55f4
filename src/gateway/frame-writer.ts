/**
 * The output side of one Thrift reply: a transport for TBinaryProtocol that collects the protocol's writes and, on
 * flush, hands the frame to a sink as a list of buffers (a 4-byte big-endian length, then the payload) without
 * copying large buffers (message bodies go out as they are; runs of small writes are joined).
 *
 *   frame = length:int32be payload
 */

/** Writes at or above this size are passed on as they are; smaller ones are joined. */
const JOIN_BELOW = 16 * 1024;

export type FrameSink = (parts: Buffer[], totalBytes: number) => void;

export class FrameWriter {
  private parts: Buffer[] = [];
  private count = 0;

  constructor(private readonly sink: FrameSink) {}

  write(buf: Buffer | string, encoding?: BufferEncoding): void {
    const b = typeof buf === 'string' ? Buffer.from(buf, encoding ?? 'utf8') : buf;
    this.parts.push(b);
    this.count += b.length;
  }

  /** Sends the collected frame to the sink and starts a new one. */
  flush(): void {
    const head = Buffer.allocUnsafe(4);
    head.writeInt32BE(this.count, 0);
    const out: Buffer[] = [];
    let small: Buffer[] = [head];
    let smallBytes = 4;
    for (const p of this.parts) {
      if (p.length >= JOIN_BELOW) {
        if (small.length > 0) out.push(small.length === 1 ? small[0] : Buffer.concat(small, smallBytes));
        small = [];
        smallBytes = 0;
        out.push(p);
      } else {
        small.push(p);
        smallBytes += p.length;
      }
    }
    if (small.length > 0) out.push(small.length === 1 ? small[0] : Buffer.concat(small, smallBytes));
    const total = this.count + 4;
    this.parts = [];
    this.count = 0;
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
