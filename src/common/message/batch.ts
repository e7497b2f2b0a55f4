/**
 * SEND_BATCH_MESSAGE request body (ref §4.7): one entry per message, back to back.
 *
 * Grammar:
 *   body  := entry*
 *   entry := TOTALSIZE:i32 MAGIC:i32(=0) BODYCRC:i32(=0) FLAG:i32 BODYLEN:i32 BODY:BODYLEN PROPLEN:i16 PROPS:PROPLEN
 *   TOTALSIZE = 22 + BODYLEN + PROPLEN
 */
import { MqError } from '../errors';
import { decodeProperties, encodeProperties } from './properties';

/** One message of a batch body. */
export interface BatchEntry {
  flag: number;
  body: Buffer;
  properties: Record<string, string>;
  propertiesString: string;
}

/** Decodes a batch body; bodies are views into `buf`. Throws MqError('CORRUPT') on inconsistent lengths. */
export function decodeBatchBody(buf: Buffer): BatchEntry[] {
  const out: BatchEntry[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 22) throw new MqError('CORRUPT', `batch body: ${buf.length - off} trailing bytes at ${off}`);
    const total = buf.readInt32BE(off);
    const flag = buf.readInt32BE(off + 12);
    const bodyLen = buf.readInt32BE(off + 16);
    if (bodyLen < 0 || off + 20 + bodyLen + 2 > buf.length) {
      throw new MqError('CORRUPT', `batch body: body length ${bodyLen} at ${off} exceeds the buffer`);
    }
    const body = buf.subarray(off + 20, off + 20 + bodyLen);
    const p = off + 20 + bodyLen;
    const propLen = buf.readInt16BE(p);
    if (propLen < 0 || p + 2 + propLen > buf.length) {
      throw new MqError('CORRUPT', `batch body: properties length ${propLen} at ${p} exceeds the buffer`);
    }
    const propertiesString = buf.toString('utf8', p + 2, p + 2 + propLen);
    if (total !== 22 + bodyLen + propLen) {
      throw new MqError('CORRUPT', `batch body: total size ${total} at ${off} does not match its parts`);
    }
    out.push({ flag, body, properties: decodeProperties(propertiesString), propertiesString });
    off = p + 2 + propLen;
  }
  return out;
}

/** Encodes messages into a batch body (what a producer sends). */
export function encodeBatchBody(messages: Array<{ flag?: number; body: Buffer; properties: Record<string, string> }>): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages) {
    const props = Buffer.from(encodeProperties(m.properties), 'utf8');
    const head = Buffer.alloc(20);
    head.writeInt32BE(22 + m.body.length + props.length, 0);
    head.writeInt32BE(m.flag ?? 0, 12);
    head.writeInt32BE(m.body.length, 16);
    const pl = Buffer.allocUnsafe(2);
    pl.writeInt16BE(props.length, 0);
    parts.push(head, m.body, pl, props);
  }
  return Buffer.concat(parts);
}
