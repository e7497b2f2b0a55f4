/**
 * Reads the head of a Thrift binary-protocol message from the first bytes of a frame, so that the server can answer
 * a frame it will not read (too large, over the in-flight cap) with a proper reply to the right call.
 *
 *   head    = version-type:int32be name-length:int32be name:utf8 seqid:int32be     ; strict form only
 *   version-type = 0x8001_00TT, TT = 1 (CALL) or 4 (ONEWAY)
 *
 * Pure: no I/O.
 */

/** The longest method name we look for (ours are `send` and `get`). */
const MAX_NAME = 64;
/** Bytes of a frame needed to read any head {@link parseMessageHead} accepts. */
export const MESSAGE_HEAD_BYTES = 12 + MAX_NAME;

export interface MessageHead {
  name: string;
  type: number;
  seqid: number;
}

/** Parses a strict message head; null when the bytes are not one (garbage, or not enough bytes). */
export function parseMessageHead(buf: Buffer): MessageHead | null {
  if (buf.length < 12) return null;
  const vt = buf.readUInt32BE(0);
  if ((vt & 0xffff0000) >>> 0 !== 0x80010000) return null;
  const type = vt & 0xff;
  if (type !== 1 && type !== 4) return null;
  const len = buf.readInt32BE(4);
  if (len < 1 || len > MAX_NAME || buf.length < 12 + len) return null;
  const name = buf.toString('utf8', 8, 8 + len);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return null;
  return { name, type, seqid: buf.readInt32BE(8 + len) };
}

/**
 * False as soon as the first bytes of a frame cannot start a strict message head (so that a refused frame of random
 * bytes or HTTP is closed at once instead of waiting for {@link MESSAGE_HEAD_BYTES}).
 */
export function couldBeMessageHead(prefix: Buffer): boolean {
  const want = [0x80, 0x01, 0x00];
  for (let i = 0; i < Math.min(prefix.length, 3); i++) if (prefix[i] !== want[i]) return false;
  if (prefix.length >= 4 && prefix[3] !== 1 && prefix[3] !== 4) return false;
  if (prefix.length >= 8) {
    const len = prefix.readInt32BE(4);
    if (len < 1 || len > MESSAGE_HEAD_BYTES - 12) return false;
  }
  return true;
}
