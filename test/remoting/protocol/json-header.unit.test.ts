/**
 * The JSON header encoder writes its text without building an object first: its bytes must be those of the
 * reference encoding (the fastjson-ordered object through JSON.stringify) for any command, including unicode,
 * quotes, control characters, lone surrogates, empty and absent ext maps, and null or absent remarks. The decoder
 * keeps a parsed ext map of strings as it is and copies any other (numbers and booleans stringified, nulls dropped).
 */
import { expect } from 'chai';
import { RemotingCommand } from '../../../src/remoting/command';
import { decodeFrameContent, encodeCommandParts } from '../../../src/remoting/protocol/frame';
import { decodeJsonHeader, encodeJsonHeader, encodeJsonHeaderReference } from '../../../src/remoting/protocol/json-header';

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const PIECES = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '中', '😀', '\ud800', '\udfff', '\u2028', '{', '}', ',', ':'];

function randomString(r: () => number, max = 12): string {
  let s = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)];
  return s;
}

function randomCommand(r: () => number): RemotingCommand {
  const ints = [0, 1, -1, 7, 310, 0x7fffffff, -0x80000000, 409];
  const cmd = new RemotingCommand(ints[Math.floor(r() * ints.length)], ints[Math.floor(r() * ints.length)]);
  cmd.flag = Math.floor(r() * 4);
  cmd.version = ints[Math.floor(r() * ints.length)];
  cmd.language = r() < 0.8 ? 'JAVA' : randomString(r, 6);
  const rm = r();
  if (rm < 0.3) cmd.remark = randomString(r);
  else if (rm < 0.4) (cmd as { remark?: unknown }).remark = null;
  const ex = r();
  if (ex < 0.7) {
    const ext: Record<string, string> = {};
    const n = Math.floor(r() * 8);
    for (let i = 0; i < n; i++) ext[randomString(r, 6) || `k${i}`] = randomString(r);
    cmd.extFields = ext;
  } else if (ex < 0.8) cmd.extFields = {};
  return cmd;
}

describe('remoting JSON header encoder and decoder', () => {
  it('encodes 5,000 random commands to exactly the reference bytes, in the header and in the frame prefix', () => {
    const r = rng(20261202);
    for (let i = 0; i < 5000; i++) {
      const cmd = randomCommand(r);
      if (r() < 0.5) cmd.body = Buffer.from(randomString(r));
      const ref = encodeJsonHeaderReference(cmd);
      expect(encodeJsonHeader(cmd).equals(ref), `command ${i}: ${ref.toString()}`).to.equal(true);
      const parts = encodeCommandParts(cmd);
      const bodyLen = cmd.body?.length ?? 0;
      const expected = Buffer.alloc(8 + ref.length);
      expected.writeInt32BE(4 + ref.length + bodyLen, 0);
      expected.writeUInt32BE(ref.length, 4);
      ref.copy(expected, 8);
      expect(parts[0].equals(expected), `prefix of command ${i}`).to.equal(true);
      expect(parts.length).to.equal(bodyLen > 0 ? 2 : 1);
      // And it decodes back to the same fields.
      const frame = Buffer.concat(parts);
      const back = decodeFrameContent(frame, 4, frame.length);
      expect([back.code, back.opaque, back.flag, back.version, back.language]).to.deep.equal([cmd.code, cmd.opaque, cmd.flag, cmd.version, cmd.language]);
      expect(back.remark).to.equal(cmd.remark ?? undefined);
      expect(back.extFields).to.deep.equal(cmd.extFields);
    }
  });

  it('decodes ext maps: strings kept, numbers and booleans stringified, nulls dropped, "__proto__" not set as a field', () => {
    const plain = decodeJsonHeader(Buffer.from('{"code":10,"extFields":{"a":"1","b":"x"},"opaque":3}'));
    expect(plain.extFields).to.deep.equal({ a: '1', b: 'x' });
    const mixed = decodeJsonHeader(Buffer.from('{"code":10,"extFields":{"a":1,"b":true,"c":null,"d":"s","e":{"x":1}},"opaque":3}'));
    expect(mixed.extFields).to.deep.equal({ a: '1', b: 'true', d: 's', e: '{"x":1}' });
    const proto = decodeJsonHeader(Buffer.from('{"code":10,"extFields":{"__proto__":"x","k":"v"},"opaque":3}'));
    expect(Object.keys(proto.extFields ?? {})).to.deep.equal(['k']);
    expect(Object.getPrototypeOf(proto.extFields)).to.equal(Object.prototype);
  });
});
