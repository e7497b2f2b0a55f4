/**
 * ROCKETMQ binary header codec (serialize type 1, ref §1.4). All integers big-endian.
 *
 * Grammar:
 *   header     := code:int16 language:uint8 version:int16 opaque:int32 flag:int32
 *                 remarkLen:int32 remark:byte[remarkLen]          (0 = no remark)
 *                 extLen:int32 ext:byte[extLen]                   (0 = no ext fields)
 *   ext        := pair*
 *   pair       := keyLen:int16 key:byte[keyLen] valLen:int32 val:byte[valLen]   (UTF-8)
 * The fixed part is 21 bytes. Any length that runs past the header, or is negative, is an error.
 */
import { RemotingCommand } from '../command';
import { languageByte, languageName } from '../codes';
import { badFrame } from './errors';

/** Size of the fixed part of the binary header. */
export const BINARY_HEADER_FIXED = 21;

/** Encodes the header of `cmd` in the ROCKETMQ binary form. */
export function encodeBinaryHeader(cmd: RemotingCommand): Buffer {
  const remark = cmd.remark ? Buffer.from(cmd.remark, 'utf8') : undefined;
  const pairs: Array<[Buffer, Buffer]> = [];
  let extLen = 0;
  if (cmd.extFields) {
    for (const [k, v] of Object.entries(cmd.extFields)) {
      if (v === undefined || v === null) continue;
      const kb = Buffer.from(k, 'utf8');
      const vb = Buffer.from(String(v), 'utf8');
      pairs.push([kb, vb]);
      extLen += 2 + kb.length + 4 + vb.length;
    }
  }
  const buf = Buffer.allocUnsafe(BINARY_HEADER_FIXED + (remark?.length ?? 0) + extLen);
  let p = 0;
  p = buf.writeInt16BE(cmd.code, p);
  p = buf.writeUInt8(languageByte(cmd.language) & 0xff, p);
  p = buf.writeInt16BE(cmd.version, p);
  p = buf.writeInt32BE(cmd.opaque, p);
  p = buf.writeInt32BE(cmd.flag, p);
  p = buf.writeInt32BE(remark?.length ?? 0, p);
  if (remark) p += remark.copy(buf, p);
  p = buf.writeInt32BE(extLen, p);
  for (const [kb, vb] of pairs) {
    p = buf.writeInt16BE(kb.length, p);
    p += kb.copy(buf, p);
    p = buf.writeInt32BE(vb.length, p);
    p += vb.copy(buf, p);
  }
  return buf;
}

/** Checks that `len` bytes starting at `p` fit in a header ending at `end`. */
function need(p: number, len: number, end: number, what: string): void {
  if (len < 0 || p + len > end) {
    throw badFrame('bad_header', `binary header ${what} length ${len} runs past the header end (${end - p} bytes left)`);
  }
}

/** Decodes a binary header occupying `buf[start, end)`. */
export function decodeBinaryHeader(buf: Buffer, start = 0, end = buf.length): RemotingCommand {
  need(start, BINARY_HEADER_FIXED, end, 'fixed part');
  let p = start;
  const code = buf.readInt16BE(p);
  const language = buf.readUInt8(p + 2);
  const version = buf.readInt16BE(p + 3);
  const opaque = buf.readInt32BE(p + 5);
  const flag = buf.readInt32BE(p + 9);
  const remarkLen = buf.readInt32BE(p + 13);
  p += 17;
  const cmd = new RemotingCommand(code, opaque);
  cmd.language = languageName(language);
  cmd.version = version;
  cmd.flag = flag;
  need(p, remarkLen, end, 'remark');
  if (remarkLen > 0) cmd.remark = buf.toString('utf8', p, p + remarkLen);
  p += remarkLen;
  need(p, 4, end, 'extLength word');
  const extLen = buf.readInt32BE(p);
  p += 4;
  need(p, extLen, end, 'ext');
  if (extLen > 0) {
    const extEnd = p + extLen;
    const ext: Record<string, string> = {};
    while (p < extEnd) {
      need(p, 2, extEnd, 'ext key length word');
      const kl = buf.readInt16BE(p);
      p += 2;
      need(p, kl, extEnd, 'ext key');
      const key = buf.toString('utf8', p, p + kl);
      p += kl;
      need(p, 4, extEnd, 'ext value length word');
      const vl = buf.readInt32BE(p);
      p += 4;
      need(p, vl, extEnd, 'ext value');
      ext[key] = buf.toString('utf8', p, p + vl);
      p += vl;
    }
    cmd.extFields = ext;
  }
  cmd.serializeType = 'ROCKETMQ';
  return cmd;
}
