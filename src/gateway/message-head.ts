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
