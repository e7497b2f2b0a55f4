/**
 * Incremental frame splitter for a byte stream (ref §1.1). Pure: the caller feeds chunks as they arrive and gets
 * whole commands back. It holds at most one partial frame, and never copies a frame that lies inside one chunk.
 *
 * Grammar: stream := frame*   (frame as in frame.ts; a frame may be split across any number of chunks)
 */
import { RemotingCommand } from '../command';
import { badFrame } from './errors';
import { DEFAULT_FRAME_MAX_LENGTH, decodeFrameContent } from './frame';

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private total = 0;

  /** @param frameMaxLength the largest frame accepted, length word included (option `frameMaxLength`). */
  constructor(private readonly frameMaxLength = DEFAULT_FRAME_MAX_LENGTH) {}

  /** Bytes held for a frame that has not fully arrived. */
  get pendingBytes(): number {
    return this.total;
  }

  /** True while part of a frame is buffered. */
  get hasPartial(): boolean {
    return this.total > 0;
  }

  /** Drops any buffered bytes (after an error the stream cannot be resynchronised). */
  reset(): void {
    this.chunks = [];
    this.total = 0;
  }

  /**
   * Feeds one chunk; returns the commands completed by it, in order. Throws MqError('PROTOCOL') on a bad frame
   * (commands decoded before it in the same chunk are then lost; use {@link feed} to keep them).
   */
  push(chunk: Buffer): RemotingCommand[] {
    const out: RemotingCommand[] = [];
    this.feed(chunk, (c) => out.push(c));
    return out;
  }

  /**
   * Feeds one chunk and hands every completed command to `sink` as soon as it is decoded, so that the frames
   * before a bad one are still delivered. Then throws MqError('PROTOCOL') if a bad frame followed; the stream is
   * unusable after that and the caller should close the connection.
   */
  feed(chunk: Buffer, sink: (cmd: RemotingCommand) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
    for (;;) {
      if (this.total < 4) break;
      const length = this.peekLength();
      if (length < 0 || length + 4 > this.frameMaxLength) {
        this.reset();
        throw badFrame(
          'frame_too_long',
          `frame length ${length} exceeds frameMaxLength ${this.frameMaxLength} (raise the frameMaxLength option)`,
          { length, limit: this.frameMaxLength },
        );
      }
      const need = length + 4;
      if (this.total < need) break;
      const first = this.chunks[0];
      let frame: Buffer;
      if (first.length >= need) {
        // The whole frame lies in the first chunk: view it, no copy.
        frame = first.subarray(0, need);
        if (first.length === need) this.chunks.shift();
        else this.chunks[0] = first.subarray(need);
      } else {
        frame = this.take(need);
      }
      this.total -= need;
      let cmd: RemotingCommand;
      try {
        cmd = decodeFrameContent(frame, 4, need);
      } catch (err) {
        this.reset();
        throw err;
      }
      // The sink may reset this decoder (its connection closed); the loop then finds nothing buffered and stops.
      sink(cmd);
    }
  }

  /** Reads the int32 length word, which may span chunks. */
  private peekLength(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    const four = Buffer.allocUnsafe(4);
    let got = 0;
    for (const c of this.chunks) {
      const n = Math.min(4 - got, c.length);
      c.copy(four, got, 0, n);
      got += n;
      if (got === 4) break;
    }
    return four.readInt32BE(0);
  }

  /** Removes and returns the first `n` bytes, copying once across chunks. */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const c = this.chunks[0];
      const k = Math.min(n - got, c.length);
      c.copy(out, got, 0, k);
      got += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
