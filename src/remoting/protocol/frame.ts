/**
 * Remoting frame codec (ref §1.1). Pure: no sockets, timers or logging.
 *
 * Grammar (all integers big-endian):
 *   frame       := length:int32 typeAndLen:int32 header:byte[H] body:byte[length - 4 - H]
 *   length      := number of bytes after the length word (4 + H + body); 4 + length <= frameMaxLength
 *   typeAndLen  := (serializeType << 24) | H     serializeType: 0 = JSON (ref §1.3), 1 = ROCKETMQ (ref §1.4)
 *   H           := 0 .. min(0xFFFFFF, length - 4)
 * The body length is implied by `length`; an empty body is a body of length 0.
 */
import { RemotingCommand } from '../command';
import { decodeBinaryHeader, encodeBinaryHeader } from './binary-header';
import { badFrame } from './errors';
import { decodeJsonHeader, encodeJsonHeaderText } from './json-header';

/** Default maximum frame size, length word included (ref §1.1 FRAME_MAX_LENGTH). */
export const DEFAULT_FRAME_MAX_LENGTH = 16 * 1024 * 1024;

/** Largest header length the 24-bit field can carry. */
export const MAX_HEADER_LENGTH = 0xffffff;

const SERIALIZE_JSON = 0;
const SERIALIZE_ROCKETMQ = 1;

/**
 * Encodes `cmd` as a frame in two pieces: the prefix (length word, type word and header) and the body (the caller's
 * buffer, not copied). Write both with one corked socket write. `cmd.serializeType` picks the header encoding.
 */
export function encodeCommandParts(cmd: RemotingCommand): [Buffer] | [Buffer, Buffer] {
  const bodyLen = cmd.body?.length ?? 0;
  let prefix: Buffer;
  let headerLen: number;
  let type: number;
  if (cmd.serializeType === 'ROCKETMQ') {
    const header = encodeBinaryHeader(cmd);
    headerLen = header.length;
    checkHeaderLength(headerLen);
    prefix = Buffer.allocUnsafe(8 + headerLen);
    header.copy(prefix, 8);
    type = SERIALIZE_ROCKETMQ;
  } else {
    // The JSON text is written straight into the prefix (no header buffer to allocate and copy).
    const text = encodeJsonHeaderText(cmd);
    headerLen = Buffer.byteLength(text, 'utf8');
    checkHeaderLength(headerLen);
    prefix = Buffer.allocUnsafe(8 + headerLen);
    prefix.write(text, 8, headerLen, 'utf8');
    type = SERIALIZE_JSON;
  }
  prefix.writeInt32BE(4 + headerLen + bodyLen, 0);
  prefix.writeUInt32BE(((type << 24) | headerLen) >>> 0, 4);
  return bodyLen > 0 ? [prefix, cmd.body as Buffer] : [prefix];
}

function checkHeaderLength(len: number): void {
  if (len > MAX_HEADER_LENGTH) {
    throw badFrame('header_too_long', `header of ${len} bytes exceeds the 24-bit limit ${MAX_HEADER_LENGTH}`);
  }
}

/** Encodes `cmd` as one contiguous frame (copies the body; meant for tests and small frames). */
export function encodeCommand(cmd: RemotingCommand): Buffer {
  const parts = encodeCommandParts(cmd);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * Decodes the frame content that follows the length word: `buf[start, end)` holds typeAndLen, header and body.
 * The body is a view into `buf`, not a copy.
 */
export function decodeFrameContent(buf: Buffer, start: number, end: number): RemotingCommand {
  const length = end - start;
  if (length < 4) throw badFrame('frame_too_short', `frame length ${length} is smaller than the 4-byte type word`);
  const typeAndLen = buf.readUInt32BE(start);
  const type = typeAndLen >>> 24;
  const headerLen = typeAndLen & 0xffffff;
  if (headerLen > length - 4) {
    throw badFrame('header_too_long', `header length ${headerLen} exceeds the frame's ${length - 4} bytes`, {
      headerLen,
      length,
    });
  }
  const hStart = start + 4;
  const hEnd = hStart + headerLen;
  let cmd: RemotingCommand;
  if (type === SERIALIZE_JSON) cmd = decodeJsonHeader(buf.subarray(hStart, hEnd));
  else if (type === SERIALIZE_ROCKETMQ) cmd = decodeBinaryHeader(buf, hStart, hEnd);
  else throw badFrame('serialize_type', `unknown serialize type ${type} (expected 0 = JSON or 1 = ROCKETMQ)`, { type });
  if (hEnd < end) cmd.body = buf.subarray(hEnd, end);
  return cmd;
}

/** Decodes one whole frame, length word included. Throws MqError('PROTOCOL') when it is not exactly one frame. */
export function decodeCommand(frame: Buffer, frameMaxLength = DEFAULT_FRAME_MAX_LENGTH): RemotingCommand {
  if (frame.length < 4) throw badFrame('frame_too_short', `frame of ${frame.length} bytes has no length word`);
  const length = frame.readInt32BE(0);
  if (length < 0 || length + 4 > frameMaxLength) {
    throw badFrame('frame_too_long', `frame length ${length} exceeds frameMaxLength ${frameMaxLength}`);
  }
  if (length + 4 !== frame.length) {
    throw badFrame('frame_too_short', `frame says ${length} bytes follow but ${frame.length - 4} do`);
  }
  return decodeFrameContent(frame, 4, frame.length);
}
