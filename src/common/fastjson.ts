/**
 * Reading and writing the JSON bodies of RocketMQ (ref §3.1).
 *
 * Java's fastjson writes non-string map keys bare: `{"brokerAddrs":{0:"10.0.0.1:10911",1:"..."}}`, which standard
 * JSON rejects. {@link parseFastJson} accepts standard JSON plus such bare integer keys; {@link toJson} always
 * writes standard JSON with quoted keys (what 4.9.4+ name servers send, ref §3.1 "Emit").
 *
 * Grammar accepted by the parser (standard JSON, RFC 8259, with one extension):
 *   member := (string | intKey) ws ':' ws value       intKey := '-'? digit+
 * Numbers become JS numbers (integers beyond 2^53 lose precision; callers that need them exact use strings).
 * Pure: imports nothing outside common.
 */

/** True for the characters that may start a bare integer key. */
function isKeyStart(c: number): boolean {
  return c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39);
}

/**
 * Quotes bare integer keys that follow `{` or `,` outside strings, leaving everything else untouched.
 * A value position after ',' inside an array (e.g. `[1,2]`) is told apart by tracking the container stack.
 * Exported for callers that want the fixed text itself (the store's config files).
 */
export function quoteBareKeys(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  // Stack of open containers: true = object, false = array.
  const stack: boolean[] = [];
  // Whether the next token in the current object is a key.
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      expectKey = false;
      continue;
    }
    if (c === 0x7b /* { */) {
      stack.push(true);
      expectKey = true;
      continue;
    }
    if (c === 0x5b /* [ */) {
      stack.push(false);
      expectKey = false;
      continue;
    }
    if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
      continue;
    }
    if (c === 0x2c /* , */) {
      expectKey = stack.length > 0 && stack[stack.length - 1];
      continue;
    }
    if (c === 0x3a /* : */) {
      expectKey = false;
      continue;
    }
    if (expectKey && isKeyStart(c)) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
      out += text.slice(last, i) + '"' + text.slice(i, j) + '"';
      last = j;
      i = j - 1;
      expectKey = false;
      continue;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * Parses a fastjson body: standard JSON, plus bare integer object keys (`{0:"a",-1:"b"}`) which become string keys.
 * Throws a SyntaxError on anything else that is not JSON.
 */
export function parseFastJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const fixed = quoteBareKeys(text);
    if (fixed === text) throw first;
    return JSON.parse(fixed);
  }
}

/** Writes one value; bigint becomes a bare number, Map an object, undefined members are skipped. */
function write(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (Array.isArray(value)) return '[' + value.map((v) => write(v) ?? 'null').join(',') + ']';
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'));
  const entries: Iterable<[unknown, unknown]> =
    value instanceof Map ? value.entries() : Object.entries(value as Record<string, unknown>);
  const parts: string[] = [];
  for (const [k, v] of entries) {
    const s = write(v);
    if (s !== undefined) parts.push(JSON.stringify(String(k)) + ':' + s);
  }
  return '{' + parts.join(',') + '}';
}

/** Standard JSON with quoted keys. Also writes bigint values as numbers and Maps as objects. */
export function toJson(value: unknown): string {
  return write(value) ?? 'null';
}
