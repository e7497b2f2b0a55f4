/**
 * Frame codec tests (ref §1.1, §1.3, §1.4). Golden frames are written by hand from the reference's byte layouts;
 * every one is fed to the incremental decoder as one chunk, byte by byte, and split at every boundary.
 */
import { expect } from 'chai';
import { MqError } from '../../../src/common';
import { RemotingCommand } from '../../../src/remoting/command';
import { decodeCommand, encodeCommand, encodeCommandParts } from '../../../src/remoting/protocol/frame';
import { FrameDecoder } from '../../../src/remoting/protocol/frame-decoder';
import { badFrameReason } from '../../../src/remoting/protocol/errors';

/** Hex with spaces and `|` separators allowed, for readable golden frames. */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[\s|]/g, ''), 'hex');
}

/** The fields a user of a decoded command cares about, for deep comparison. */
function view(c: RemotingCommand): Record<string, unknown> {
  return {
    code: c.code,
    language: c.language,
    version: c.version,
    opaque: c.opaque,
    flag: c.flag,
    remark: c.remark,
    extFields: c.extFields,
    body: c.body ? c.body.toString('hex') : undefined,
    serializeType: c.serializeType,
  };
}

type Mode = 'one chunk' | 'byte by byte' | `split at ${number}`;

/** Feeds `bytes` to a fresh decoder in the given way and returns every command decoded. */
function feed(bytes: Buffer, mode: Mode): RemotingCommand[] {
  const d = new FrameDecoder();
  const out: RemotingCommand[] = [];
  if (mode === 'one chunk') out.push(...d.push(bytes));
  else if (mode === 'byte by byte') for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
  else {
    const at = Number(mode.slice('split at '.length));
    out.push(...d.push(bytes.subarray(0, at)), ...d.push(bytes.subarray(at)));
  }
  expect(d.pendingBytes, `${mode}: nothing left over`).to.equal(0);
  return out;
}

/** Asserts that all three feeding strategies decode `bytes` into `expected`. */
function decodesThreeWays(bytes: Buffer, expected: Array<Record<string, unknown>>): void {
  const modes: Mode[] = ['one chunk', 'byte by byte'];
  for (let i = 1; i < bytes.length; i++) modes.push(`split at ${i}`);
  for (const mode of modes) {
    expect(feed(bytes, mode).map(view), mode).to.deep.equal(expected);
  }
}

const JSON_REQ_HEADER =
  '{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":409}';
/** JSON request, ext + body "hello": length = 4 + 131 + 5 = 140 (0x8C), type 0, header length 131 (0x83). */
const JSON_REQ = Buffer.concat([hex('0000008C | 00000083'), Buffer.from(JSON_REQ_HEADER), Buffer.from('hello')]);
const JSON_REQ_VIEW = {
  code: 105,
  language: 'JAVA',
  version: 409,
  opaque: 7,
  flag: 0,
  remark: undefined,
  extFields: { topic: 'TopicTest' },
  body: Buffer.from('hello').toString('hex'),
  serializeType: 'JSON',
};

const JSON_RES_HEADER =
  '{"code":17,"flag":1,"language":"JAVA","opaque":7,"remark":"No topic","serializeTypeCurrentRPC":"JSON","version":409}';
/** JSON response with remark, no ext, no body: length = 4 + 116 = 120 (0x78). */
const JSON_RES = Buffer.concat([hex('00000078 | 00000074'), Buffer.from(JSON_RES_HEADER)]);
const JSON_RES_VIEW = {
  code: 17,
  language: 'JAVA',
  version: 409,
  opaque: 7,
  flag: 1,
  remark: 'No topic',
  extFields: undefined,
  body: undefined,
  serializeType: 'JSON',
};

