/**
 * JSON header codec (serialize type 0, ref §1.3).
 *
 * Grammar (UTF-8 JSON text, keys in any order, unknown keys ignored, missing keys take Java defaults):
 *   header      := '{' member (',' member)* '}'
 *   member      := '"code"' ':' int | '"language"' ':' (name | int) | '"version"' ':' int | '"opaque"' ':' int
 *                | '"flag"' ':' int | '"remark"' ':' (string | null) | '"extFields"' ':' (ext | null)
 *                | '"serializeTypeCurrentRPC"' ':' string  (ignored on decode; the frame's type byte wins)
 *   ext         := '{' (string ':' scalar)* '}'   scalar = string | number | boolean | null
 * On encode we write fastjson's order: code, extFields, flag, language, opaque, remark, serializeTypeCurrentRPC,
 * version, omitting remark and extFields when absent (fastjson drops nulls).
 * On decode, non-string ext values (ali-ons sends raw numbers and booleans, ref ali-ons §2.3) become strings and
 * null ext values are dropped.
 */
import { parseFastJson } from '../../common/fastjson';
import { RemotingCommand } from '../command';
import { languageName } from '../codes';
import { badFrame } from './errors';

/** The header as an object in fastjson's key order; JSON.stringify of it is the header text. */
function headerObject(cmd: RemotingCommand): Record<string, unknown> {
  const obj: Record<string, unknown> = { code: cmd.code };
  if (cmd.extFields) obj.extFields = cmd.extFields;
  obj.flag = cmd.flag;
  obj.language = cmd.language;
  obj.opaque = cmd.opaque;
  if (cmd.remark !== undefined) obj.remark = cmd.remark;
  obj.serializeTypeCurrentRPC = 'JSON';
  obj.version = cmd.version;
  return obj;
}

/**
 * The header of `cmd` as JSON text: the same characters as JSON.stringify(headerObject(cmd)), put together without
 * building that object (the numbers are plain integers, whose JSON form is their decimal form; the strings and the
 * ext map go through JSON.stringify). Anything unusual takes the reference path.
 */
export function encodeJsonHeaderText(cmd: RemotingCommand): string {
  const { code, flag, opaque, version, language } = cmd;
  if (!Number.isFinite(code) || !Number.isFinite(flag) || !Number.isFinite(opaque) || !Number.isFinite(version) || typeof language !== 'string') {
    return JSON.stringify(headerObject(cmd));
  }
  let s = '{"code":' + code;
  if (cmd.extFields) s += ',"extFields":' + JSON.stringify(cmd.extFields);
  s += ',"flag":' + flag + ',"language":' + JSON.stringify(language) + ',"opaque":' + opaque;
  if (cmd.remark !== undefined) s += ',"remark":' + JSON.stringify(cmd.remark);
  return s + ',"serializeTypeCurrentRPC":"JSON","version":' + version + '}';
}

/** Encodes the header of `cmd` as JSON bytes. */
export function encodeJsonHeader(cmd: RemotingCommand): Buffer {
  return Buffer.from(encodeJsonHeaderText(cmd), 'utf8');
}

/** @internal The reference encoding (an object through JSON.stringify), for tests. */
export function encodeJsonHeaderReference(cmd: RemotingCommand): Buffer {
  return Buffer.from(JSON.stringify(headerObject(cmd)), 'utf8');
}

/** Reads an int field tolerantly: numbers, numeric strings; anything absent is the Java default 0. */
function intField(obj: Record<string, unknown>, name: string): number {
  const v = obj[name];
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) {
    throw badFrame('bad_header', `JSON header field ${name} is not a 32-bit integer: ${JSON.stringify(v)}`);
  }
  return n;
}

/** Stringifies one ext value as Java's extFields map would hold it. */
function extValue(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/**
 * The ext map with every value a string: the parsed object itself when it already is one (what Java and our own
 * peers send), else a copy with numbers and booleans stringified and nulls dropped.
 */
function extStrings(ext: Record<string, unknown>): Record<string, string> {
  const keys = Object.keys(ext);
  let plain = true;
  for (let i = 0; i < keys.length; i++) {
    // A "__proto__" key is an own property of a parsed object, but copying it would not be: keep the copy's result.
    if (typeof ext[keys[i]] !== 'string' || keys[i] === '__proto__') {
      plain = false;
      break;
    }
  }
  if (plain) return ext as Record<string, string>;
  const out: Record<string, string> = {};
  for (let i = 0; i < keys.length; i++) {
    const s = extValue(ext[keys[i]]);
    if (s !== undefined) out[keys[i]] = s;
  }
  return out;
}

/** Decodes a JSON header from `buf` (only the header bytes). Throws MqError('PROTOCOL') on bad input. */
export function decodeJsonHeader(buf: Buffer): RemotingCommand {
  const text = buf.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // fastjson-style input (bare numeric keys) is still accepted; anything else is a bad frame.
    try {
      parsed = parseFastJson(text);
    } catch (err) {
      throw badFrame('bad_json', `JSON header is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badFrame('bad_header', 'JSON header is not an object');
  }
  const obj = parsed as Record<string, unknown>;
  const cmd = new RemotingCommand(intField(obj, 'code'), intField(obj, 'opaque'));
  cmd.flag = intField(obj, 'flag');
  cmd.version = intField(obj, 'version');
  const lang = obj.language;
  cmd.language = typeof lang === 'string' ? lang : typeof lang === 'number' ? languageName(lang) : 'JAVA';
  const remark = obj.remark;
  if (remark !== undefined && remark !== null) cmd.remark = typeof remark === 'string' ? remark : String(remark);
  const ext = obj.extFields;
  if (ext !== undefined && ext !== null) {
    if (typeof ext !== 'object' || Array.isArray(ext)) throw badFrame('bad_header', 'JSON header extFields is not an object');
    cmd.extFields = extStrings(ext as Record<string, unknown>);
  }
  cmd.serializeType = 'JSON';
  return cmd;
}
