/**
 * HA wire codec: the raw TCP protocol between a master's HA port and its slaves (ref §8.2). No remoting framing.
 *
 * Grammar (all integers big-endian):
 *
 *   slave -> master   : report*
 *   report            : maxPhyOffset:int64                  ; 8 bytes, the slave's commit-log max offset
 *                                                            ; (first report = requested start, every report = ack)
 *
 *   master -> slave   : block*
 *   block             : phyOffset:int64 size:int32 data:byte[size]
 *                       ; phyOffset = commit-log offset of data[0]; size <= haTransferBatchSize
 *                       ; size = 0 is a heartbeat, phyOffset = the master's next transfer offset
 *
 * Pure: no sockets, timers or logging. Decoders are incremental (feed any split of the stream) and reject values a
 * correct peer never sends (negative offsets, negative or oversized blocks) with MqError('PROTOCOL').
 */
import { MqError } from '../../common';

/** Size of a slave report (one int64). */
export const REPORT_SIZE = 8;
/** Size of a block header: phyOffset int64 + size int32. */
export const BLOCK_HEADER_SIZE = 12;

/** One master -> slave block. `data.length === 0` for a heartbeat. */
export interface TransferBlock {
  phyOffset: number;
  data: Buffer;
}

/** Reads a non-negative int64 as a JS number; values past 2^53 are a protocol error (offsets are numbers). */
function readOffset(buf: Buffer, at: number, what: string): number {
  const v = buf.readBigInt64BE(at);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MqError('PROTOCOL', `HA ${what} ${v.toString()} is not a valid commit-log offset`, {
      details: { value: v.toString() },
    });
  }
  return Number(v);
}

/** Encodes one slave report: the slave's max commit-log offset as 8 bytes. */
export function encodeReport(maxPhyOffset: number): Buffer {
  if (!Number.isSafeInteger(maxPhyOffset) || maxPhyOffset < 0) {
    throw new MqError('INVALID_ARGUMENT', `HA report offset ${maxPhyOffset} is not a non-negative integer`);
  }
  const b = Buffer.allocUnsafe(REPORT_SIZE);
  b.writeBigInt64BE(BigInt(maxPhyOffset), 0);
  return b;
}

/** Encodes a block header; the caller writes `size` data bytes after it (no copy of the data). */
export function encodeBlockHeader(phyOffset: number, size: number): Buffer {
  if (!Number.isSafeInteger(phyOffset) || phyOffset < 0) {
    throw new MqError('INVALID_ARGUMENT', `HA block offset ${phyOffset} is not a non-negative integer`);
  }
  if (!Number.isInteger(size) || size < 0 || size > 0x7fffffff) {
    throw new MqError('INVALID_ARGUMENT', `HA block size ${size} is out of range [0, 2^31-1]`);
  }
  const b = Buffer.allocUnsafe(BLOCK_HEADER_SIZE);
  b.writeBigInt64BE(BigInt(phyOffset), 0);
  b.writeInt32BE(size, 8);
  return b;
}

/** Encodes a whole block (header + data) into one buffer; handy for tests and heartbeats. */
export function encodeBlock(phyOffset: number, data: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([encodeBlockHeader(phyOffset, data.length), data]);
}

/**
 * Incremental decoder of the slave -> master stream. The master only needs the reports; each one is returned in
 * order (the last one is the current ack).
 */
export class ReportDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns every report completed by them, oldest first. */
  push(chunk: Buffer): number[] {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: number[] = [];
    let at = 0;
    while (buf.length - at >= REPORT_SIZE) {
      out.push(readOffset(buf, at, 'slave report'));
      at += REPORT_SIZE;
    }
    // Copy the (at most 7-byte) tail so the caller's chunk is not retained.
    this.pending = Buffer.from(buf.subarray(at));
    return out;
  }

  /** Bytes buffered towards the next report. */
  get buffered(): number {
    return this.pending.length;
  }
}

/**
 * Incremental decoder of the master -> slave stream.
 * @param maxBlockSize the largest `size` accepted (the master's haTransferBatchSize or more); larger is a protocol
 *   error, so a corrupt stream cannot make the slave buffer gigabytes.
 */
export class BlockDecoder {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly maxBlockSize: number) {}

  /** Feeds bytes; returns every block completed by them, in stream order. `data` never aliases a later chunk. */
  push(chunk: Buffer): TransferBlock[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
    const out: TransferBlock[] = [];
    while (this.length >= BLOCK_HEADER_SIZE) {
      const head = this.peek(BLOCK_HEADER_SIZE);
      const phyOffset = readOffset(head, 0, 'block offset');
      const size = head.readInt32BE(8);
      if (size < 0 || size > this.maxBlockSize) {
        throw new MqError(
          'PROTOCOL',
          `HA block at offset ${phyOffset} has size ${size}, outside [0, ${this.maxBlockSize}] (haTransferBatchSize)`,
          { details: { phyOffset, size, limit: this.maxBlockSize } },
        );
      }
      if (this.length < BLOCK_HEADER_SIZE + size) break;
      this.consume(BLOCK_HEADER_SIZE);
      out.push({ phyOffset, data: size === 0 ? Buffer.alloc(0) : this.consume(size) });
    }
    return out;
  }

  /** Bytes buffered towards the next block. */
  get buffered(): number {
    return this.length;
  }

  /** The first `n` buffered bytes (n <= length), without consuming them. */
  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  /** Removes and returns the first `n` buffered bytes (n <= length). */
  private consume(n: number): Buffer {
    this.length -= n;
    const first = this.chunks[0];
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    // Spans chunks: gather exactly n bytes.
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const take = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, take);
      filled += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    return out;
  }
}