/** ali-ons style (ref ali-ons §2.3): other key order, null remark, raw number and boolean ext values. */
const ALIONS_HEADER = '{"code":310,"language":"JAVA","opaque":1,"flag":0,"version":121,"remark":null,"extFields":{"a":"PG","e":0,"k":false}}';
const ALIONS_REQ = Buffer.concat([hex('0000007C | 00000075'), Buffer.from(ALIONS_HEADER), Buffer.from('abc')]);
const ALIONS_VIEW = {
  code: 310,
  language: 'JAVA',
  version: 121,
  opaque: 1,
  flag: 0,
  remark: undefined,
  extFields: { a: 'PG', e: '0', k: 'false' },
  body: Buffer.from('abc').toString('hex'),
  serializeType: 'JSON',
};

/**
 * ROCKETMQ binary request (ref §1.4): code 310, JAVA, version 409, opaque 7, flag 0, no remark, ext {a:"b"}, body "xyz".
 * ext = keyLen 0001 'a' valLen 00000001 'b' = 8 bytes; header = 21 + 8 = 29 (0x1D); length = 4 + 29 + 3 = 36 (0x24).
 */
const BIN_REQ = hex(`
  00000024 | 0100001D |
  0136 | 00 | 0199 | 00000007 | 00000000 |
  00000000 |
  00000008 | 0001 61 | 00000001 62 |
  78797A`);
const BIN_REQ_VIEW = {
  code: 310,
  language: 'JAVA',
  version: 409,
  opaque: 7,
  flag: 0,
  remark: undefined,
  extFields: { a: 'b' },
  body: '78797a',
  serializeType: 'ROCKETMQ',
};

/** ROCKETMQ binary response: code 3, flag 1, remark "no", no ext, no body; header 23 (0x17), length 27 (0x1B). */
const BIN_RES = hex(`
  0000001B | 01000017 |
  0003 | 00 | 0199 | 00000007 | 00000001 |
  00000002 6E6F |
  00000000`);
const BIN_RES_VIEW = {
  code: 3,
  language: 'JAVA',
  version: 409,
  opaque: 7,
  flag: 1,
  remark: 'no',
  extFields: undefined,
  body: undefined,
  serializeType: 'ROCKETMQ',
};

