/**
 * Big-endian int64 helpers for JS numbers (offsets and timestamps stay below 2^53; tags codes may be negative).
 */

const TWO_32 = 4294967296;

/** Writes `n` as a big-endian two's-complement int64 at `offset`. */
export function writeLong(buf: Buffer, n: number, offset: number): void {
  const hi = Math.floor(n / TWO_32);
  const lo = n - hi * TWO_32;
  buf.writeInt32BE(hi | 0, offset);
  buf.writeUInt32BE(lo >>> 0, offset + 4);
}

/** Reads a big-endian int64 at `offset` as a number (exact below 2^53 in magnitude). */
export function readLong(buf: Buffer, offset: number): number {
  return buf.readInt32BE(offset) * TWO_32 + buf.readUInt32BE(offset + 4);
}