describe('remoting frame codec', () => {
  describe('golden frames, fed three ways', () => {
    it('JSON request with ext fields and body', () => decodesThreeWays(JSON_REQ, [JSON_REQ_VIEW]));
    it('JSON response with remark, no ext, no body', () => decodesThreeWays(JSON_RES, [JSON_RES_VIEW]));
    it('ali-ons JSON request with numeric and boolean ext values (stringified)', () =>
      decodesThreeWays(ALIONS_REQ, [ALIONS_VIEW]));
    it('ROCKETMQ binary request with ext and body', () => decodesThreeWays(BIN_REQ, [BIN_REQ_VIEW]));
    it('ROCKETMQ binary response with remark only', () => decodesThreeWays(BIN_RES, [BIN_RES_VIEW]));
    it('several frames back to back in one stream', () =>
      decodesThreeWays(Buffer.concat([JSON_REQ, BIN_RES, ALIONS_REQ, BIN_REQ, JSON_RES]), [
        JSON_REQ_VIEW,
        BIN_RES_VIEW,
        ALIONS_VIEW,
        BIN_REQ_VIEW,
        JSON_RES_VIEW,
      ]));
  });

  describe('encoding matches the golden bytes', () => {
    it('JSON request: fastjson key order, remark omitted', () => {
      const c = new RemotingCommand(105, 7);
      c.extFields = { topic: 'TopicTest' };
      c.body = Buffer.from('hello');
      expect(encodeCommand(c).equals(JSON_REQ)).to.equal(true);
    });
    it('JSON response with remark', () => {
      const c = RemotingCommand.createResponse(17, 'No topic');
      c.opaque = 7;
      expect(encodeCommand(c).equals(JSON_RES)).to.equal(true);
    });
    it('ROCKETMQ request and response', () => {
      const req = new RemotingCommand(310, 7);
      req.extFields = { a: 'b' };
      req.body = Buffer.from('xyz');
      req.serializeType = 'ROCKETMQ';
      expect(encodeCommand(req).toString('hex')).to.equal(BIN_REQ.toString('hex'));
      const res = RemotingCommand.createResponse(3, 'no');
      res.opaque = 7;
      res.serializeType = 'ROCKETMQ';
      expect(encodeCommand(res).toString('hex')).to.equal(BIN_RES.toString('hex'));
    });
    it('sends the body as a separate buffer (no copy)', () => {
      const body = Buffer.alloc(1 << 20, 7);
      const c = RemotingCommand.createRequest(310, { a: 1 }, body);
      const parts = encodeCommandParts(c);
      expect(parts).to.have.length(2);
      expect(parts[1]).to.equal(body);
      expect(parts[0].readInt32BE(0)).to.equal(parts[0].length - 4 + body.length);
    });
    it('round-trips unicode remark and ext values in both encodings', () => {
      for (const type of ['JSON', 'ROCKETMQ'] as const) {
        const c = RemotingCommand.createRequest(11, { topic: 'tópico', queueId: 3, k: true, skip: undefined });
        c.remark = 'ümlaut ✓';
        c.serializeType = type;
        const d = decodeCommand(encodeCommand(c));
        expect(view(d)).to.deep.equal(view(c));
      }
    });
  });

  describe('bad input', () => {
    function reasonOf(bytes: Buffer, max?: number): string | undefined {
      const d = new FrameDecoder(max);
      try {
        d.push(bytes);
      } catch (err) {
        expect(err).to.be.instanceOf(MqError);
        return badFrameReason(err);
      }
      return undefined;
    }
    it('rejects a frame longer than frameMaxLength before buffering it', () => {
      expect(reasonOf(hex('01000001 00000000'))).to.equal('frame_too_long');
      expect(reasonOf(hex('00000400 00000000'), 1024)).to.equal('frame_too_long');
      expect(reasonOf(hex('FFFFFFFF'))).to.equal('frame_too_long');
    });
    it('rejects a header length larger than the frame', () => {
      expect(reasonOf(hex('00000008 00000005 7B7D0000'))).to.equal('header_too_long');
    });
    it('rejects a frame too short for its type word', () => {
      expect(reasonOf(hex('00000002 0000'))).to.equal('frame_too_short');
    });
    it('rejects an unknown serialize type', () => {
      expect(reasonOf(hex('00000006 02000002 7B7D'))).to.equal('serialize_type');
    });
    it('rejects invalid JSON and non-object headers', () => {
      expect(reasonOf(Buffer.concat([hex('00000007 00000003'), Buffer.from('{x}')]))).to.equal('bad_json');
      expect(reasonOf(Buffer.concat([hex('00000006 00000002'), Buffer.from('[]')]))).to.equal('bad_header');
      expect(reasonOf(Buffer.concat([hex('0000000E 0000000A'), Buffer.from('{"code":"x"}'.slice(0, 10))]))).to.equal(
        'bad_json',
      );
    });
    it('rejects binary headers whose inner lengths run past the header', () => {
      // remarkLen 0x7FFFFFFF inside a 21-byte header.
      expect(reasonOf(hex('00000019 01000015 0001 00 0000 00000000 00000000 7FFFFFFF 00000000'))).to.equal('bad_header');
      // ext pair whose value length runs past extLen.
      expect(reasonOf(hex('00000020 0100001C 0001 00 0000 00000000 00000000 00000000 00000007 0001 61 000000FF'))).to.equal(
        'bad_header',
      );
    });
    it('feed() still delivers the frames ahead of a bad one in the same chunk', () => {
      const d = new FrameDecoder();
      const got: number[] = [];
      const bytes = Buffer.concat([JSON_REQ, BIN_REQ, hex('00000006 07000002 7B7D'), JSON_RES]);
      expect(() => d.feed(bytes, (c) => got.push(c.code))).to.throw(MqError, 'unknown serialize type 7');
      expect(got).to.deep.equal([105, 310]);
      expect(d.pendingBytes).to.equal(0);
    });
    it('accepts a JSON header with missing fields as Java defaults', () => {
      const c = decodeCommand(Buffer.concat([hex('00000006 00000002'), Buffer.from('{}')]));
      expect([c.code, c.opaque, c.flag, c.version]).to.deep.equal([0, 0, 0, 0]);
    });
  });
});
